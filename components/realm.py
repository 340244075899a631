"""The Keycloak realm generated from the inventory, imported when Keycloak starts.

A plain function, so tests can check every security setting without Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assessment.inventory import Application, Inventory

BROWSER_FLOW = "ztkit-browser-mfa"
FORMS_FLOW = "ztkit-browser-mfa-forms"
SECOND_FACTOR_FLOW = "ztkit-second-factor"
PASSWORD_POLICY = (
    "length(14) and maxLength(128) and notUsername and notEmail and passwordHistory(5)"
)
READER_ROLE = "reader"
WRITER_ROLE = "writer"


def callback_url(app: Application) -> str:
    """The one redirect URI an app's client accepts: its proxy's callback."""
    return f"https://{app.host}/oauth2/callback"


def build_realm(
    inventory: Inventory,
    apps: Sequence[Application],
    realm: str,
    client_secrets: Mapping[str, str],
) -> dict[str, Any]:
    """The realm as Keycloak's import format.

    Args:
        inventory: groups come from here.
        apps: the apps that get a confidential OIDC client.
        realm: the realm's name.
        client_secrets: each app's client secret, by app id.
    """
    groups = [
        {
            "name": group.id,
            "attributes": {"display-name": [group.name]},
            "clientRoles": _client_roles_of(group.id, apps),
        }
        for group in inventory.groups
    ]
    return {
        "realm": realm,
        "displayName": inventory.organisation.name,
        "enabled": True,
        "sslRequired": "all",
        "registrationAllowed": False,
        "rememberMe": False,
        "verifyEmail": True,
        "loginWithEmailAllowed": True,
        "duplicateEmailsAllowed": False,
        "resetPasswordAllowed": True,
        # Brute-force protection: lock out for growing periods after 5 failures.
        "bruteForceProtected": True,
        "permanentLockout": False,
        "failureFactor": 5,
        "waitIncrementSeconds": 60,
        "maxFailureWaitSeconds": 900,
        "maxDeltaTimeSeconds": 43200,
        "minimumQuickLoginWaitSeconds": 60,
        "quickLoginCheckMilliSeconds": 1000,
        "passwordPolicy": PASSWORD_POLICY,
        # Session limits: idle 30 minutes, at most 10 hours, short access tokens.
        "ssoSessionIdleTimeout": 1800,
        "ssoSessionMaxLifespan": 36000,
        "accessTokenLifespan": 300,
        "offlineSessionIdleTimeout": 86400,
        "offlineSessionMaxLifespanEnabled": True,
        "offlineSessionMaxLifespan": 604800,
        "otpPolicyType": "totp",
        "otpPolicyAlgorithm": "HmacSHA1",
        "otpPolicyDigits": 6,
        "otpPolicyPeriod": 30,
        "webAuthnPolicyUserVerificationRequirement": "required",
        "webAuthnPolicyRpEntityName": inventory.organisation.name,
        "browserFlow": BROWSER_FLOW,
        "authenticationFlows": _mfa_flows(),
        "requiredActions": [
            {
                "alias": "CONFIGURE_TOTP",
                "name": "Configure OTP",
                "providerId": "CONFIGURE_TOTP",
                "enabled": True,
                "defaultAction": True,
                "priority": 10,
                "config": {},
            },
            {
                "alias": "webauthn-register",
                "name": "Webauthn Register",
                "providerId": "webauthn-register",
                "enabled": True,
                "defaultAction": False,
                "priority": 20,
                "config": {},
            },
        ],
        "roles": {
            "client": {
                app.id: [
                    {"name": READER_ROLE, "description": f"Read {app.name}"},
                    {"name": WRITER_ROLE, "description": f"Change {app.name}"},
                ]
                for app in apps
            }
        },
        "groups": groups,
        "clients": [_client(app, client_secrets[app.id]) for app in apps],
    }


def _client_roles_of(group: str, apps: Sequence[Application]) -> dict[str, list[str]]:
    roles: dict[str, list[str]] = {}
    for app in apps:
        granted = []
        if group in app.readers or group in app.writers:
            granted.append(READER_ROLE)
        if group in app.writers:
            granted.append(WRITER_ROLE)
        if granted:
            roles[app.id] = granted
    return roles


def _client(app: Application, secret: str) -> dict[str, Any]:
    return {
        "clientId": app.id,
        "name": app.name,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": secret,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "frontchannelLogout": True,
        "rootUrl": f"https://{app.host}",
        "baseUrl": "/",
        "redirectUris": [callback_url(app)],
        "webOrigins": [f"https://{app.host}"],
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": f"https://{app.host}/",
        },
        "protocolMappers": [
            {
                "name": "groups",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-group-membership-mapper",
                "config": {
                    "claim.name": "groups",
                    "full.path": "false",
                    "id.token.claim": "true",
                    "access.token.claim": "true",
                    "userinfo.token.claim": "true",
                },
            },
            {
                "name": "audience",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {
                    "included.client.audience": app.id,
                    "id.token.claim": "true",
                    "access.token.claim": "true",
                },
            },
        ],
    }


def _mfa_flows() -> list[dict[str, Any]]:
    """A browser flow that always asks for a second factor: OTP or WebAuthn."""

    def step(authenticator: str, requirement: str, priority: int) -> dict[str, Any]:
        return {
            "authenticator": authenticator,
            "authenticatorFlow": False,
            "requirement": requirement,
            "priority": priority,
            "userSetupAllowed": False,
        }

    def subflow(alias: str, requirement: str, priority: int) -> dict[str, Any]:
        return {
            "flowAlias": alias,
            "authenticatorFlow": True,
            "requirement": requirement,
            "priority": priority,
            "userSetupAllowed": False,
        }

    def flow(
        alias: str, description: str, top: bool, steps: list[Any]
    ) -> dict[str, Any]:
        return {
            "alias": alias,
            "description": description,
            "providerId": "basic-flow",
            "topLevel": top,
            "builtIn": False,
            "authenticationExecutions": steps,
        }

    return [
        flow(
            BROWSER_FLOW,
            "Browser sign-in with a mandatory second factor",
            True,
            [
                step("auth-cookie", "ALTERNATIVE", 10),
                subflow(FORMS_FLOW, "ALTERNATIVE", 20),
            ],
        ),
        flow(
            FORMS_FLOW,
            "Password, then a second factor",
            False,
            [
                step("auth-username-password-form", "REQUIRED", 10),
                subflow(SECOND_FACTOR_FLOW, "REQUIRED", 20),
            ],
        ),
        flow(
            SECOND_FACTOR_FLOW,
            "One-time password or security key",
            False,
            [
                step("auth-otp-form", "ALTERNATIVE", 10),
                step("webauthn-authenticator", "ALTERNATIVE", 20),
            ],
        ),
    ]
