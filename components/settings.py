"""The ``ztkit:`` stack settings, validated before any resource is declared."""

from __future__ import annotations

import datetime
import ipaddress
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assessment.document import describe_error, format_path
from components.errors import StackConfigError
from gate.conditional_access import AccessPolicy
from gate.posture import PostureConfig

KEYCLOAK_IMAGE = "quay.io/keycloak/keycloak:26.0.7"
OAUTH2_PROXY_IMAGE = "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1"
POSTURE_GATE_IMAGE = "ghcr.io/ztkit/posture-gate:0.1.0"
REDIS_IMAGE = "docker.io/library/redis:7.4.2-alpine"

DnsLabel = Annotated[
    str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
]
Domain = Annotated[
    str,
    Field(
        min_length=1,
        max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$",
    ),
]


class _Setting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DevDatabase(_Setting):
    """Keycloak's built-in file database on a protected volume: one replica only."""

    kind: Literal["dev"] = "dev"
    storage: str = "1Gi"


class PostgresDatabase(_Setting):
    """An external PostgreSQL; its password comes from the secret setting
    ``ztkit:keycloakDatabasePassword``."""

    kind: Literal["postgres"]
    host: Domain
    port: Annotated[int, Field(ge=1, le=65535)] = 5432
    database: Annotated[str, Field(min_length=1)] = "keycloak"
    username: Annotated[str, Field(min_length=1)] = "keycloak"


class KeycloakSettings(_Setting):
    """Keycloak deployed in the cluster, its realm generated from the inventory."""

    mode: Literal["keycloak"]
    namespace: DnsLabel = "identity"
    hostname: Domain | None = None
    """Defaults to ``sso.<domain>``."""
    realm: DnsLabel = "ztkit"
    image: str = KEYCLOAK_IMAGE
    replicas: Annotated[int, Field(ge=1, le=10)] = 1
    database: DevDatabase | PostgresDatabase = Field(
        default_factory=DevDatabase, discriminator="kind"
    )


class OidcSettings(_Setting):
    """An external OIDC issuer; client secrets come from the secret setting
    ``ztkit:oidcClientSecrets``, a map of app id to secret."""

    mode: Literal["oidc"]
    issuer_url: Annotated[str, Field(pattern=r"^https://[^\s/$.?#][^\s]*$")]
    client_ids: dict[str, str] = {}
    """Client id per app; an app not listed uses its own id."""


def _network(cidr: str, too_wide: str | None = None) -> str:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise ValueError(f"{cidr!r} is not an IP network in CIDR notation") from None
    if too_wide and network.prefixlen == 0:
        raise ValueError(f"{cidr!r} {too_wide}")
    return cidr


class GatewaySettings(_Setting):
    """The platform's gateway that ztkit writes routes and external auth for."""

    kind: Literal["envoy-gateway", "ingress-nginx"] = "envoy-gateway"
    namespace: DnsLabel = "envoy-gateway-system"
    name: DnsLabel = "ztkit"
    """The Gateway (envoy-gateway) or ingress class (ingress-nginx) to attach to."""
    labels: dict[str, str] = {"app.kubernetes.io/name": "envoy"}
    """Labels of the gateway's pods, for network policies."""
    proxy_cidrs: Annotated[list[str], Field(min_length=1)]
    """Addresses the gateway's pods connect from: the only peers oauth2-proxy
    takes X-Forwarded headers from."""

    @field_validator("proxy_cidrs")
    @classmethod
    def _narrow_networks(cls, value: list[str]) -> list[str]:
        for cidr in value:
            _network(cidr, "trusts every address; name the gateway's pod network")
        return value


class CertManagerDeviceCa(_Setting):
    """A device CA issued in the cluster by cert-manager: a self-signed root
    whose key never leaves the gate's namespace, and an Issuer that signs
    device certificates with it."""

    kind: Literal["cert-manager"] = "cert-manager"
    common_name: Annotated[str, Field(min_length=1, max_length=64)] = "ztkit device CA"
    duration: Annotated[str, Field(pattern=r"^[0-9]+h$")] = "87600h"
    """How long the CA certificate is valid, in hours; every device certificate
    must be reissued when it is renewed."""


class ProvidedDeviceCa(_Setting):
    """The organisation's own device CA; its PEM certificate comes from the
    setting ``ztkit:deviceCaCertificate``."""

    kind: Literal["provided"]


class InClusterRedis(_Setting):
    """A small Redis beside the gate, without persistence: the feed is the
    source of truth and MDM sends its pushes again."""

    kind: Literal["in-cluster"] = "in-cluster"
    image: str = REDIS_IMAGE
    required: bool = False
    """Report the gate not ready while Redis is down. Off by default: with one
    Redis, a restart of it would take every replica out of service."""


