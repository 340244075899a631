"""Device health checks and the trust level they give a device."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gate.device_feed import OS_VERSION_PATTERN, DeviceRecord, Platform

TrustLevel = Literal["unknown", "failing", "healthy_unmanaged", "managed_healthy"]
TRUST_LEVELS: tuple[TrustLevel, ...] = (
    "unknown",
    "failing",
    "healthy_unmanaged",
    "managed_healthy",
)


class PostureConfig(BaseModel):
    """What a device must satisfy to count as healthy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_os_version: dict[Platform, str] = {}
    """Lowest acceptable OS version per platform; a platform not listed has none."""
    require_disk_encryption: bool = True
    require_firewall: bool = True
    require_edr: bool = True
    max_check_in_age: datetime.timedelta = Field(
        default=datetime.timedelta(hours=24), gt=datetime.timedelta(0)
    )
    """A device silent for longer than this is failing: its report is stale."""
    clock_skew: datetime.timedelta = Field(
        default=datetime.timedelta(minutes=5), ge=datetime.timedelta(0)
    )
    """How far in the future a check-in may lie before it is distrusted."""

    @field_validator("min_os_version")
    @classmethod
    def _comparable(cls, value: dict[Platform, str]) -> dict[Platform, str]:
        for platform, version in value.items():
            if not re.match(OS_VERSION_PATTERN, version):
                raise ValueError(
                    f"{platform}: {version!r} is not a dotted numeric version "
                    "such as '14.2'"
                )
        return value


def version_tuple(version: str) -> tuple[int, ...]:
    """A dotted numeric version as a tuple of integers: ``"14.2.1"`` → ``(14, 2, 1)``."""
    return tuple(int(part) for part in version.split("."))


def version_at_least(version: str, minimum: str) -> bool:
    """Whether ``version`` is ``minimum`` or newer, compared part by part.

    Missing parts count as zero, so ``"14.2"`` equals ``"14.2.0"``.
    """
    have, need = version_tuple(version), version_tuple(minimum)
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


@dataclass(frozen=True)
class DeviceTrust:
    """How far the gate trusts a device, and why it does not trust it more."""

    level: TrustLevel
    reasons: tuple[str, ...] = ()
    """The failed health checks when ``level`` is ``failing``."""


def assess_device(
    record: DeviceRecord | None, config: PostureConfig, now: datetime.datetime
) -> DeviceTrust:
    """Run the health checks on a device's last report.

    Args:
        record: The device's feed record; ``None`` when the request carried no
            client certificate or the device is not in the feed.
        config: The health checks to run.
        now: The current time, with a timezone.

    Returns:
        ``unknown`` without a record, ``failing`` with every failed check listed,
        otherwise ``managed_healthy`` or ``healthy_unmanaged``.
    """
    if record is None:
        return DeviceTrust("unknown", ("no device record",))
    if now.tzinfo is None or now.utcoffset() is None:
        return DeviceTrust("failing", ("the gate's clock has no timezone",))

    reasons: list[str] = []
    minimum = config.min_os_version.get(record.platform)
    if minimum is not None and not version_at_least(record.os_version, minimum):
        reasons.append(f"{record.platform} {record.os_version} is older than {minimum}")
    if config.require_disk_encryption and not record.disk_encrypted:
        reasons.append("disk not encrypted")
    if config.require_firewall and not record.firewall:
        reasons.append("firewall off")
    if config.require_edr and not record.edr_running:
        reasons.append("EDR not running")

    age = now - record.last_check_in
    if age > config.max_check_in_age:
        reasons.append(f"last check-in {age} ago exceeds {config.max_check_in_age}")
    elif -age > config.clock_skew:
        reasons.append("last check-in is in the future")

    if reasons:
        return DeviceTrust("failing", tuple(reasons))
    return DeviceTrust("managed_healthy" if record.managed else "healthy_unmanaged")
