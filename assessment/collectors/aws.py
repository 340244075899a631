"""The AWS collector: what an account's configuration says about its maturity.

It reads IAM, the data stores (S3, RDS, DynamoDB), security groups and flow
logs, CloudTrail, GuardDuty and Security Hub through boto3, and judges what it
reads by :data:`AWS_RULES`. A call AWS denies or throttles becomes a warning
in the evidence file, never a crash.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from assessment.collectors import aws_data, aws_identity, aws_network, aws_visibility
from assessment.collectors.aws_api import AwsApi, describe_failure
from assessment.collectors.aws_options import DEFAULT_REGION, AwsOptions
from assessment.collectors.errors import AwsSessionError
from assessment.collectors.evidence_output import build_evidence
from assessment.collectors.observations import Findings, Rule
from assessment.evidence import EvidenceFile
from assessment.maturity_model import Stage

logger = logging.getLogger(__name__)

COLLECTOR = "ztkit-aws"
TRADITIONAL, INITIAL = Stage.TRADITIONAL, Stage.INITIAL

AWS_RULES: dict[str, Rule] = {
    aws_identity.USER_MFA: Rule(
        "identity/authentication", INITIAL, TRADITIONAL,
        "console users signing in with a password alone are Traditional; MFA for "
        "every one of them is Initial",
    ),
    aws_identity.ROOT_MFA: Rule(
        "identity/authentication", INITIAL, TRADITIONAL,
        "the most powerful account signing in with a password alone is Traditional",
    ),
    aws_identity.PASSWORD_POLICY: Rule(
        "identity/governance", TRADITIONAL, TRADITIONAL,
        "password rules set once in account settings are the Traditional baseline; "
        "missing or weak, not even that",
    ),
    aws_identity.ACCESS_KEY_AGE: Rule(
        "identity/access-management", INITIAL, TRADITIONAL,
        "long-lived keys are access that stays indefinitely (Traditional); keys "
        "rotated within the threshold behave like grants with an end date",
    ),
    aws_identity.CONSOLE_USER_UNUSED: Rule(
        "identity/access-management", INITIAL, TRADITIONAL,
        "unused console users keeping their password are access nobody reviewed",
    ),
    aws_data.UNCLASSIFIED: Rule(
        "data/data-inventory-management", INITIAL, TRADITIONAL,
        "a data store nobody recorded is Traditional; every store found and "
        "tagged is Initial discovery",
    ),
    aws_data.CLASSIFICATION_VALUE: Rule(
        "data/data-categorization", INITIAL, TRADITIONAL,
        "labels outside the agreed scheme are Traditional; the four agreed labels "
        "applied by hand are Initial",
    ),
    aws_data.ENCRYPTION_SENSITIVE: Rule(
        "data/data-encryption", INITIAL, TRADITIONAL,
        "Initial requires critical stored data to be encrypted; unclassified "
        "stores count as critical",
    ),
    aws_data.ENCRYPTION: Rule(
        "data/data-encryption", INITIAL, INITIAL,
        "Advanced requires stored data encrypted almost everywhere",
    ),
    aws_data.S3_PUBLIC_ACCESS: Rule(
        "data/data-access", TRADITIONAL, TRADITIONAL,
        "a bucket that can be made public is permission set once and left alone; "
        "blocking it is only the baseline",
    ),
    aws_network.ADMIN_PORTS_OPEN: Rule(
        "networks/network-segmentation", TRADITIONAL, TRADITIONAL,
        "admin ports open to the internet mean not even a perimeter; closing them "
        "proves no internal segmentation",
    ),
    aws_network.FLOW_LOGS: Rule(
        "networks/visibility-analytics", TRADITIONAL, TRADITIONAL,
        "without flow logs nobody sees internal traffic; with them it is recorded "
        "but not yet analysed",
    ),
    aws_visibility.GUARDDUTY: Rule(
        "networks/visibility-analytics", INITIAL, TRADITIONAL,
        "GuardDuty looks for known signs of attack in each region's traffic, the "
        "Initial stage's intrusion detection",
    ),
    aws_visibility.CLOUDTRAIL: Rule(
        "cross_cutting/visibility-analytics", INITIAL, TRADITIONAL,
        "a validated multi-region trail sends every API call's log automatically; "
        "without one, logs are gathered by hand if at all",
    ),
    aws_visibility.SECURITY_HUB: Rule(
        "cross_cutting/visibility-analytics", INITIAL, INITIAL,
        "a region without Security Hub keeps its findings out of the central view "
        "Advanced requires",
    ),
}  # fmt: skip
"""Each check's maturity function and stages; docs/collectors.md shows the table."""


def open_session(profile: str | None = None) -> Any:
    """A boto3 session for ``profile`` (or the default chain).

    Raises:
        AwsSessionError: the profile does not exist.
    """
    try:
        return boto3.Session(profile_name=profile)
    except ProfileNotFound:
        raise AwsSessionError(
            f"--profile: {profile!r} is not a profile in the AWS config files"
        ) from None


def default_regions(session: Any) -> tuple[str, ...]:
    """The profile's region, else us-east-1."""
    return (session.region_name or DEFAULT_REGION,)


def collect_aws(
    session: Any,
    options: AwsOptions,
    endpoint_url: str | None = None,
    now: datetime.datetime | None = None,
) -> EvidenceFile:
    """Read the account behind ``session`` and judge it.

    Args:
        session: a boto3 session with credentials.
        options: regions and thresholds.
        endpoint_url: send every call here instead of AWS (moto, LocalStack).
        now: the time the run judges ages against; now (UTC) when not given.

    Raises:
        AwsSessionError: there are no usable credentials, or the endpoint
            cannot be reached.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    api = AwsApi(session, endpoint_url)
    findings = Findings()
    account = _account(api, options)

    aws_identity.collect_identity(api, findings, options, now)
    aws_data.collect_data(api, findings, options, account)
    aws_network.collect_network(api, findings, options)
    aws_visibility.collect_visibility(api, findings, options)

    scope = f"aws account {account or 'unknown'}, regions {', '.join(options.regions)}"
    return build_evidence(COLLECTOR, scope, findings, AWS_RULES, now)


def _account(api: AwsApi, options: AwsOptions) -> str | None:
    """The account id; credentials that do not work at all stop the run."""
    sts = api.client("sts", options.home_region)
    try:
        identity = sts.get_caller_identity()
    except ClientError as exc:
        raise AwsSessionError(
            f"the AWS credentials do not work: {describe_failure(exc)}"
        ) from None
    except BotoCoreError as exc:
        # NoCredentialsError, EndpointConnectionError and the like.
        raise AwsSessionError(f"cannot use AWS: {exc}") from None
    account = identity.get("Account")
    return str(account) if account else None


__all__ = ["AWS_RULES", "AwsOptions", "collect_aws", "default_regions", "open_session"]
