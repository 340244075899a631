"""The gate's configuration file: the service, the applications, posture and access.

Secrets are never in this file. The push endpoint's HMAC key and the Redis
address (which may hold a password) are read from files or environment
variables named here, so the file itself can live in a ConfigMap.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assessment.document import Document
from assessment.errors import InputError
from assessment.inventory import Classification
from gate.conditional_access import AccessPolicy
from gate.errors import GateConfigError
from gate.posture import PostureConfig

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
Hostname = Annotated[
    str,
    Field(
        max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    ),
]
Seconds = Annotated[datetime.timedelta, Field(gt=datetime.timedelta(0))]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _networks(value: list[str]) -> list[str]:
    for cidr in value:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ValueError(f"{cidr!r} is not an address or CIDR range") from None
    return value


class GateApp(_Section):
    """An application behind the gate, as the inventory describes it."""

    id: Identifier
    host: Hostname
    classification: Classification
    readers: list[Identifier] = Field(min_length=1)
    writers: list[Identifier] = []
    identity_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+/\S*$")] | None = None
    """The app's oauth2-proxy ``/oauth2/auth``; the identity section's URL when absent."""


class IdentitySettings(_Section):
    """How the gate learns who is asking: oauth2-proxy's ``/oauth2/auth``."""

    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+/\S*$")] | None = None
    """The default ``/oauth2/auth`` address, for apps that name none."""
    cookie_names: Annotated[list[str], Field(min_length=1)] = ["_oauth2_proxy"]
    """Session cookies forwarded to oauth2-proxy, with their split parts
    (``_oauth2_proxy_0``, ``_oauth2_proxy_1``...); every other cookie stays here."""
    timeout: Seconds = datetime.timedelta(milliseconds=500)
    """A lookup slower than this denies."""
    cache_ttl: datetime.timedelta = Field(
        default=datetime.timedelta(seconds=30), ge=datetime.timedelta(0)
    )
    """How long an approved session is reused without asking again; 0 disables."""
    cache_size: Annotated[int, Field(ge=1, le=1_000_000)] = 10_000
    """Most sessions remembered at once; the least recently used go first."""
    max_connections: Annotated[int, Field(ge=1, le=1000)] = 32


class ClientCertificateSettings(_Section):
    """How the gateway hands over the client certificate it verified."""

    format: Literal["pem", "xfcc"] = "pem"
    """``pem``: the URL-encoded certificate and the verification result in two
    headers (nginx, ingress-nginx). ``xfcc``: Envoy's ``X-Forwarded-Client-Cert``,
    whose ``Hash`` is the certificate's SHA-256; Envoy only sets it after
    verifying the certificate."""
    certificate_header: str = "X-Client-Cert"
    verify_header: str = "X-Client-Verify"
    """``SUCCESS`` when the gateway verified the certificate against the device CA."""


class FeedSettings(_Section):
    """The device inventory exported by MDM/EDR."""

    path: Path | None = None
    """JSON or CSV; without it, devices come only from the push endpoint."""
    reload_interval: Seconds = datetime.timedelta(seconds=2)
    """How often the file is checked for changes."""


class PushSettings(_Section):
    """The authenticated endpoint MDM/EDR pushes device records to."""

    key_file: Path | None = None
    """The HMAC key; ``key_env`` is read when this is absent. No key disables pushes."""
    key_env: str = "ZTKIT_GATE_PUSH_KEY"
    max_age: Seconds = datetime.timedelta(minutes=5)
    """A push whose timestamp is further than this from the gate's clock is refused."""
    max_body_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024


class StoreSettings(_Section):
    """Where pushed records are shared between replicas."""

    redis_url_env: str = "ZTKIT_GATE_REDIS_URL"
    """The environment variable holding the Redis URL; unset means this replica only."""
    key_prefix: str = "ztkit-gate"
    required: bool = False
    """Report not ready while Redis is unreachable, so a replica never decides
    on device state the others have moved past."""


class LimitSettings(_Section):
    """Bounds on what a request may carry before it is denied unread."""

    max_header_bytes: Annotated[int, Field(ge=256, le=65536)] = 8192
    """Largest single header value the gate will read (the certificate is the biggest)."""
    max_cookie_bytes: Annotated[int, Field(ge=256, le=65536)] = 16384


class GateConfig(_Section):
    """Everything the gate decides with, apart from the device feed itself."""

    posture: PostureConfig = PostureConfig()
    access: AccessPolicy = AccessPolicy()
    apps: list[GateApp] = []
    identity: IdentitySettings = IdentitySettings()
    client_certificate: ClientCertificateSettings = ClientCertificateSettings()
    feed: FeedSettings = FeedSettings()
    push: PushSettings = PushSettings()
    store: StoreSettings = StoreSettings()
    limits: LimitSettings = LimitSettings()
    trusted_peers: list[str] = ["127.0.0.1/32", "::1/128"]
    """Addresses the gateway connects from. Forwarded headers (device, method,
    URI, host, client address) are believed only from these; any other peer
    is denied."""
    office_networks: list[str] = []
    """Client addresses that count as the office network for ``access.office_network``."""
    client_address_header: str = "X-Real-IP"
    """The header in which the gateway states the client's address."""

    _check_trusted_peers = field_validator("trusted_peers")(_networks)
    _check_office_networks = field_validator("office_networks")(_networks)

    @field_validator("apps")
    @classmethod
    def _unique(cls, value: list[GateApp]) -> list[GateApp]:
        for attribute in ("id", "host"):
            seen: set[str] = set()
            for app in value:
                key = getattr(app, attribute)
                if key in seen:
                    raise ValueError(f"two apps have {attribute} {key!r}")
                seen.add(key)
        return value

    def identity_url_for(self, app: GateApp) -> str | None:
        """The oauth2-proxy address to ask about a request to ``app``."""
        return app.identity_url or self.identity.url

    def push_key(self) -> bytes | None:
        """The push endpoint's HMAC key, or ``None`` when pushes are disabled.

        Raises:
            GateConfigError: The key file is unreadable or the key too short.
        """
        if self.push.key_file is not None:
            try:
                key = self.push.key_file.read_bytes().strip()
            except OSError as error:
                raise GateConfigError(
                    f"push.key_file: {str(self.push.key_file)!r}: {error.strerror}"
                ) from None
            source = f"push.key_file {str(self.push.key_file)!r}"
        else:
            key = os.environ.get(self.push.key_env, "").encode()
            source = f"environment variable {self.push.key_env}"
            if not key:
                return None
        if len(key) < 32:
            raise GateConfigError(
                f"{source}: the push key has {len(key)} bytes; at least 32 are needed"
            )
        return key

    def redis_url(self) -> str | None:
        """The shared store's address from the environment, if set."""
        return os.environ.get(self.store.redis_url_env) or None


class _ConfigFileError(InputError):
    """A problem in the gate's configuration file, located to its line."""


def load_gate_config(path: Path) -> GateConfig:
    """Read the gate's YAML configuration; an empty file means all defaults.

    Raises:
        GateConfigError: The file is unreadable, not YAML or not a valid
            configuration; the message names the file, line, field and value.
    """
    try:
        document = Document.read(path, _ConfigFileError)
        return document.validate(GateConfig, document.data or {})
    except InputError as error:
        raise GateConfigError(str(error)) from None
