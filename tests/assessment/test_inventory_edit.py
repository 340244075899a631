"""Editing an application's controls in the inventory file."""

from __future__ import annotations

import difflib
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment import inventory_edit
from assessment.errors import InventoryError
from assessment.inventory import CONTROL_NAMES, load_inventory
from assessment.inventory_edit import InventoryEditError, set_control, set_controls
from bench.generate import generate_inventory
from tests.conftest import DATA, SAMPLE

SMALL_APPS = ("payroll", "wiki", "ci", "leave", "status")

COMMENTED = """\
# An inventory written by hand, with comments in awkward places.
organisation: {name: Commented Ltd, users: 50, budget_usd: 1000, target_months: 2}
departments:
  - {id: it, name: IT}
groups:
  - {id: staff, name: Staff, members: 50}
applications:
  - id: alpha
    name: Alpha
    owner: it@example.org
    department: it
    namespace: alpha
    host: alpha.example.org
    port: 80
    classification: internal
    users: 10
    readers: [staff]   # everyone reads it
    # the next block lists what alpha calls
    depends_on:
      - {target: beta}   # beta's API
    # --- beta ----------------------------------------------------------

  - id: beta
    name: Beta
    owner: it@example.org
    department: it
    namespace: beta
    host: beta.example.org
    port: 80
    classification: confidential
    users: 5
    readers: [staff]
    legacy: true   # beta cannot speak OIDC
# the end
"""

# List items flush with their parent key, and four-space nested mappings.
FLUSH = """\
organisation:
    name: Flush Ltd
    users: 10
    budget_usd: 1
    target_months: 1
departments:
- {id: it, name: IT}
groups:
- {id: staff, name: Staff, members: 10}
applications:
- id: wiki
  name: Wiki
  owner: it@example.org
  department: it
  namespace: wiki
  host: wiki.example.org
  port: 80
  classification: internal
  users: 10
  readers: [staff]
  depends_on:
  - {target: db}
  controls: {sso: true}
data_stores:
- id: db
  name: Database
  kind: postgresql
  owner: it@example.org
  department: it
  host: db.example.org
  port: 5432
  classification: internal
"""


