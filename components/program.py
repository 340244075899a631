"""The Pulumi program: stack settings and the inventory, turned into components.

``__main__.py`` runs it under the Pulumi engine; ``ztkit plan`` runs the same
function under the SDK's mock monitor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from assessment.errors import AssessmentError
from assessment.inventory import Application, Inventory, load_inventory
from components.device_ca import CA_CERTIFICATE_KEY, read_device_ca_certificate
from components.errors import StackConfigError
from components.phases import ZeroTrustStack, ZeroTrustStackArgs
from components.settings import (
    SETTING_KEYS,
    ExternalRedis,
    KeycloakSettings,
    OidcSettings,
    PostgresDatabase,
    ProvidedDeviceCa,
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
        if key in ("idp", "gateway", "posture"):
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

    posture = PostureInputs()
    if settings.phase >= 4:
        posture = posture_inputs(settings, apps)

    return ZeroTrustStack(
        STACK_NAME,
        ZeroTrustStackArgs(
            settings=settings,
            inventory=inventory,
            apps=apps,
            database_password=database_password,
            oidc_client_secrets=client_secrets,
            gate_push_key=posture.push_key,
            gate_redis_url=posture.redis_url,
            device_ca_certificate=posture.device_ca_certificate,
        ),
    )


@dataclass(frozen=True)
class PostureInputs:
    """The posture gate's values that live outside ``ztkit:posture``."""

    push_key: pulumi.Input[str] | None = None
    redis_url: pulumi.Input[str] | None = None
    device_ca_certificate: str | None = None


def posture_inputs(settings: StackSettings, apps: list[Application]) -> PostureInputs:
    """Read and check the gate's secret and certificate settings.

    Raises:
        StackConfigError: the gate's namespace is taken, or a setting its
            ``ztkit:posture`` choices need is missing or bad.
    """
    posture = settings.posture
    taken = {app.namespace: f"the namespace of app {app.id!r}" for app in apps}
    taken[settings.gateway.namespace] = "the gateway's namespace"
    if isinstance(settings.idp, KeycloakSettings):
        taken[settings.idp.namespace] = "the identity provider's namespace"
    if posture.namespace in taken:
        raise StackConfigError(
            f"{PROJECT}:posture.namespace: {posture.namespace!r} is "
            f"{taken[posture.namespace]}; the gate needs a namespace of its own"
        )

    push_key = pulumi.runtime.get_config(f"{PROJECT}:gatePushKey")
    redis_url = None
    if isinstance(posture.redis, ExternalRedis):
        redis_url = pulumi.runtime.get_config(f"{PROJECT}:gateRedisUrl")
        if not redis_url:
            raise StackConfigError(
                f"{PROJECT}:gateRedisUrl: required secret setting is missing with "
                "posture.redis.kind 'external' (pulumi config set --secret "
                "ztkit:gateRedisUrl rediss://...)"
            )
    certificate = None
    if isinstance(posture.device_ca, ProvidedDeviceCa):
        certificate = read_device_ca_certificate(
            pulumi.runtime.get_config(f"{PROJECT}:{CA_CERTIFICATE_KEY}")
        )
    return PostureInputs(
        push_key=pulumi.Output.secret(push_key) if push_key else None,
        redis_url=pulumi.Output.secret(redis_url) if redis_url else None,
        device_ca_certificate=certificate,
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
