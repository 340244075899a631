"""``ztkit diff`` on hand-built plan directories and on two real renders."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ztkit.cli import main
from ztkit.diff_command import render_markdown, render_text
from ztkit.manifest_diff import (
    JSON_TEXT,
    diff_directories,
    diff_manifests,
    format_path,
    group_by_app_and_phase,
    values_equal,
)

ADDED_PER_APP = {
    "Deployment/{app}/{app}-oauth2-proxy",
    "HTTPRoute/{app}/{app}",
    "HTTPRoute/{app}/{app}-oauth2",
    "PodDisruptionBudget/{app}/{app}-oauth2-proxy",
    "Secret/{app}/{app}-oauth2-proxy",
    "SecurityPolicy/{app}/{app}-external-auth",
    "Service/{app}/{app}-oauth2-proxy",
}
IDENTITY_OBJECTS = {
    "Namespace//identity",
    "Deployment/identity/keycloak",
    "HTTPRoute/identity/keycloak",
    "PersistentVolumeClaim/identity/keycloak-data",
    "Secret/identity/keycloak-admin",
    "Secret/identity/keycloak-realm",
    "Service/identity/keycloak",
}


def _object(
    kind: str,
    name: str,
    namespace: str | None = "web",
    app: str | None = None,
    phase: str | None = "2",
    **body: Any,
) -> dict[str, Any]:
    labels = {}
    if app:
        labels["ztkit.io/app"] = app
    if phase:
        labels["ztkit.io/phase"] = phase
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": kind, "metadata": metadata, **body}


def _plan(directory: Path, *objects: dict[str, Any], **index: Any) -> Path:
    """A plan directory as ``ztkit plan`` lays it out: one file per object."""
    directory.mkdir(parents=True)
    (directory / "plan.json").write_text(json.dumps({"objects": [], **index}))
    for item in objects:
        metadata = item["metadata"]
        folder = directory / (metadata.get("namespace") or "_cluster")
        folder.mkdir(exist_ok=True)
        target = folder / f"{item['kind']}-{metadata['name']}.yaml"
        target.write_text(yaml.safe_dump(item))
    return directory


def _deployment(arguments: list[str], **labels: str) -> dict[str, Any]:
    deployment = _object(
        "Deployment",
        "web-proxy",
        app="web",
        spec={
            "replicas": 2,
            "template": {"spec": {"containers": [{"name": "p", "args": arguments}]}},
        },
    )
    deployment["metadata"]["labels"].update(labels)
    return deployment


def test_objects_are_added_removed_and_changed_by_kind_namespace_and_name(
    tmp_path: Path,
) -> None:
    kept = _object("Service", "web", app="web")
    old = _plan(
        tmp_path / "old",
        kept,
        _object("ConfigMap", "gone", app="web"),
        _object("Namespace", "identity", namespace=None, phase="1"),
        _deployment(["--a", "--b"]),
    )
    new = _plan(
        tmp_path / "new",
        kept,
        _object("ConfigMap", "fresh", app="web"),
        _object("ConfigMap", "gone", namespace="other", app="web"),
        _deployment(["--a", "--c"]),
    )

    result = diff_directories(old, new).as_json()

    assert result["added"] == ["ConfigMap/other/gone", "ConfigMap/web/fresh"]
    assert result["removed"] == ["ConfigMap/web/gone", "Namespace//identity"]
    assert result["changed"] == [
        {
            "object": "Deployment/web/web-proxy",
            "app": "web",
            "phase": "2",
            "fields": ["spec.template.spec.containers[0].args[1]"],
            "changes": [
                {
                    "path": "spec.template.spec.containers[0].args[1]",
                    "change": "changed",
                    "old": "--b",
                    "new": "--c",
                }
            ],
        }
    ]
    assert result["summary"] == {"added": 2, "removed": 2, "changed": 1, "unchanged": 1}


def test_paths_quote_keys_that_are_not_identifiers() -> None:
    old = _deployment(["--a"])
    old["data"] = {"plain": 1}
    new = _deployment(["--a"], **{"ztkit.io/tier": "gold"})
    new["metadata"]["labels"]["ztkit.io/phase"] = "3"
    new["data"] = {'say "hi"': "x", 7: "seven", "plain": 2}

    paths = [change.path for change in diff_manifests(old, new)]

    assert paths == [
        'data["7"]',
        "data.plain",
        r'data["say \"hi\""]',
        'metadata.labels["ztkit.io/phase"]',
        'metadata.labels["ztkit.io/tier"]',
    ]
    assert format_path(["items", 0, "ok"]) == "items[0].ok"
    assert format_path(["a", JSON_TEXT, "b"]) == "a(json).b"


def test_an_inserted_list_item_is_one_addition_not_a_shift() -> None:
    old = _deployment(["--a", "--b", "--c", "--d"])
    new = _deployment(["--a", "--new", "--b", "--c", "--d"])

    changes = diff_manifests(old, new)

    assert [(c.path, c.change, c.new) for c in changes] == [
        ("spec.template.spec.containers[0].args[1]", "added", "--new")
    ]
    removed = diff_manifests(new, old)
    assert [(c.path, c.change, c.old) for c in removed] == [
        ("spec.template.spec.containers[0].args[1]", "removed", "--new")
    ]


def test_redacted_values_match_anything_whole_or_inside_a_text() -> None:
    assert values_equal("<redacted>", "s3cr3t")
    assert values_equal({"a": "<redacted>"}, {"a": {"nested": 1}})
    assert values_equal("postgres://app:<redacted>@db/x", "postgres://app:pw@db/x")
    assert values_equal("a=<redacted>;b=<redacted>", "a=1;b=2")
    assert not values_equal("postgres://app:<redacted>@db/x", "mysql://app:pw@db/x")
    assert not values_equal("a=<redacted>;b=<redacted>", "a=1;c=2")
    assert not values_equal("key-<redacted>", "ke")


def test_numbers_compare_by_value_but_flags_are_not_numbers() -> None:
    assert values_equal({"replicas": 2}, {"replicas": 2.0})
    assert not values_equal({"enabled": True}, {"enabled": 1})
    assert not values_equal({"port": "80"}, {"port": 80})


def test_a_json_document_in_a_text_is_compared_field_by_field() -> None:
    realm = {"realm": "acme", "clients": [{"id": "web", "redirectUris": ["a"]}]}
    changed = copy.deepcopy(realm)
    changed["clients"][0]["redirectUris"] = ["b"]
    old = {"data": {"realm.json": json.dumps(realm)}}
    new = {"data": {"realm.json": json.dumps(changed, indent=2)}}

    [change] = diff_manifests(old, new)

    assert change.path == 'data["realm.json"](json).clients[0].redirectUris[0]'
    assert (change.old, change.new) == ("a", "b")


def test_secret_values_are_never_reported_only_their_paths(tmp_path: Path) -> None:
    old = _plan(tmp_path / "a", _object("Secret", "s", stringData={"token": "one"}))
    new = _plan(tmp_path / "b", _object("Secret", "s", stringData={"token": "two"}))

    diff = diff_directories(old, new)
    result = diff.as_json()

    assert result["changed"][0]["changes"] == [
        {"path": "stringData.token", "change": "changed", "sensitive": True}
    ]
    for text in (render_text(diff), render_markdown(diff), json.dumps(result)):
        assert "one" not in text and "two" not in text
        assert "stringData.token" in text


def test_the_file_layout_does_not_matter_only_the_objects(tmp_path: Path) -> None:
    objects = [_object("Service", f"s{i}", app="web") for i in range(3)]
    split = _plan(tmp_path / "split", *objects)
    joined = tmp_path / "joined"
    joined.mkdir()
    (joined / "plan.json").write_text("{}")
    (joined / "all.yml").write_text(yaml.safe_dump_all([None, *objects]))

    diff = diff_directories(split, joined)

    assert diff.is_empty and diff.unchanged == 3


def test_groups_follow_the_app_and_phase_labels(tmp_path: Path) -> None:
    old = _plan(tmp_path / "a", _object("Secret", "idp", phase="1"))
    new = _plan(
        tmp_path / "b",
        _object("Service", "b", app="billing"),
        _object("Service", "a", app="accounts"),
        _object("Secret", "idp", phase="1", type="Opaque"),
        _object("ConfigMap", "loose", phase=None),
    )

    groups = group_by_app_and_phase(diff_directories(old, new))

    assert [(g.app, g.phase) for g in groups] == [
        ("shared", "1"),
        ("accounts", "2"),
        ("billing", "2"),
        ("shared", None),
    ]
    assert [c.key for c in groups[0].changed] == ["Secret/web/idp"]


def test_markdown_counts_first_then_removals_then_apps(tmp_path: Path) -> None:
    old = _plan(
        tmp_path / "a",
        _object("Service", "old", app="billing"),
        _deployment(["--a"]),
        stack="dev",
        phase=1,
    )
    many = _deployment([f"--flag-{i}" for i in range(6)])
    new = _plan(
        tmp_path / "b",
        _object("Service", "new", app="accounts"),
        many,
        stack="dev",
        phase=2,
    )

    text = render_markdown(diff_directories(old, new))

    assert text.startswith("### ztkit plan diff: stack `dev`\n")
    counts = text.index("**1 added · 1 removed · 1 changed** · 0 unchanged")
    caution = text.index("> [!CAUTION]")
    table = text.index("| app | phase | added | removed | changed |")
    assert counts < caution < table
    assert "> - `Service/web/old` (billing, phase 2)" in text
    assert "| billing | 2 | · | **1** | · |" in text
    assert "- **changed**: `Deployment/web/web-proxy`: 6 fields" in text
    assert "<details><summary>fields</summary>" in text
    assert '`spec.template.spec.containers[0].args[1]`: `added "--flag-1"`' in text


def test_markdown_stays_within_its_limit(tmp_path: Path) -> None:
    old = _plan(tmp_path / "a")
    new = _plan(
        tmp_path / "b",
        *(_object("Service", f"s{i}", app=f"app-{i:04d}") for i in range(400)),
    )

    text = render_markdown(diff_directories(old, new), limit=5_000)

    assert len(text) <= 5_000
    assert "**400 added · 0 removed · 0 changed**" in text
    assert "more rows" in text and "run `ztkit diff OLD NEW`" in text


def test_identical_plans_say_so(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "a", _object("Service", "s"))

    diff = diff_directories(plan, plan)

    assert "**No changes**: 1 object, all the same." in render_markdown(diff)
    assert "0 added, 0 removed, 0 changed, 1 unchanged" in render_text(diff)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.rename(d.with_name("moved")), "a: no such directory"),
        (lambda d: (d / "plan.json").unlink(), "a: not a plan directory: no plan.json"),
        (
            lambda d: (d / "web" / "x.yaml").write_text("kind: [oops\n"),
            "x.yaml:2:1: malformed YAML",
        ),
        (
            lambda d: (d / "web" / "x.yaml").write_text("- a list\n"),
            "x.yaml: expected a Kubernetes object (a mapping), got list",
        ),
        (
            lambda d: (d / "web" / "x.yaml").write_text("kind: A\n---\nkind: B\n"),
            "x.yaml: document 1: metadata.name: expected the object's name, got None",
        ),
        (
            lambda d: (d / "web" / "copy.yaml").write_text(
                (d / "web" / "Service-s.yaml").read_text()
            ),
            "copy.yaml: Service/web/s is already declared in web/Service-s.yaml",
        ),
        (lambda d: (d / "plan.json").write_text("{"), "plan.json:1:2: not JSON"),
    ],
    ids=[
        "missing",
        "no-index",
        "bad-yaml",
        "not-a-mapping",
        "no-name",
        "twice",
        "bad-index",
    ],
)
def test_bad_plan_directories_are_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: Any,
    message: str,
) -> None:
    good = _plan(tmp_path / "b", _object("Service", "s"))
    bad = _plan(tmp_path / "a", _object("Service", "s"))
    damage(bad)

    assert main(["diff", str(bad), str(good)]) == 2

    error = capsys.readouterr().err
    assert error.startswith("ztkit: error: ") and error.count("\n") == 1
    assert message in error


_SCALARS = st.one_of(st.integers(-5, 5), st.text("abc", max_size=3), st.none())
_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text("xyz", max_size=2), inner)
    ),
    max_leaves=12,
)


@given(_TREES, _TREES)
def test_values_are_equal_exactly_when_they_are_the_same(old: Any, new: Any) -> None:
    assert values_equal(old, old)
    assert values_equal(old, new) == (old == new)


@pytest.fixture(scope="module")
def phase_renders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The dev stack rendered at phase 1 and at phase 2, by ``ztkit plan``."""
    root = tmp_path_factory.mktemp("renders")
    assert main(["plan", "--phase", "1", "--out", str(root / "a")]) == 0
    assert main(["plan", "--phase", "2", "--out", str(root / "b")]) == 0
    return root / "a", root / "b"


