"""Evidence from the inventory and from collectors' files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessment.errors import EvidenceError
from assessment.evidence import inventory_evidence, load_evidence_file
from assessment.maturity_model import Stage, load_model
from tests.assessment.builders import ALL_CONTROLS, small, with_apps


def _by_function(inventory):  # type: ignore[no-untyped-def]
    return {item.function: item for item in inventory_evidence(inventory)}


def test_confidential_apps_without_mfa_cap_authentication_at_initial() -> None:
    item = _by_function(small())["identity/authentication"]

    assert (item.status, item.stage) == ("fail", Stage.INITIAL)
    assert (
        item.finding == "2 confidential apps lack MFA (ci, leave); 1 of 5 apps have MFA"
    )
    assert item.source == "inventory"


def test_a_restricted_app_without_mfa_caps_authentication_at_traditional() -> None:
    inventory = with_apps(small(), payroll={"controls": {"sso": True}})

    item = _by_function(inventory)["identity/authentication"]

    assert (item.status, item.stage) == ("fail", Stage.TRADITIONAL)
    assert item.finding.startswith("1 of 1 restricted apps lack MFA (payroll)")


def test_full_coverage_supports_the_rules_highest_stage() -> None:
    inventory = with_apps(
        small(),
        **{
            app: {"controls": ALL_CONTROLS}
            for app in ("payroll", "wiki", "ci", "leave", "status")
        },
    )

    items = _by_function(inventory)

    assert (
        items["identity/authentication"].status,
        items["identity/authentication"].stage,
    ) == ("pass", Stage.INITIAL)
    assert items["devices/resource-access"].stage is Stage.ADVANCED
    assert items["networks/network-segmentation"].stage is Stage.ADVANCED
    assert items["identity/identity-stores"].stage is Stage.INITIAL


def test_broad_write_access_to_sensitive_data_caps_access_management() -> None:
    inventory = with_apps(small(), leave={"writers": ["everyone"]})

    item = _by_function(inventory)["identity/access-management"]

    assert (item.status, item.stage) == ("fail", Stage.TRADITIONAL)
    assert "leave" in item.finding


def _evidence_file(tmp_path: Path, items: list[dict[str, str]]) -> Path:
    path = tmp_path / "aws.json"
    path.write_text(
        json.dumps(
            {
                "collector": "aws",
                "collected_at": "2026-11-29T10:00:00+00:00",
                "scope": "account 123456789012",
                "items": items,
                "warnings": [
                    {"check": "GuardDuty in eu-west-1", "reason": "AccessDenied"}
                ],
            },
            indent=2,
        )
    )
    return path


def test_evidence_file_items_carry_their_source(tmp_path: Path) -> None:
    path = _evidence_file(
        tmp_path,
        [
            {
                "function": "identity/authentication",
                "status": "fail",
                "stage": "traditional",
                "resource": "iam user bob",
                "finding": "console user without MFA",
            }
        ],
    )

    collected = load_evidence_file(path, load_model())

    assert collected.items[0].source == "aws (aws.json)"
    assert collected.items[0].stage is Stage.TRADITIONAL
    assert collected.warnings == [
        "aws: GuardDuty in eu-west-1 not checked: AccessDenied"
    ]


def test_evidence_for_an_unknown_function_is_an_error_with_its_line(
    tmp_path: Path,
) -> None:
    path = _evidence_file(
        tmp_path,
        [
            {
                "function": "identity/authn",
                "status": "pass",
                "stage": "initial",
                "resource": "r",
                "finding": "f",
            }
        ],
    )

    with pytest.raises(EvidenceError) as caught:
        load_evidence_file(path, load_model())

    assert str(caught.value).startswith(f"{path}:7:")
    assert "items[0].function: unknown function 'identity/authn'" in str(caught.value)


def test_evidence_file_with_a_bad_status(tmp_path: Path) -> None:
    path = _evidence_file(
        tmp_path,
        [
            {
                "function": "identity/authentication",
                "status": "ok",
                "stage": "initial",
                "resource": "r",
                "finding": "f",
            }
        ],
    )

    with pytest.raises(EvidenceError, match=r"items\[0\]\.status: 'ok' is not allowed"):
        load_evidence_file(path, load_model())