def changed_lines(before: str, after: str) -> list[str]:
    """The lines removed and added, as a unified diff without its headers."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
    return [
        line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


@pytest.fixture
def sample_inventory(tmp_path: Path) -> Path:
    target = tmp_path / "inventory.yaml"
    shutil.copy(SAMPLE / "inventory.yaml", target)
    return target


@pytest.fixture
def small_copy(tmp_path: Path) -> Path:
    target = tmp_path / "inventory.yaml"
    shutil.copy(DATA / "small-inventory.yaml", target)
    return target


def test_turning_a_control_on_changes_one_line_and_keeps_every_comment(
    sample_inventory: Path,
) -> None:
    before = sample_inventory.read_text()

    inventory = set_control(sample_inventory, "hris", "mfa", True)

    after = sample_inventory.read_text()
    assert changed_lines(before, after) == [
        "-    controls: {sso: true, access_logging: true}",
        "+    controls: {sso: true, mfa: true, access_logging: true}",
    ]
    assert comments(after) == comments(before)
    assert inventory.apps_by_id["hris"].controls.mfa is True
    assert load_inventory(sample_inventory).apps_by_id["hris"].controls.mfa is True


def test_turning_a_written_control_off_keeps_its_place(small_copy: Path) -> None:
    before = small_copy.read_text()

    set_controls(small_copy, "payroll", {"mfa": False})

    assert changed_lines(before, small_copy.read_text()) == [
        "-    controls: {sso: true, mfa: true, access_logging: true}",
        "+    controls: {sso: true, mfa: false, access_logging: true}",
    ]


def test_turning_off_a_control_that_is_not_written_changes_nothing(
    small_copy: Path,
) -> None:
    before = small_copy.read_text()

    set_control(small_copy, "wiki", "device_posture", False)

    assert small_copy.read_text() == before


def test_an_app_without_controls_gets_a_flow_mapping(small_copy: Path) -> None:
    before = small_copy.read_text()

    set_controls(small_copy, "status", {"access_logging": True, "sso": True})

    assert changed_lines(before, small_copy.read_text()) == [
        "+    controls: {sso: true, access_logging: true}",
    ]
    after = small_copy.read_text().splitlines()
    added = after.index("    controls: {sso: true, access_logging: true}")
    assert after[added - 1] == "    readers: [everyone]"
    assert after[added + 1 : added + 3] == ["", "data_stores:"]


def test_comments_after_the_anchor_stay_with_what_they_describe(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(COMMENTED)

    set_control(path, "alpha", "sso", True)
    set_control(path, "beta", "mfa", True)

    assert path.read_text() == COMMENTED.replace(
        "    readers: [staff]   # everyone reads it\n",
        "    readers: [staff]   # everyone reads it\n    controls: {sso: true}\n",
    ).replace(
        "    legacy: true   # beta cannot speak OIDC\n",
        "    legacy: true   # beta cannot speak OIDC\n    controls: {mfa: true}\n",
    )


def test_the_file_keeps_its_own_indentation(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(FLUSH)

    set_control(path, "wiki", "mfa", True)

    assert changed_lines(FLUSH, path.read_text()) == [
        "-  controls: {sso: true}",
        "+  controls: {sso: true, mfa: true}",
    ]


def test_an_unknown_app_is_named_with_a_suggestion(small_copy: Path) -> None:
    with pytest.raises(
        InventoryEditError, match=r"no application 'wik'; did you mean 'wiki'"
    ):
        set_control(small_copy, "wik", "mfa", True)


def test_an_unknown_control_is_refused_before_reading(small_copy: Path) -> None:
    with pytest.raises(InventoryEditError, match=r"unknown control 'mfa2'"):
        set_controls(small_copy, "wiki", {"mfa2": True})


def test_an_invalid_inventory_is_left_as_it_was(small_copy: Path) -> None:
    broken = small_copy.read_text().replace("readers: [engineers]", "readers: [nobody]")
    small_copy.write_text(broken)

    with pytest.raises(InventoryError) as caught:
        set_control(small_copy, "wiki", "mfa", True)

    assert "the edit would make the file invalid" in str(caught.value)
    assert caught.value.path == small_copy
    assert caught.value.field == "applications[2].readers[0]"
    assert caught.value.line is not None
    assert small_copy.read_text() == broken


def test_malformed_yaml_names_the_line(small_copy: Path) -> None:
    small_copy.write_text("applications:\n  - id: [unclosed\n")

    with pytest.raises(InventoryError, match=r"malformed YAML") as caught:
        set_control(small_copy, "wiki", "mfa", True)

    assert caught.value.line is not None


def test_a_file_changed_during_the_edit_is_not_overwritten(
    small_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    someone_else = small_copy.read_text() + "# saved by someone else\n"

    def load_while_someone_saves(path: Path) -> object:
        small_copy.write_text(someone_else)
        return load_inventory(path)

    monkeypatch.setattr(inventory_edit, "load_inventory", load_while_someone_saves)

    with pytest.raises(InventoryEditError, match="changed on disk"):
        set_control(small_copy, "wiki", "mfa", True)
    assert small_copy.read_text() == someone_else


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    app_id=st.sampled_from(SMALL_APPS),
    changes=st.dictionaries(st.sampled_from(CONTROL_NAMES), st.booleans(), min_size=1),
)
def test_any_edit_sets_exactly_the_controls_asked_for(
    app_id: str, changes: dict[str, bool]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inventory.yaml"
        shutil.copy(DATA / "small-inventory.yaml", path)
        before = load_inventory(path)
        text_before = path.read_text()

        after = set_controls(path, app_id, changes)

        expected = before.apps_by_id[app_id].controls.model_copy(update=changes)
        assert after.apps_by_id[app_id].controls == expected
        for other in SMALL_APPS:
            if other != app_id:
                assert after.apps_by_id[other] == before.apps_by_id[other]
        assert comments(path.read_text()) == comments(text_before)
        assert all(
            "controls" in line for line in changed_lines(text_before, path.read_text())
        )


@pytest.mark.parametrize(
    ("text", "app_id"),
    [
        pytest.param(
            (SAMPLE / "inventory.yaml").read_text(), "hris", id="sample-first"
        ),
        pytest.param((SAMPLE / "inventory.yaml").read_text(), "payroll", id="sample"),
        pytest.param(
            (SAMPLE / "inventory.yaml").read_text(), "api-docs", id="sample-last"
        ),
        pytest.param((DATA / "small-inventory.yaml").read_text(), "leave", id="small"),
        pytest.param(
            (DATA / "small-inventory.yaml").read_text(), "status", id="no-controls"
        ),
        pytest.param(COMMENTED, "alpha", id="commented"),
        pytest.param(COMMENTED, "beta", id="commented-last"),
        pytest.param(FLUSH, "wiki", id="flush"),
        pytest.param(generate_inventory(30), "app-00017", id="generated"),
    ],
)
def test_editing_one_item_gives_the_same_text_as_editing_the_whole_file(
    text: str, app_id: str
) -> None:
    changes = {"sso": False, "mfa": True, "device_posture": True}
    path = Path("inventory.yaml")

    fast = inventory_edit._edit_block(path, text, app_id, changes)

    assert fast is not None
    assert fast == inventory_edit._edit_document(path, text, app_id, changes)


def test_a_flow_style_list_is_edited_as_a_whole(tmp_path: Path) -> None:
    text = (DATA / "small-inventory.yaml").read_text()
    inventory = load_inventory(DATA / "small-inventory.yaml")
    apps = ", ".join(
        "{" + f"id: {app.id}, name: {app.name}, owner: {app.owner}, "
        f"department: {app.department}, namespace: {app.namespace}, host: {app.host}, "
        f"port: {app.port}, classification: {app.classification}, users: {app.users}, "
        f"readers: [{', '.join(app.readers)}]" + "}"
        for app in inventory.applications
    )
    head, _, _ = text.partition("applications:")
    _, _, tail = text.partition("\ndata_stores:")
    path = tmp_path / "inventory.yaml"
    path.write_text(f"{head}applications: [{apps}]\n\ndata_stores:{tail}")

    assert (
        inventory_edit._edit_block(path, path.read_text(), "wiki", {"mfa": True})
        is None
    )
    assert set_control(path, "wiki", "mfa", True).apps_by_id["wiki"].controls.mfa
