"""The ``ztkit:`` stack settings, validated before any resource is declared."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assessment.document import describe_error, format_path
from components.errors import StackConfigError

KEYCLOAK_IMAGE = "quay.io/keycloak/keycloak:26.0.7"
OAUTH2_PROXY_IMAGE = "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1"

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
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(
                    f"{cidr!r} is not an IP network in CIDR notation"
                ) from None
            if network.prefixlen == 0:
                raise ValueError(
                    f"{cidr!r} trusts every address; name the gateway's pod network"
                )
        return value


class StackSettings(_Setting):
    """Every ``ztkit:`` key of a stack."""

    phase: Annotated[int, Field(ge=0, le=5)]
    wave: list[DnsLabel] | Literal["all"] = []
    inventory: Annotated[str, Field(min_length=1)] = "sample/inventory.yaml"
    domain: Domain
    idp: KeycloakSettings | OidcSettings = Field(discriminator="mode")
    gateway: GatewaySettings

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
SECRET_KEYS = ("oidcClientSecrets", "keycloakDatabasePassword")


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
    # Pydantic names the chosen member of a tagged union in the location
    # ("keycloak", "oidc", "dev"); those are not keys the user wrote.
    return part not in ("keycloak", "oidc", "dev", "postgres", "list[constrained-str]")