def test_phase_1_to_2_only_adds_an_access_proxy_per_app(
    phase_renders: tuple[Path, Path],
) -> None:
    old, new = phase_renders
    wave = json.loads((new / "plan.json").read_text())["wave"]

    diff = diff_directories(old, new)

    # The identity objects keep their phase-1 labels and every field; the
    # secrets regenerated by the second render are redacted on both sides.
    assert diff.removed == () and diff.changed == ()
    assert {item.key for item in diff.old.objects.values()} == IDENTITY_OBJECTS
    assert diff.unchanged == len(IDENTITY_OBJECTS)
    expected = {key.format(app=app) for app in wave for key in ADDED_PER_APP}
    assert {item.key for item in diff.added} == expected
    assert {(item.app, item.phase) for item in diff.added} == {
        (app, "2") for app in wave
    }


def test_phase_2_back_to_1_removes_them_and_the_comment_says_so(
    phase_renders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = phase_renders

    assert main(["diff", str(new), str(old), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert main(["diff", str(new), str(old), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out

    assert result["summary"] == {
        "added": 0,
        "removed": 56,
        "changed": 0,
        "unchanged": 7,
    }
    assert (result["old"]["phase"], result["new"]["phase"]) == (2, 1)
    assert "**0 added · 56 removed · 0 changed**" in markdown
    assert "> **56 objects removed**: `pulumi up` deletes them." in markdown
