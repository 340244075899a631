"""Device health checks and the trust level they give."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from gate.device_feed import DeviceRecord
from gate.posture import PostureConfig, assess_device, version_at_least

NOW = datetime.datetime(2026, 12, 3, 12, tzinfo=datetime.UTC)
CONFIG = PostureConfig(min_os_version={"macos": "14.2", "windows": "10.0.19045"})


def _device(**changes: Any) -> DeviceRecord:
    values: dict[str, Any] = {
        "fingerprint": "ab" * 32,
        "platform": "macos",
        "os_version": "14.2.1",
        "disk_encrypted": True,
        "firewall": True,
        "edr_running": True,
        "managed": True,
        "last_check_in": NOW - datetime.timedelta(hours=1),
    }
    values.update(changes)
    return DeviceRecord.model_validate(values)


@pytest.mark.parametrize(
    ("version", "minimum", "expected"),
    [
        ("14.2.1", "14.2", True),
        ("14.2", "14.2.0", True),
        ("14.10", "14.9", True),
        ("14.1.9", "14.2", False),
        ("9", "10", False),
        ("10.0.19045", "10.0.19045", True),
    ],
)
def test_versions_compare_numerically(
    version: str, minimum: str, expected: bool
) -> None:
    assert version_at_least(version, minimum) is expected


def test_no_record_is_unknown() -> None:
    assert assess_device(None, CONFIG, NOW).level == "unknown"


def test_managed_healthy_device() -> None:
    trust = assess_device(_device(), CONFIG, NOW)

    assert trust.level == "managed_healthy"
    assert trust.reasons == ()


def test_unmanaged_healthy_device() -> None:
    assert (
        assess_device(_device(managed=False), CONFIG, NOW).level == "healthy_unmanaged"
    )


def test_platform_without_a_minimum_is_not_version_checked() -> None:
    device = _device(platform="linux", os_version="1.0")

    assert assess_device(device, CONFIG, NOW).level == "managed_healthy"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"os_version": "14.1.9"}, "macos 14.1.9 is older than 14.2"),
        ({"disk_encrypted": False}, "disk not encrypted"),
        ({"firewall": False}, "firewall off"),
        ({"edr_running": False}, "EDR not running"),
        (
            {"last_check_in": NOW - datetime.timedelta(hours=25)},
            "last check-in 1 day, 1:00:00 ago",
        ),
        ({"last_check_in": NOW + datetime.timedelta(hours=1)}, "in the future"),
    ],
)
def test_each_failing_check_is_a_reason(changes: dict[str, Any], reason: str) -> None:
    trust = assess_device(_device(**changes), CONFIG, NOW)

    assert trust.level == "failing"
    assert len(trust.reasons) == 1
    assert reason in trust.reasons[0]


def test_every_failing_check_is_listed() -> None:
    device = _device(
        disk_encrypted=False, firewall=False, edr_running=False, managed=False
    )

    trust = assess_device(device, CONFIG, NOW)

    assert trust.level == "failing"
    assert trust.reasons == ("disk not encrypted", "firewall off", "EDR not running")


def test_checks_can_be_switched_off() -> None:
    config = PostureConfig(
        require_disk_encryption=False, require_firewall=False, require_edr=False
    )
    device = _device(disk_encrypted=False, firewall=False, edr_running=False)

    assert assess_device(device, config, NOW).level == "managed_healthy"


def test_check_in_age_is_configurable() -> None:
    config = PostureConfig(max_check_in_age=datetime.timedelta(minutes=30))

    assert assess_device(_device(), config, NOW).level == "failing"


def test_naive_clock_fails_closed() -> None:
    trust = assess_device(_device(), CONFIG, NOW.replace(tzinfo=None))

    assert trust.level == "failing"


@pytest.mark.parametrize(
    "values",
    [
        {"min_os_version": {"macos": "fourteen"}},
        {"min_os_version": {"beos": "5"}},
        {"max_check_in_age": 0},
        {"require_edr": True, "spelling_mistake": True},
    ],
)
def test_invalid_posture_config_is_rejected(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PostureConfig.model_validate(values)
