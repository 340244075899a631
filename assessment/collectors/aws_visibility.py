"""Visibility checks: CloudTrail, GuardDuty and Security Hub."""

from __future__ import annotations

from functools import partial
from typing import Any

from assessment.collectors.aws_api import AwsApi, attempt, call_or_none, items
from assessment.collectors.aws_options import AwsOptions
from assessment.collectors.observations import Findings, listing

CLOUDTRAIL = "cloudtrail"
GUARDDUTY = "guardduty"
SECURITY_HUB = "security-hub"

SECURITY_HUB_OFF = ("InvalidAccessException",)
"""What Security Hub answers an account that has not enabled it."""


def collect_visibility(api: AwsApi, findings: Findings, options: AwsOptions) -> None:
    """Check the account's trail and each region's GuardDuty and Security Hub."""
    _cloudtrail(api, findings, options)

    for service, check, probe in (
        ("GuardDuty", GUARDDUTY, _guardduty_enabled),
        ("Security Hub", SECURITY_HUB, _security_hub_enabled),
    ):
        enabled_in = []
        for region in options.regions:
            enabled = attempt(
                findings,
                (check,),
                f"reading {service} in {region}",
                partial(probe, api, region),
            )
            if enabled is None:
                continue
            if enabled:
                enabled_in.append(region)
            else:
                findings.observe(
                    check,
                    False,
                    f"{service} ({region})",
                    f"{service} is not enabled in {region}",
                )
        if enabled_in and not findings.failures(check):
            findings.observe(
                check,
                True,
                f"{service} ({listing(enabled_in)})",
                f"{service} is enabled in every region checked: {listing(enabled_in)}",
            )


# TODO: the trail's event selectors are not read; a trail logging no
# management events would still pass.
def _cloudtrail(api: AwsApi, findings: Findings, options: AwsOptions) -> None:
    cloudtrail = api.client("cloudtrail", options.home_region)
    trails = attempt(
        findings,
        (CLOUDTRAIL,),
        "reading CloudTrail trails",
        lambda: [
            (trail, _is_logging(cloudtrail, trail))
            for trail in cloudtrail.describe_trails(includeShadowTrails=True)[
                "trailList"
            ]
        ],
    )
    if trails is None:
        return

    good = [
        trail["Name"]
        for trail, logging in trails
        if logging
        and trail.get("IsMultiRegionTrail")
        and trail.get("LogFileValidationEnabled")
    ]
    if good:
        findings.observe(
            CLOUDTRAIL,
            True,
            f"CloudTrail trail {good[0]}",
            f"multi-region trail {good[0]} is logging, with log file validation",
        )
        return

    shortcomings = [_shortcoming(trail, logging) for trail, logging in trails]
    findings.observe(
        CLOUDTRAIL,
        False,
        "CloudTrail",
        "no multi-region trail with log file validation is logging"
        + (f": {listing(shortcomings)}" if shortcomings else "; there are no trails"),
    )


def _is_logging(cloudtrail: Any, trail: dict[str, Any]) -> bool:
    status = cloudtrail.get_trail_status(Name=trail.get("TrailARN", trail["Name"]))
    return bool(status.get("IsLogging"))


def _shortcoming(trail: dict[str, Any], logging: bool) -> str:
    problems = []
    if not trail.get("IsMultiRegionTrail"):
        problems.append("single-region")
    if not trail.get("LogFileValidationEnabled"):
        problems.append("no log file validation")
    if not logging:
        problems.append("not logging")
    return f"{trail['Name']} ({', '.join(problems)})"


def _guardduty_enabled(api: AwsApi, region: str) -> bool:
    guardduty = api.client("guardduty", region)
    return any(
        guardduty.get_detector(DetectorId=detector).get("Status") == "ENABLED"
        for detector in items(guardduty, "list_detectors", "DetectorIds")
    )


def _security_hub_enabled(api: AwsApi, region: str) -> bool:
    securityhub = api.client("securityhub", region)
    return call_or_none(securityhub.describe_hub, SECURITY_HUB_OFF) is not None
