"""The Pulumi program: stack settings and the inventory, turned into components.

``__main__.py`` runs it under the Pulumi engine; ``ztkit plan`` runs the same
function under the SDK's mock monitor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi

from assessment.errors import AssessmentError
from assessment.inventory import Application, Inventory, load_inventory
from components.errors import StackConfigError
from components.phases import ZeroTrustStack, ZeroTrustStackArgs
from components.settings import (
    SETTING_KEYS,
    OidcSettings,
    PostgresDatabase,
    StackSettings,
    parse_settings,
)

PROJECT = "ztkit"
STACK_NAME = "ztkit"


def read_settings() -> StackSettings:
    """The ``ztkit:`` settings of the running stack, validated."""
    values: dict[str, Any] = {}
    for key in SETTING_KEYS:
        raw = pulumi.runtime.get_config(f"{PROJECT}:{key}")
        if raw is None:
            continue
        values[key] = _decode(key, raw)
    return parse_settings(values)


def _decode(key: str, raw: str) -> Any:
    # Pulumi hands every value over as text; objects, lists and numbers as JSON.
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        if key in ("idp", "gateway"):
            raise StackConfigError(
                f"{PROJECT}:{key}: {raw!r} is not an object"
            ) from None
        return raw


def wave_apps(settings: StackSettings, inventory: Inventory) -> list[Application]:
    """The inventory's apps the stack's wave names, in inventory order."""
    if settings.wave == "all":
        return list(inventory.applications)
    unknown = [app for app in settings.wave if app not in inventory.apps_by_id]
    if unknown:
        raise StackConfigError(
            f"{PROJECT}:wave: {unknown[0]!r} is not an application of {settings.inventory}"
        )
    wanted = set(settings.wave)
    return [app for app in inventory.applications if app.id in wanted]


def _secret_object(key: str) -> dict[str, str]:
    raw = pulumi.runtime.get_config(f"{PROJECT}:{key}")
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(v, str) for v in value.values()
    ):
        raise StackConfigError(f"{PROJECT}:{key}: expected a map of app id to secret")
    return value


def build(project_root: Path) -> ZeroTrustStack:
    """Declare the whole stack from the running stack's config.

    Raises:
        StackConfigError: for a missing or bad ``ztkit:`` setting.
        AssessmentError: for a bad inventory.
    """
    settings = read_settings()
    inventory_path = Path(settings.inventory)
    if not inventory_path.is_absolute():
        inventory_path = project_root / inventory_path
    inventory = load_inventory(inventory_path)
    apps = wave_apps(settings, inventory)

    database_password: pulumi.Input[str] | None = None
    if not isinstance(settings.idp, OidcSettings) and isinstance(
        settings.idp.database, PostgresDatabase
    ):
        raw = pulumi.runtime.get_config(f"{PROJECT}:keycloakDatabasePassword")
        if not raw:
            raise StackConfigError(
                f"{PROJECT}:keycloakDatabasePassword: required secret setting is missing "
                "(pulumi config set --secret ztkit:keycloakDatabasePassword ...)"
            )
        database_password = pulumi.Output.secret(raw)

    client_secrets: dict[str, pulumi.Input[str]] = {}
    if isinstance(settings.idp, OidcSettings):
        given = _secret_object("oidcClientSecrets")
        missing = [app.id for app in apps if app.id not in given]
        if missing:
            raise StackConfigError(
                f"{PROJECT}:oidcClientSecrets: no client secret for {missing[0]!r}; "
                "set one per app of the wave as secret config"
            )
        client_secrets = {
            app: pulumi.Output.secret(secret) for app, secret in given.items()
        }

    return ZeroTrustStack(
        STACK_NAME,
        ZeroTrustStackArgs(
            settings=settings,
            inventory=inventory,
            apps=apps,
            database_password=database_password,
            oidc_client_secrets=client_secrets,
        ),
    )


def run(project_root: Path) -> None:
    """The program's entry point under the Pulumi engine: one clear line on bad config."""
    try:
        stack = build(project_root)
    except (StackConfigError, AssessmentError) as exc:
        # Pulumi prints the message of an error raised by the program; the
        # traceback adds nothing for a configuration mistake.
        raise SystemExit(f"error: {exc}") from None
    pulumi.export("phase", stack.phase)
    pulumi.export("wave", stack.wave)
