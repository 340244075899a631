"""What a person may do on a device with an application's data.

The decision combines three things: the person's groups (the application's
readers and writers), the device's trust level (from the posture checks) and
the application's data classification. It is pure: no I/O, no clock, and it
never raises. Anything unexpected denies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, field_validator

from assessment.inventory import CLASSIFICATIONS, Classification
from gate.posture import TRUST_LEVELS, DeviceTrust

logger = logging.getLogger(__name__)

AccessLevel = Literal["deny", "read_only", "full"]
ACCESS_LEVELS: tuple[AccessLevel, ...] = ("deny", "read_only", "full")
_RANK: dict[str, int] = {level: rank for rank, level in enumerate(ACCESS_LEVELS)}

# A failing device is denied by the code, not by the table, so no policy
# file can let one in.
TableTrust = Literal["unknown", "healthy_unmanaged", "managed_healthy"]
TABLE_TRUSTS: tuple[TableTrust, ...] = (
    "unknown",
    "healthy_unmanaged",
    "managed_healthy",
)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that only read; every other method needs ``full`` access."""

AccessTable = dict[Classification, dict[TableTrust, AccessLevel]]

DEFAULT_LEVELS: AccessTable = {
    "restricted": {
        "unknown": "deny",
        "healthy_unmanaged": "deny",
        "managed_healthy": "full",
    },
    "confidential": {
        "unknown": "deny",
        "healthy_unmanaged": "read_only",
        "managed_healthy": "full",
    },
    # Fail closed: a device the gate cannot identify sees no internal data.
    "internal": {
        "unknown": "deny",
        "healthy_unmanaged": "full",
        "managed_healthy": "full",
    },
    "public": {
        "unknown": "full",
        "healthy_unmanaged": "full",
        "managed_healthy": "full",
    },
}


class AccessPolicy(BaseModel):
    """The access level each classification allows from each device trust level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: AccessTable = DEFAULT_LEVELS
    """The full table: every classification and every trust level but ``failing``."""
    office_network: dict[Classification, dict[TableTrust, AccessLevel]] = {}
    """Opt-in relaxation on the office network, per classification.

    A level here replaces the table's only when it is higher; it never lowers
    access and never applies to a failing device.
    """

    @field_validator("levels")
    @classmethod
    def _complete(cls, value: AccessTable) -> AccessTable:
        for classification in CLASSIFICATIONS:
            row = value.get(classification)
            if row is None:
                raise ValueError(f"no row for {classification!r}")
            missing = [trust for trust in TABLE_TRUSTS if trust not in row]
            if missing:
                raise ValueError(
                    f"{classification}: no level for {', '.join(missing)}; "
                    f"every one of {', '.join(TABLE_TRUSTS)} needs a level"
                )
        return value

    def level_for(
        self, classification: str, trust: str, on_office_network: bool
    ) -> AccessLevel:
        """The device's access level for one classification, before group checks.

        Unknown classifications and trust levels, including ``failing``, get
        ``deny``.
        """
        level = _lookup(self.levels, classification, trust)
        if on_office_network is True:
            relaxed = _lookup(self.office_network, classification, trust)
            if _RANK[relaxed] > _RANK[level]:
                level = relaxed
        return level


def _lookup(table: AccessTable, classification: str, trust: str) -> AccessLevel:
    # Compared by equality so arbitrary strings from a request can be looked up
    # in a table keyed by literals; ``failing`` is never a key, so it gets deny.
    for name, row in table.items():
        if name == classification:
            for key, level in row.items():
                if key == trust:
                    return level
    return "deny"


DEFAULT_POLICY = AccessPolicy()


class ProtectedApp(Protocol):
    """What the decision needs to know about an application.

    An inventory ``Application`` and the gate configuration's ``GateApp``
    both provide it.
    """

    @property
    def id(self) -> str: ...

    @property
    def classification(self) -> str: ...

    @property
    def readers(self) -> list[str]: ...

    @property
    def writers(self) -> list[str]: ...


@dataclass(frozen=True)
class Decision:
    """The gate's answer to one request, and the one log line it produces."""

    allowed: bool
    status: int
    """200 allows, 403 denies."""
    access_level: AccessLevel
    """What the person may do here: on a denial, the level they would have had."""
    reason: str
    """One short sentence; safe to log (no tokens, no cookies)."""
    user: str | None
    groups: tuple[str, ...]
    device_trust: str
    app: str | None = None
    method: str | None = None

    def log_record(self) -> dict[str, Any]:
        """The decision as a JSON-serialisable mapping, for the one log line."""
        record = asdict(self)
        record["groups"] = list(self.groups)
        return record


