"""The Keycloak realm generated from the inventory."""

from __future__ import annotations

from assessment.inventory import load_inventory
from components.realm import BROWSER_FLOW, build_realm
from tests.conftest import SAMPLE

INVENTORY = load_inventory(SAMPLE / "inventory.yaml")
APPS = [INVENTORY.apps_by_id[app] for app in ("payroll", "hris", "wiki")]
REALM = build_realm(
    INVENTORY, APPS, "fernhollow", {app.id: f"s-{app.id}" for app in APPS}
)


def test_one_confidential_client_per_app_with_an_exact_redirect() -> None:
    clients = {client["clientId"]: client for client in REALM["clients"]}

    assert set(clients) == {"payroll", "hris", "wiki"}
    payroll = clients["payroll"]
    assert payroll["publicClient"] is False
    assert payroll["secret"] == "s-payroll"
    assert payroll["redirectUris"] == [
        f"https://{INVENTORY.apps_by_id['payroll'].host}/oauth2/callback"
    ]
    assert "*" not in "".join(payroll["redirectUris"] + payroll["webOrigins"])
    assert payroll["implicitFlowEnabled"] is False
    assert payroll["directAccessGrantsEnabled"] is False
    assert payroll["attributes"]["pkce.code.challenge.method"] == "S256"


def test_every_client_puts_groups_in_a_groups_claim() -> None:
    for client in REALM["clients"]:
        mapper = next(m for m in client["protocolMappers"] if m["name"] == "groups")
        assert mapper["protocolMapper"] == "oidc-group-membership-mapper"
        assert mapper["config"]["claim.name"] == "groups"
        assert mapper["config"]["full.path"] == "false"


def test_groups_and_roles_come_from_the_inventory() -> None:
    groups = {group["name"]: group for group in REALM["groups"]}
    payroll = INVENTORY.apps_by_id["payroll"]

    assert set(groups) == {group.id for group in INVENTORY.groups}
    for writer in payroll.writers:
        assert groups[writer]["clientRoles"]["payroll"] == ["reader", "writer"]
    for reader in set(payroll.readers) - set(payroll.writers):
        assert groups[reader]["clientRoles"]["payroll"] == ["reader"]
    outsiders = set(groups) - set(payroll.readers) - set(payroll.writers)
    assert all("payroll" not in groups[g]["clientRoles"] for g in outsiders)


def test_every_sign_in_needs_a_second_factor() -> None:
    flows = {flow["alias"]: flow for flow in REALM["authenticationFlows"]}
    top = flows[REALM["browserFlow"]]
    forms = flows[top["authenticationExecutions"][1]["flowAlias"]]
    second = flows[forms["authenticationExecutions"][1]["flowAlias"]]

    assert REALM["browserFlow"] == BROWSER_FLOW
    assert [s.get("authenticator") for s in forms["authenticationExecutions"]] == [
        "auth-username-password-form",
        None,
    ]
    assert [s["requirement"] for s in forms["authenticationExecutions"]] == [
        "REQUIRED",
        "REQUIRED",
    ]
    assert {s["authenticator"] for s in second["authenticationExecutions"]} == {
        "auth-otp-form",
        "webauthn-authenticator",
    }
    totp = next(a for a in REALM["requiredActions"] if a["alias"] == "CONFIGURE_TOTP")
    assert totp["enabled"] and totp["defaultAction"]


def test_brute_force_password_and_session_limits() -> None:
    assert REALM["bruteForceProtected"] is True
    assert REALM["failureFactor"] == 5
    assert "length(14)" in REALM["passwordPolicy"]
    assert "notUsername" in REALM["passwordPolicy"]
    assert REALM["ssoSessionIdleTimeout"] == 1800
    assert REALM["ssoSessionMaxLifespan"] == 36000
    assert REALM["sslRequired"] == "all"
    assert REALM["registrationAllowed"] is False
