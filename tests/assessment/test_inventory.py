"""The inventory schema, its cross-checks and its error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessment.errors import InventoryError
from assessment.inventory import CONTROL_NAMES, load_inventory
from tests.conftest import SAMPLE


def _mutated(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text, f"fixture no longer contains {old!r}"
    target = tmp_path / "inventory.yaml"
    target.write_text(text.replace(old, new, 1))
    return target


def _error(path: Path) -> InventoryError:
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    return caught.value


def test_bundled_sample_is_the_organisation_the_product_describes() -> None:
    inventory = load_inventory(SAMPLE / "inventory.yaml")
    organisation = inventory.organisation
    classifications = {app.classification for app in inventory.applications}
    departments = {department.id for department in inventory.departments}

    assert 45 <= len(inventory.applications) <= 55
    assert organisation.users == 1000
    assert organisation.budget_usd == 50_000
    assert organisation.target_months == 6
    assert {"hr", "finance", "engineering", "shared-services"} <= departments
    assert classifications == {"public", "internal", "confidential", "restricted"}
    assert 3 <= sum(app.legacy for app in inventory.applications) <= 8
    assert sum(len(app.depends_on) for app in inventory.applications) >= 50
    assert max(len(deps) for deps in inventory.dependents.values()) >= 10


def test_small_inventory_resolves_dependency_ports_and_dependents(
    small_inventory: Path,
) -> None:
    inventory = load_inventory(small_inventory)
    payroll = inventory.apps_by_id["payroll"]
    ci = inventory.apps_by_id["ci"]

    assert inventory.port_of(payroll.depends_on[0]) == 5432
    assert inventory.port_of(ci.depends_on[0]) == 3000
    assert inventory.dependents["payroll-db"] == {"payroll", "leave"}
    assert inventory.dependents["status"] == set()


def test_bad_classification_names_line_column_field_value_and_choices(
    tmp_path: Path, small_inventory: Path
) -> None:
    path = _mutated(
        tmp_path,
        small_inventory,
        "classification: restricted",
        "classification: secret",
    )

    error = _error(path)

    assert str(error) == (
        f"{path}:26:21: applications[0].classification: 'secret' is not allowed; "
        "expected 'public', 'internal', 'confidential' or 'restricted'"
    )
    assert "\n" not in str(error)


def test_unknown_key_is_an_error_with_a_suggestion(
    tmp_path: Path, small_inventory: Path
) -> None:
    path = _mutated(
        tmp_path,
        small_inventory,
        "    depends_on:\n      - {target: payroll-db}",
        "    depend_on:\n      - {target: payroll-db}",
    )

    error = _error(path)

    assert error.line == 30 and error.column == 5
    assert error.field == "applications[0].depend_on"
    assert "unknown field 'depend_on'; did you mean 'depends_on'?" in str(error)


def test_unknown_control_lists_what_is_allowed(
    tmp_path: Path, small_inventory: Path
) -> None:
    path = _mutated(
        tmp_path,
        small_inventory,
        "controls: {sso: true}",
        "controls: {sso: true, vpn: true}",
    )

    error = _error(path)

    assert error.field == "applications[1].controls.vpn"
    assert "expected one of access_logging, access_proxy, device_posture" in str(error)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "target: payroll-db}",
            "target: payrol-db}",
            "applications[0].depends_on[0].target",
            "'payrol-db' is not a declared application or data store; did you mean 'payroll-db'?",
        ),
        (
            "readers: [hr-staff]",
            "readers: [hr-staf]",
            "applications[0].readers[0]",
            "'hr-staf' is not a declared group; did you mean 'hr-staff'?",
        ),
        (
            "department: hr\n    namespace: payroll",
            "department: legal\n    namespace: payroll",
            "applications[0].department",
            "'legal' is not a declared department",
        ),
        (
            "  - id: wiki\n",
            "  - id: payroll\n",
            "applications[1].id",
            "'payroll' is already used by applications[0]",
        ),
        (
            "host: wiki.example.org",
            "host: payroll.example.org",
            "applications[1].host",
            "'payroll.example.org' is already the host of payroll",
        ),
        (
            "users: 10\n",
            "users: 5000\n",
            "applications[0].users",
            "5000 is more than the organisation's 200 users",
        ),
        (
            "port: 8080\n    classification: restricted",
            "port: 99999\n    classification: restricted",
            "applications[0].port",
            "99999 is out of range; must be at most 65535",
        ),
        (
            "users: 10\n",
            "users: ten\n",
            "applications[0].users",
            "'ten' is not a whole number",
        ),
        (
            "namespace: payroll\n    host",
            "namespace: Payroll_NS\n    host",
            "applications[0].namespace",
            "'Payroll_NS' is not a valid name: use lower-case",
        ),
        (
            "    name: Payroll\n",
            "",
            "applications[0].name",
            "required field is missing",
        ),
        (
            "{target: wiki, port: 3000}",
            "{target: ci, port: 3000}",
            "applications[2].depends_on[0].target",
            "'ci' cannot depend on itself",
        ),
    ],
)
def test_each_broken_rule_names_its_field(
    tmp_path: Path, small_inventory: Path, old: str, new: str, field: str, message: str
) -> None:
    path = _mutated(tmp_path, small_inventory, old, new)

    error = _error(path)

    assert error.field == field
    assert message in str(error)
    assert error.line is not None and error.line > 1
    assert str(error).startswith(f"{path}:{error.line}:")


def test_malformed_yaml_points_at_the_problem(
    tmp_path: Path, small_inventory: Path
) -> None:
    path = _mutated(
        tmp_path, small_inventory, "readers: [hr-staff]", "readers: [hr-staff"
    )

    error = _error(path)

    assert "malformed YAML" in str(error)
    assert error.line is not None


def test_duplicate_keys_are_rejected(tmp_path: Path, small_inventory: Path) -> None:
    path = _mutated(
        tmp_path, small_inventory, "    users: 10\n", "    users: 10\n    users: 11\n"
    )

    assert "malformed YAML" in str(_error(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- just\n- a list\n", "the inventory must be a mapping"),
        ("", "the inventory must be a mapping"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_wrong_kind_of_file(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "inventory.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)

    assert message in str(_error(path))


def test_missing_file(tmp_path: Path) -> None:
    assert (
        str(_error(tmp_path / "nope.yaml"))
        == f"{tmp_path / 'nope.yaml'}: file not found"
    )


def test_apps_lacking_each_control_and_classification_counts() -> None:
    inventory = load_inventory(SAMPLE / "inventory.yaml")

    for name in CONTROL_NAMES:
        assert inventory.apps_lacking[name] == [
            app for app in inventory.applications if not getattr(app.controls, name)
        ]
    counts = inventory.classification_counts
    assert sum(counts.values()) == len(inventory.applications)
    assert counts["restricted"] == sum(
        app.classification == "restricted" for app in inventory.applications
    )


def test_a_copy_works_out_its_own_lookups(small_inventory: Path) -> None:
    inventory = load_inventory(small_inventory)
    assert inventory.dependents_closure.count("payroll-db") == 2
    kept = [app for app in inventory.applications if app.id != "leave"]

    copied = inventory.model_copy(update={"applications": kept})

    assert "leave" in inventory.apps_by_id
    assert "leave" not in copied.apps_by_id
    assert copied.dependents["payroll-db"] == {"payroll"}
    assert len(copied.apps_lacking["mfa"]) < len(inventory.apps_lacking["mfa"])