class ExternalRedis(_Setting):
    """A Redis the platform runs; its URL comes from the secret setting
    ``ztkit:gateRedisUrl``."""

    kind: Literal["external"]
    cidr: str
    """Where the Redis endpoint lives: the only address the gate may reach it at."""
    port: Annotated[int, Field(ge=1, le=65535)] = 6379
    required: bool = False

    @field_validator("cidr")
    @classmethod
    def _narrow_network(cls, value: str) -> str:
        return _network(value, "is every address; name the Redis endpoint's network")


class DeviceFeedSettings(_Setting):
    """The device inventory the MDM export job writes to a ConfigMap."""

    config_map: DnsLabel = "device-feed"
    """The ConfigMap in the gate's namespace; the export job owns it, ztkit
    only mounts it (optional, so the gate starts before the first export)."""
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9][-._A-Za-z0-9]*$")] = "devices.json"
    """The file in the ConfigMap: ``.json`` is read as JSON, anything else as CSV."""
    reload_interval: datetime.timedelta = Field(
        default=datetime.timedelta(seconds=10), gt=datetime.timedelta(0)
    )


class PostureSettings(_Setting):
    """Phase 4: the posture gate and the device checks it enforces."""

    namespace: DnsLabel = "ztkit-gate"
    image: str = POSTURE_GATE_IMAGE
    replicas: Annotated[int, Field(ge=1, le=20)] = 2
    """Two or more keep access decisions flowing through a node drain."""
    checks: PostureConfig = PostureConfig()
    """Minimum OS version per platform, encryption, firewall, EDR, check-in age."""
    access: AccessPolicy = AccessPolicy()
    """The access level per data classification and device trust."""
    office_networks: list[str] = []
    """Client addresses that count as the office for ``access.office_network``."""
    device_ca: CertManagerDeviceCa | ProvidedDeviceCa = Field(
        default_factory=CertManagerDeviceCa, discriminator="kind"
    )
    redis: InClusterRedis | ExternalRedis = Field(
        default_factory=InClusterRedis, discriminator="kind"
    )
    feed: DeviceFeedSettings = DeviceFeedSettings()
    metrics_namespace: DnsLabel | None = None
    """The namespace whose pods may scrape the gate's metrics (9090); closed
    to everyone when unset."""
    push_hostname: Domain | None = None
    """Where MDM pushes device records through the gateway
    (``https://<host>/push/devices``); without it no route leads there."""

    @field_validator("office_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for cidr in value:
            _network(cidr)
        return value


class StackSettings(_Setting):
    """Every ``ztkit:`` key of a stack."""

    phase: Annotated[int, Field(ge=0, le=5)]
    wave: list[DnsLabel] | Literal["all"] = []
    inventory: Annotated[str, Field(min_length=1)] = "sample/inventory.yaml"
    domain: Domain
    idp: KeycloakSettings | OidcSettings = Field(discriminator="mode")
    gateway: GatewaySettings
    posture: PostureSettings = PostureSettings()

    @property
    def keycloak_hostname(self) -> str:
        """Where Keycloak answers, in keycloak mode."""
        assert isinstance(self.idp, KeycloakSettings)
        return self.idp.hostname or f"sso.{self.domain}"

    @property
    def issuer_url(self) -> str:
        """The OIDC issuer every access proxy trusts."""
        if isinstance(self.idp, OidcSettings):
            return self.idp.issuer_url
        return f"https://{self.keycloak_hostname}/realms/{self.idp.realm}"


SETTING_KEYS = tuple(StackSettings.model_fields)
SECRET_KEYS = (
    "oidcClientSecrets",
    "keycloakDatabasePassword",
    "gatePushKey",
    "gateRedisUrl",
)
UNION_TAGS = (
    "keycloak",
    "oidc",
    "dev",
    "postgres",
    "cert-manager",
    "provided",
    "in-cluster",
    "external",
    "list[constrained-str]",
)
"""How pydantic names the chosen member of a tagged union in an error's
location; those are not keys the user wrote."""


def parse_settings(values: dict[str, Any]) -> StackSettings:
    """Validate raw ``ztkit:`` values (without the prefix).

    Raises:
        StackConfigError: naming the key, the bad value and what is allowed.
    """
    try:
        return StackSettings.model_validate(values)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        key = "ztkit:" + format_path([part for part in error["loc"] if _is_path(part)])
        message = describe_error(StackSettings, error)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            key += "." + str(error.get("ctx", {}).get("discriminator", "")).strip("'")
        if error["type"] == "missing":
            message = "required stack setting is missing"
        raise StackConfigError(f"{key}: {message}") from None


def _is_path(part: str | int) -> bool:
    # "[key]" marks an error in a mapping's key rather than its value; the key
    # itself is already the part before it.
    return part not in UNION_TAGS and part != "[key]"
