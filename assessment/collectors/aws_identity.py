"""IAM checks: MFA, the password policy, old access keys, unused console users."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assessment.collectors.aws_api import AwsApi, attempt, call_or_none, items
from assessment.collectors.aws_options import AwsOptions
from assessment.collectors.observations import Findings, listing

USER_MFA = "iam-user-mfa"
ROOT_MFA = "root-mfa"
PASSWORD_POLICY = "password-policy"
ACCESS_KEY_AGE = "access-key-age"
CONSOLE_USER_UNUSED = "console-user-unused"

MIN_PASSWORD_LENGTH = 14
MIN_PASSWORD_REUSE_PREVENTION = 24
"""The CIS AWS Foundations Benchmark's minimums for the password policy."""
NOT_FOUND = ("NoSuchEntity",)


@dataclass(frozen=True)
class IamUser:
    """What the checks need to know about one IAM user."""

    name: str
    created: datetime.datetime
    password_last_used: datetime.datetime | None


# TODO: people who sign in through IAM Identity Center or another federation
# are not IAM users; their MFA lives with the identity provider and is not
# read here.
def collect_identity(
    api: AwsApi, findings: Findings, options: AwsOptions, now: datetime.datetime
) -> None:
    """Run every identity check against the account's IAM."""
    iam = api.client("iam", options.home_region)
    _root_mfa(iam, findings)
    _password_policy(iam, findings)

    users = attempt(
        findings,
        (USER_MFA, ACCESS_KEY_AGE, CONSOLE_USER_UNUSED),
        "listing IAM users",
        lambda: [_user(entry) for entry in items(iam, "list_users", "Users")],
    )
    if users is None:
        return
    _access_key_age(iam, findings, users, options, now)

    console = attempt(
        findings,
        (USER_MFA, CONSOLE_USER_UNUSED),
        "reading IAM login profiles",
        lambda: [user for user in users if _has_console_password(iam, user.name)],
    )
    if console is None:
        return
    _user_mfa(iam, findings, console)
    _console_user_unused(findings, console, options, now)


def is_unused(user: IamUser, now: datetime.datetime, after: datetime.timedelta) -> bool:
    """Whether a console user's password has gone unused for longer than ``after``.

    A password never used counts from the day the user was created.
    """
    last = user.password_last_used or user.created
    return now - last > after


def _user(entry: dict[str, Any]) -> IamUser:
    return IamUser(
        entry["UserName"], entry["CreateDate"], entry.get("PasswordLastUsed")
    )


def _has_console_password(iam: Any, name: str) -> bool:
    return call_or_none(iam.get_login_profile, NOT_FOUND, UserName=name) is not None


def _root_mfa(iam: Any, findings: Findings) -> None:
    summary = attempt(
        findings,
        (ROOT_MFA,),
        "reading the account summary",
        lambda: iam.get_account_summary()["SummaryMap"],
    )
    if summary is None:
        return

    if summary.get("AccountMFAEnabled") == 1:
        findings.observe(ROOT_MFA, True, "root user", "the root user has MFA enabled")
    else:
        findings.observe(
            ROOT_MFA, False, "root user", "the root user signs in without MFA"
        )


def _password_policy(iam: Any, findings: Findings) -> None:
    response = attempt(
        findings,
        (PASSWORD_POLICY,),
        "reading the password policy",
        lambda: call_or_none(iam.get_account_password_policy, NOT_FOUND) or {},
    )
    if response is None:
        return

    resource = "account password policy"
    if "PasswordPolicy" not in response:
        findings.observe(
            PASSWORD_POLICY,
            False,
            resource,
            "no account password policy: IAM passwords follow only AWS's defaults",
        )
        return
    policy = response["PasswordPolicy"]
    length = policy.get("MinimumPasswordLength", 0)
    reuse = policy.get("PasswordReusePrevention", 0)
    weaknesses = []
    if length < MIN_PASSWORD_LENGTH:
        weaknesses.append(f"minimum length {length} (< {MIN_PASSWORD_LENGTH})")
    if reuse < MIN_PASSWORD_REUSE_PREVENTION:
        weaknesses.append(
            f"reuse prevention {reuse} (< {MIN_PASSWORD_REUSE_PREVENTION})"
        )
    if weaknesses:
        findings.observe(
            PASSWORD_POLICY,
            False,
            resource,
            f"weak password policy: {'; '.join(weaknesses)}",
        )
    else:
        findings.observe(
            PASSWORD_POLICY,
            True,
            resource,
            f"password policy requires at least {length} characters and blocks "
            f"reuse of the last {reuse} passwords",
        )


def _user_mfa(iam: Any, findings: Findings, console: Sequence[IamUser]) -> None:
    without = attempt(
        findings,
        (USER_MFA,),
        "listing MFA devices",
        lambda: [
            user.name
            for user in console
            if not any(items(iam, "list_mfa_devices", "MFADevices", UserName=user.name))
        ],
    )
    if without is None:
        return
    if not console:
        # Nobody signs in to IAM with a password: this check has nothing to
        # say about MFA, which then lives with the identity provider.
        return

    if without:
        findings.observe(
            USER_MFA,
            False,
            f"IAM users {listing(without)}",
            f"console users signing in without MFA: {listing(without)} "
            f"({len(without)} of {len(console)})",
        )
    else:
        findings.observe(
            USER_MFA,
            True,
            "IAM console users",
            f"every console user has an MFA device ({len(console)} checked)",
        )


def _access_key_age(
    iam: Any,
    findings: Findings,
    users: Sequence[IamUser],
    options: AwsOptions,
    now: datetime.datetime,
) -> None:
    keys = attempt(
        findings,
        (ACCESS_KEY_AGE,),
        "listing access keys",
        lambda: [
            key
            for user in users
            for key in items(
                iam, "list_access_keys", "AccessKeyMetadata", UserName=user.name
            )
            if key.get("Status") == "Active"
        ],
    )
    if keys is None:
        return

    limit = datetime.timedelta(days=options.access_key_max_age_days)
    old = [
        f"{key['UserName']}/{key['AccessKeyId']} ({(now - key['CreateDate']).days} days)"
        for key in keys
        if now - key["CreateDate"] > limit
    ]
    if old:
        findings.observe(
            ACCESS_KEY_AGE,
            False,
            f"access keys {listing(old)}",
            f"active access keys older than {options.access_key_max_age_days} days: "
            f"{listing(old)} ({len(old)} of {len(keys)})",
        )
    elif keys:
        findings.observe(
            ACCESS_KEY_AGE,
            True,
            "IAM access keys",
            f"every active access key is younger than "
            f"{options.access_key_max_age_days} days ({len(keys)} checked)",
        )
    else:
        findings.observe(
            ACCESS_KEY_AGE,
            True,
            "IAM access keys",
            f"none of the {len(users)} IAM users has an active access key",
        )


def _console_user_unused(
    findings: Findings,
    console: Sequence[IamUser],
    options: AwsOptions,
    now: datetime.datetime,
) -> None:
    if not console:
        return

    after = datetime.timedelta(days=options.unused_after_days)
    unused = [user.name for user in console if is_unused(user, now, after)]
    if unused:
        findings.observe(
            CONSOLE_USER_UNUSED,
            False,
            f"IAM users {listing(unused)}",
            f"console users keeping a password unused for over "
            f"{options.unused_after_days} days: {listing(unused)} "
            f"({len(unused)} of {len(console)})",
        )
    else:
        findings.observe(
            CONSOLE_USER_UNUSED,
            True,
            "IAM console users",
            f"every console user signed in within {options.unused_after_days} days "
            f"({len(console)} checked)",
        )
