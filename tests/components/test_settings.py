"""Stack settings: one clear message naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from components.errors import StackConfigError
from components.settings import (
    CertManagerDeviceCa,
    InClusterRedis,
    KeycloakSettings,
    parse_settings,
)

VALID: dict[str, Any] = {
    "phase": 2,
    "wave": ["payroll"],
    "domain": "internal.example.org",
    "idp": {"mode": "keycloak"},
    "gateway": {"proxy_cidrs": ["10.244.0.0/16"]},
}


def _with(**changes: Any) -> dict[str, Any]:
    values = dict(VALID)
    for key, value in changes.items():
        if value is None:
            values.pop(key)
        else:
            values[key] = value
    return values


def test_defaults_fill_a_minimal_stack() -> None:
    settings = parse_settings(VALID)

    assert isinstance(settings.idp, KeycloakSettings)
    assert settings.idp.image.startswith("quay.io/keycloak/keycloak:")
    assert settings.gateway.kind == "envoy-gateway"
    assert settings.issuer_url == "https://sso.internal.example.org/realms/ztkit"
    assert settings.posture.namespace == "ztkit-gate"
    assert settings.posture.replicas == 2
    assert isinstance(settings.posture.device_ca, CertManagerDeviceCa)
    assert isinstance(settings.posture.redis, InClusterRedis)
    assert settings.posture.metrics_namespace is None


def test_posture_reuses_the_gate_s_own_checks_and_access_table() -> None:
    settings = parse_settings(
        _with(
            posture={
                "checks": {
                    "min_os_version": {"macos": "14.4"},
                    "max_check_in_age": 3600,
                },
                "access": {"office_network": {"internal": {"unknown": "read_only"}}},
            }
        )
    )

    assert settings.posture.checks.min_os_version == {"macos": "14.4"}
    assert settings.posture.checks.max_check_in_age.total_seconds() == 3600
    assert settings.posture.access.level_for("internal", "unknown", True) == "read_only"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"domain": None}, "ztkit:domain: required stack setting is missing"),
        ({"phase": 7}, "ztkit:phase: 7 is out of range; must be at most 5"),
        ({"phase": "two"}, "ztkit:phase: 'two' is not a whole number"),
        ({"idp": {"mode": "okta"}}, "ztkit:idp.mode: 'okta' is not allowed for 'mode'"),
        (
            {"idp": {"mode": "keycloak", "realmm": "x"}},
            "ztkit:idp.realmm: unknown field 'realmm'; did you mean 'realm'?",
        ),
        (
            {"idp": {"mode": "oidc", "issuer_url": "http://login.example.org"}},
            "ztkit:idp.issuer_url: 'http://login.example.org' does not match",
        ),
        (
            {"idp": {"mode": "keycloak", "database": {"kind": "postgres"}}},
            "ztkit:idp.database.host: required stack setting is missing",
        ),
        (
            {"gateway": {"proxy_cidrs": ["0.0.0.0/0"]}},
            "ztkit:gateway.proxy_cidrs: '0.0.0.0/0' trusts every address",
        ),
        (
            {"gateway": {"proxy_cidrs": ["10.0.0.300/8"]}},
            "'10.0.0.300/8' is not an IP network",
        ),
        (
            {"gateway": {"kind": "traefik", "proxy_cidrs": ["10.0.0.0/8"]}},
            "ztkit:gateway.kind: 'traefik' is not allowed; expected 'envoy-gateway' or "
            "'ingress-nginx'",
        ),
        ({"wave": ["Payroll"]}, "ztkit:wave"),
        (
            {"posture": {"replicas": 0}},
            "ztkit:posture.replicas: 0 is out of range; must be at least 1",
        ),
        (
            {"posture": {"checkz": {}}},
            "ztkit:posture.checkz: unknown field 'checkz'; did you mean 'checks'?",
        ),
        (
            {"posture": {"checks": {"min_os_version": {"macos": "fourteen"}}}},
            "ztkit:posture.checks.min_os_version: macos: 'fourteen' is not a dotted "
            "numeric version",
        ),
        (
            {"posture": {"checks": {"min_os_version": {"beos": "5"}}}},
            "ztkit:posture.checks.min_os_version.beos: 'beos' is not allowed; "
            "expected 'macos'",
        ),
        (
            {"posture": {"access": {"levels": {"public": {}}}}},
            "ztkit:posture.access.levels: public: no level for unknown",
        ),
        (
            {"posture": {"device_ca": {"kind": "vault"}}},
            "ztkit:posture.device_ca.kind: 'vault' is not allowed for 'kind'; "
            "expected 'cert-manager', 'provided'",
        ),
        (
            {"posture": {"redis": {"kind": "external"}}},
            "ztkit:posture.redis.cidr: required stack setting is missing",
        ),
        (
            {"posture": {"redis": {"kind": "external", "cidr": "0.0.0.0/0"}}},
            "ztkit:posture.redis.cidr: '0.0.0.0/0' is every address",
        ),
        (
            {"posture": {"office_networks": ["10.1.0.300/24"]}},
            "ztkit:posture.office_networks: '10.1.0.300/24' is not an IP network",
        ),
        (
            {"posture": {"feed": {"key": "../devices.json"}}},
            "ztkit:posture.feed.key: '../devices.json' does not match",
        ),
    ],
)
def test_each_bad_setting_is_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_settings(_with(**changes))

    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