def _groups_of(user_groups: object) -> tuple[str, ...] | None:
    # A bare string is a caller's mistake: iterating it would yield letters.
    if user_groups is None or isinstance(user_groups, str | bytes):
        return None
    if not isinstance(user_groups, Iterable):
        return None
    groups = tuple(user_groups)
    if not all(isinstance(group, str) for group in groups):
        return None
    return tuple(sorted(set(groups)))


def _names(value: object) -> frozenset[str] | None:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) for v in value
    ):
        return None
    return frozenset(value)


def decide(
    user_groups: Iterable[str] | None,
    app: ProtectedApp,
    method: str,
    device_trust: DeviceTrust | str,
    on_office_network: bool,
    policy: AccessPolicy = DEFAULT_POLICY,
    *,
    user: str | None = None,
) -> Decision:
    """Decide what a request may do.

    Writers get at most ``full``, readers at most ``read_only``, others
    nothing; the device's trust and the data's classification cap that again.
    Reads (GET, HEAD, OPTIONS) need ``read_only``; everything else ``full``.

    Args:
        user_groups: The person's groups from the identity provider.
        app: The application being reached.
        method: The request's HTTP method, exactly as sent.
        device_trust: The device's trust, from ``assess_device``.
        on_office_network: The request came from the office network; only
            ``True`` itself relaxes anything.
        policy: The access table.
        user: The person, for the log line.

    Returns:
        The decision. Never raises: any unexpected input denies.
    """
    try:
        return _decide(
            user_groups, app, method, device_trust, on_office_network, policy, user
        )
    except Exception:
        logger.exception("access decision failed; denying")
        return Decision(
            allowed=False,
            status=403,
            access_level="deny",
            reason="internal error while deciding",
            user=user if isinstance(user, str) else None,
            groups=(),
            device_trust="unknown",
        )


def _decide(
    user_groups: object,
    app: object,
    method: object,
    device_trust: object,
    on_office_network: object,
    policy: object,
    user: object,
) -> Decision:
    groups = _groups_of(user_groups)
    trust = (
        device_trust.level if isinstance(device_trust, DeviceTrust) else device_trust
    )
    trust_name = trust if isinstance(trust, str) else repr(trust)
    app_id = getattr(app, "id", None)
    app_name = app_id if isinstance(app_id, str) else None
    method_name = method if isinstance(method, str) else None

    def result(level: AccessLevel, reason: str, allowed: bool = False) -> Decision:
        return Decision(
            allowed=allowed,
            status=200 if allowed else 403,
            access_level=level,
            reason=reason,
            user=user if isinstance(user, str) else None,
            groups=groups or (),
            device_trust=trust_name,
            app=app_name,
            method=method_name,
        )

    if not isinstance(policy, AccessPolicy):
        return result("deny", "no access policy")
    if groups is None:
        return result("deny", "no group information for the user")
    if app_name is None:
        return result("deny", "unknown application")
    if method_name is None:
        return result("deny", f"unusable method {method!r}")
    classification = getattr(app, "classification", None)
    if not isinstance(classification, str) or classification not in policy.levels:
        return result("deny", f"unknown classification {classification!r}")
    if trust not in TRUST_LEVELS:
        return result("deny", f"unknown device trust {trust_name}")
    if trust == "failing":
        why = (
            "; ".join(device_trust.reasons)
            if isinstance(device_trust, DeviceTrust)
            else ""
        )
        return result(
            "deny", f"device failing posture checks{': ' + why if why else ''}"
        )

    readers = _names(getattr(app, "readers", None))
    writers = _names(getattr(app, "writers", None))
    if readers is None or writers is None:
        return result("deny", "application has malformed reader or writer groups")
    group_level: AccessLevel
    if writers.intersection(groups):
        role, group_level = "writer", "full"
    elif readers.intersection(groups):
        role, group_level = "reader", "read_only"
    else:
        return result("deny", f"not in a reader or writer group of {app_name}")

    device_level = policy.level_for(classification, trust, on_office_network is True)
    level: AccessLevel = min(device_level, group_level, key=_RANK.__getitem__)
    needed: AccessLevel = "read_only" if method_name in READ_METHODS else "full"
    if _RANK[level] < _RANK[needed]:
        if level == "deny":
            return result(
                level, f"{classification} data is denied from a {trust} device"
            )
        limit = "device" if _RANK[device_level] < _RANK[group_level] else role
        return result(level, f"{method_name} needs full access; {limit} allows {level}")

    return result(
        level, f"{level} access as {role} from a {trust} device", allowed=True
    )
