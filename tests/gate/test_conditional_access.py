"""The access decision: groups, device trust, classification and method."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from assessment.inventory import CLASSIFICATIONS, Application
from gate.conditional_access import (
    DEFAULT_LEVELS,
    READ_METHODS,
    AccessPolicy,
    decide,
)
from gate.posture import TRUST_LEVELS, DeviceTrust

READS = ("GET", "HEAD", "OPTIONS")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
METHODS = READS + WRITES


def _app(classification: str = "confidential", **changes: Any) -> Application:
    values: dict[str, Any] = {
        "id": "payroll",
        "name": "Payroll",
        "owner": "Finance",
        "department": "finance",
        "namespace": "finance",
        "host": "payroll.example.com",
        "port": 8080,
        "classification": classification,
        "users": 40,
        "readers": ["finance-staff"],
        "writers": ["payroll-admins"],
    }
    values.update(changes)
    if classification not in CLASSIFICATIONS:
        return Application.model_construct(**values)
    return Application.model_validate(values)


# The default table, written out: the level a writer gets per classification
# and device trust. A reader gets the same, capped at read_only.
TABLE = [
    ("restricted", "unknown", "deny"),
    ("restricted", "failing", "deny"),
    ("restricted", "healthy_unmanaged", "deny"),
    ("restricted", "managed_healthy", "full"),
    ("confidential", "unknown", "deny"),
    ("confidential", "failing", "deny"),
    ("confidential", "healthy_unmanaged", "read_only"),
    ("confidential", "managed_healthy", "full"),
    ("internal", "unknown", "deny"),
    ("internal", "failing", "deny"),
    ("internal", "healthy_unmanaged", "full"),
    ("internal", "managed_healthy", "full"),
    ("public", "unknown", "full"),
    ("public", "failing", "deny"),
    ("public", "healthy_unmanaged", "full"),
    ("public", "managed_healthy", "full"),
]


def test_table_covers_every_classification_and_trust() -> None:
    assert {(row[0], row[1]) for row in TABLE} == {
        (classification, trust)
        for classification in CLASSIFICATIONS
        for trust in TRUST_LEVELS
    }


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("classification", "trust", "level"), TABLE)
def test_writer_decision_table(
    classification: str, trust: str, level: str, method: str
) -> None:
    decision = decide(
        ["payroll-admins"], _app(classification), method, trust, False, user="ann"
    )

    expected = level == "full" or (level == "read_only" and method in READS)
    assert decision.allowed is expected
    assert decision.status == (200 if expected else 403)
    assert decision.access_level == level
    assert decision.device_trust == trust
    assert decision.user == "ann"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("classification", "trust", "level"), TABLE)
def test_reader_decision_table(
    classification: str, trust: str, level: str, method: str
) -> None:
    decision = decide(["finance-staff"], _app(classification), method, trust, False)

    expected = level != "deny" and method in READS
    assert decision.allowed is expected
    assert decision.access_level == ("deny" if level == "deny" else "read_only")


def test_user_in_no_allowed_group_is_denied() -> None:
    decision = decide(["marketing"], _app("public"), "GET", "managed_healthy", False)

    assert not decision.allowed
    assert decision.status == 403
    assert decision.reason == "not in a reader or writer group of payroll"
    assert decision.groups == ("marketing",)


def test_user_with_no_groups_is_denied() -> None:
    assert not decide([], _app("public"), "GET", "managed_healthy", False).allowed


@pytest.mark.parametrize("groups", [None, "finance-staff", 42, ["finance-staff", 7]])
def test_malformed_groups_are_denied(groups: Any) -> None:
    decision = decide(groups, _app("public"), "GET", "managed_healthy", False)

    assert not decision.allowed
    assert decision.reason == "no group information for the user"


def test_writer_who_is_also_reader_gets_full() -> None:
    decision = decide(
        ["finance-staff", "payroll-admins"], _app(), "POST", "managed_healthy", False
    )

    assert decision.allowed
    assert decision.access_level == "full"


def test_reader_write_is_denied_naming_the_role() -> None:
    decision = decide(["finance-staff"], _app(), "POST", "managed_healthy", False)

    assert not decision.allowed
    assert decision.reason == "POST needs full access; reader allows read_only"


def test_device_limited_write_is_denied_naming_the_device() -> None:
    decision = decide(["payroll-admins"], _app(), "PUT", "healthy_unmanaged", False)

    assert decision.reason == "PUT needs full access; device allows read_only"


def test_failing_device_reasons_are_reported() -> None:
    trust = DeviceTrust("failing", ("disk not encrypted", "firewall off"))

    decision = decide(["payroll-admins"], _app("public"), "GET", trust, False)

    assert not decision.allowed
    assert (
        decision.reason
        == "device failing posture checks: disk not encrypted; firewall off"
    )
    assert decision.device_trust == "failing"


def test_device_trust_object_is_accepted() -> None:
    decision = decide(
        ["payroll-admins"], _app(), "GET", DeviceTrust("managed_healthy"), False
    )

    assert decision.allowed


@pytest.mark.parametrize("method", ["get", "TRACE", "", "PROPFIND"])
def test_unusual_methods_need_full_access(method: str) -> None:
    decision = decide(
        ["finance-staff"], _app("public"), method, "managed_healthy", False
    )

    assert not decision.allowed
    assert decision.access_level == "read_only"


def test_unknown_classification_is_denied() -> None:
    decision = decide(
        ["payroll-admins"], _app("secret"), "GET", "managed_healthy", False
    )

    assert not decision.allowed
    assert decision.reason == "unknown classification 'secret'"


def test_unknown_trust_is_denied() -> None:
    decision = decide(["payroll-admins"], _app("public"), "GET", "trusted", False)

    assert decision.reason == "unknown device trust trusted"


@pytest.mark.parametrize(
    ("app", "policy", "method", "reason"),
    [
        (None, AccessPolicy(), "GET", "unknown application"),
        (_app(), None, "GET", "no access policy"),
        (_app(), AccessPolicy(), None, "unusable method None"),
        (
            _app().model_copy(update={"readers": "finance-staff"}),
            AccessPolicy(),
            "GET",
            "application has malformed reader or writer groups",
        ),
    ],
)
def test_unexpected_inputs_deny(
    app: Any, policy: Any, method: Any, reason: str
) -> None:
    decision = decide(["payroll-admins"], app, method, "managed_healthy", False, policy)

    assert not decision.allowed
    assert decision.reason == reason


def test_an_internal_failure_denies_without_raising(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Hostile:
        id = "payroll"
        classification = "public"

        @property
        def readers(self) -> list[str]:
            raise RuntimeError("boom")

    decision = decide(["payroll-admins"], Hostile(), "GET", "managed_healthy", False)  # type: ignore[arg-type]

    assert not decision.allowed
    assert decision.reason == "internal error while deciding"
    assert "access decision failed" in caplog.text


OFFICE = AccessPolicy(office_network={"confidential": {"unknown": "read_only"}})


def test_office_network_relaxation_is_opt_in() -> None:
    app = _app("confidential")

    assert not decide(["payroll-admins"], app, "GET", "unknown", True).allowed
    assert not decide(["payroll-admins"], app, "GET", "unknown", False, OFFICE).allowed
    relaxed = decide(["payroll-admins"], app, "GET", "unknown", True, OFFICE)
    assert relaxed.allowed
    assert relaxed.access_level == "read_only"


def test_office_network_never_lowers_nor_lets_failing_devices_in() -> None:
    policy = AccessPolicy(
        office_network={"confidential": {"managed_healthy": "deny", "unknown": "full"}}
    )

    assert decide(
        ["payroll-admins"], _app(), "POST", "managed_healthy", True, policy
    ).allowed
    assert not decide(
        ["payroll-admins"], _app(), "GET", "failing", True, policy
    ).allowed


def test_only_true_means_office_network() -> None:
    decision = decide(["payroll-admins"], _app(), "GET", "unknown", "yes", OFFICE)  # type: ignore[arg-type]

    assert not decision.allowed


def test_policy_table_must_be_complete() -> None:
    levels = {name: dict(row) for name, row in DEFAULT_LEVELS.items()}
    del levels["internal"]["unknown"]

    with pytest.raises(ValidationError, match="internal: no level for unknown"):
        AccessPolicy.model_validate({"levels": levels})


def test_policy_table_cannot_name_failing() -> None:
    levels = {name: dict(row) for name, row in DEFAULT_LEVELS.items()}
    levels["public"]["failing"] = "full"  # type: ignore[index]

    with pytest.raises(ValidationError):
        AccessPolicy.model_validate({"levels": levels})


def test_decision_log_record_is_one_json_object() -> None:
    decision = decide(
        ["payroll-admins"], _app(), "GET", "managed_healthy", False, user="ann"
    )

    record = json.loads(json.dumps(decision.log_record()))

    assert record == {
        "allowed": True,
        "status": 200,
        "access_level": "full",
        "reason": "full access as writer from a managed_healthy device",
        "user": "ann",
        "groups": ["payroll-admins"],
        "device_trust": "managed_healthy",
        "app": "payroll",
        "method": "GET",
    }


GROUPS = ("finance-staff", "payroll-admins", "marketing", "")
ODD = st.one_of(st.none(), st.integers(), st.text(max_size=8), st.binary(max_size=4))


@settings(max_examples=400, deadline=None)
@given(
    groups=st.one_of(st.lists(st.sampled_from(GROUPS), max_size=4), ODD),
    method=st.one_of(st.sampled_from((*METHODS, "get", "TRACE", "CONNECT")), ODD),
    trust=st.one_of(
        st.sampled_from(TRUST_LEVELS),
        st.builds(DeviceTrust, st.sampled_from(TRUST_LEVELS)),
        ODD,
    ),
    classification=st.one_of(st.sampled_from(CLASSIFICATIONS), st.text(max_size=12)),
    readers=st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3),
    writers=st.lists(st.sampled_from(GROUPS), max_size=3),
    on_office_network=st.one_of(st.booleans(), ODD),
    policy=st.sampled_from([AccessPolicy(), OFFICE]),
)
def test_decide_never_raises_nor_grants_beyond_the_table(
    groups: Any,
    method: Any,
    trust: Any,
    classification: str,
    readers: list[str],
    writers: list[str],
    on_office_network: Any,
    policy: AccessPolicy,
) -> None:
    app = Application.model_construct(
        id="payroll", classification=classification, readers=readers, writers=writers
    )

    decision = decide(groups, app, method, trust, on_office_network, policy)

    assert decision.status == (200 if decision.allowed else 403)
    if not decision.allowed:
        return
    level = trust.level if isinstance(trust, DeviceTrust) else trust
    granted = policy.levels[classification][level]  # type: ignore[index]
    if on_office_network is True:
        office = policy.office_network.get(classification, {})  # type: ignore[call-overload]
        granted = max(
            granted, office.get(level, "deny"), key=["deny", "read_only", "full"].index
        )
    assert isinstance(groups, list)
    assert level != "failing"
    assert set(groups) & set(readers + writers)
    assert granted != "deny"
    assert method in READ_METHODS or (granted == "full" and set(groups) & set(writers))
    assert decision.access_level in ("read_only", "full")
