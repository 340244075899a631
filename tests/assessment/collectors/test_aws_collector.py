"""The AWS collector against moto's in-process AWS, check by check."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

from assessment.collectors.aws import AWS_RULES, collect_aws, open_session
from assessment.collectors.aws_identity import IamUser, is_unused
from assessment.collectors.aws_options import AwsOptions
from assessment.collectors.errors import AwsSessionError
from assessment.evidence import EvidenceFile
from assessment.maturity_model import load_model

REGION = "us-east-1"
ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
Item = dict[str, str]
MODELS = botocore.loaders.create_loader()
"""One loader for every test: parsing AWS's service models once saves seconds."""


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Any]:
    """A boto3 session on moto's AWS, away from any real configuration."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # Loading moto's catalogue of public AMIs costs half a second per region.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        core = botocore.session.get_session()
        core.register_component("data_loader", MODELS)
        yield boto3.Session(botocore_session=core, region_name=REGION)


def collect(session: Any, **options: Any) -> EvidenceFile:
    return collect_aws(session, AwsOptions(**{"regions": (REGION,), **options}))


def items(
    evidence: EvidenceFile, function: str, status: str | None = None
) -> list[Item]:
    """The items about ``function`` (with ``status``), as plain mappings."""
    return [
        item.model_dump()
        for item in evidence.items
        if item.function == function and status in (None, item.status)
    ]


def only(evidence: EvidenceFile, function: str, text: str) -> Item:
    """The one item about ``function`` whose finding mentions ``text``."""
    found = [i for i in items(evidence, function) if text in i["finding"]]
    assert len(found) == 1, (text, items(evidence, function))
    return found[0]


def iam_backend() -> Any:
    return iam_backends[DEFAULT_ACCOUNT_ID]["aws"]


def days_ago(days: int) -> datetime.datetime:
    # moto keeps IAM dates as naive UTC.
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return now - datetime.timedelta(days=days)


def console_user(session: Any, name: str, mfa: bool = False) -> None:
    iam = session.client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="correct horse battery")
    if mfa:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
        iam.enable_mfa_device(
            UserName=name,
            SerialNumber=device["VirtualMFADevice"]["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )


def root_mfa(enabled: bool) -> None:
    iam_backend().account_summary._account_mfa_enabled = int(enabled)


def fail_call(session: Any, event: str, code: str, operation: str) -> None:
    """Make every call matching ``event`` fail with AWS error ``code``."""

    def refuse(**_: Any) -> None:
        error = {"Error": {"Code": code, "Message": f"{code} (test)"}}
        raise ClientError(error, operation)  # type: ignore[arg-type]

    session.events.register(event, refuse)


# --- identity ---------------------------------------------------------------


def test_console_users_without_mfa_cap_authentication_at_traditional(
    session: Any,
) -> None:
    console_user(session, "alice", mfa=True)
    console_user(session, "bob")
    session.client("iam").create_user(UserName="deploy-bot")  # no console password

    item = only(collect(session), "identity/authentication", "console users signing")

    assert (item["status"], item["stage"]) == ("fail", "traditional")
    assert item["finding"] == "console users signing in without MFA: bob (1 of 2)"


def test_every_console_user_and_root_with_mfa_pass_authentication_at_initial(
    session: Any,
) -> None:
    console_user(session, "alice", mfa=True)
    root_mfa(True)

    evidence = collect(session)

    assert items(evidence, "identity/authentication", "fail") == []
    user = only(evidence, "identity/authentication", "MFA device")
    root = only(evidence, "identity/authentication", "root user")
    assert (user["status"], user["stage"]) == ("pass", "initial")
    assert (root["status"], root["stage"]) == ("pass", "initial")


def test_root_without_mfa_fails_and_keeps_the_users_pass_at_traditional(
    session: Any,
) -> None:
    console_user(session, "alice", mfa=True)
    root_mfa(False)

    evidence = collect(session)

    root = only(evidence, "identity/authentication", "root user")
    user = only(evidence, "identity/authentication", "MFA device")
    assert (root["status"], root["stage"]) == ("fail", "traditional")
    # Clamped: one file never shows a pass above its own failure.
    assert (user["status"], user["stage"]) == ("pass", "traditional")


def test_no_console_users_say_nothing_about_user_mfa(session: Any) -> None:
    session.client("iam").create_user(UserName="deploy-bot")

    evidence = collect(session)

    assert [
        i
        for i in items(evidence, "identity/authentication")
        if "MFA device" in i["finding"]
    ] == []


@pytest.mark.parametrize(
    ("policy", "status", "finding"),
    [
        (None, "fail", "no account password policy"),
        (
            {"MinimumPasswordLength": 8},
            "fail",
            "minimum length 8 (< 14); reuse prevention 0 (< 24)",
        ),
        (
            {"MinimumPasswordLength": 16, "PasswordReusePrevention": 24},
            "pass",
            "requires at least 16 characters and blocks reuse of the last 24 passwords",
        ),
    ],
)
def test_the_password_policy_speaks_to_identity_governance(
    session: Any, policy: dict[str, int] | None, status: str, finding: str
) -> None:
    if policy is not None:
        session.client("iam").update_account_password_policy(**policy)

    item = only(collect(session), "identity/governance", "password policy")

    assert (item["status"], item["stage"]) == (status, "traditional")
    assert finding in item["finding"]


def test_access_keys_older_than_the_threshold_fail_access_management(
    session: Any,
) -> None:
    iam = session.client("iam")
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="fresh")
    iam.create_access_key(UserName="fresh")
    iam_backend().users["ci"].access_keys[0].create_date = days_ago(200)

    item = only(collect(session), "identity/access-management", "access keys")

    assert (item["status"], item["stage"]) == ("fail", "traditional")
    assert f"ci/{key} (200 days) (1 of 2)" in item["finding"]


def test_the_access_key_threshold_is_configurable(session: Any) -> None:
    iam = session.client("iam")
    iam.create_user(UserName="ci")
    iam.create_access_key(UserName="ci")
    iam_backend().users["ci"].access_keys[0].create_date = days_ago(200)

    item = only(
        collect(session, access_key_max_age_days=365),
        "identity/access-management",
        "access key",
    )

    assert (item["status"], item["stage"]) == ("pass", "initial")
    assert "younger than 365 days (1 checked)" in item["finding"]


def test_console_users_unused_for_long_fail_access_management(session: Any) -> None:
    console_user(session, "leaver", mfa=True)
    console_user(session, "active", mfa=True)
    iam_backend().users["leaver"].create_date = days_ago(120)

    evidence = collect(session)

    item = only(evidence, "identity/access-management", "unused for over 90 days")
    assert (item["status"], item["stage"]) == ("fail", "traditional")
    assert "leaver (1 of 2)" in item["finding"]
    relaxed = only(
        collect(session, unused_after_days=180),
        "identity/access-management",
        "signed in within 180 days",
    )
    assert relaxed["status"] == "pass"


def test_a_password_used_recently_counts_over_an_old_creation_date() -> None:
    now = datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC)
    created = now - datetime.timedelta(days=400)
    recent = IamUser("alice", created, now - datetime.timedelta(days=3))
    never = IamUser("bob", created, None)

    assert not is_unused(recent, now, datetime.timedelta(days=90))
    assert is_unused(never, now, datetime.timedelta(days=90))


# --- data -------------------------------------------------------------------


def bucket(
    session: Any,
    name: str,
    classification: str | None = None,
    *,
    encrypted: bool = True,
    blocked: bool = True,
    tag: str = "data-classification",
) -> None:
    s3 = session.client("s3")
    s3.create_bucket(Bucket=name)
    if classification is not None:
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": tag, "Value": classification}]}
        )
    if encrypted:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
        s3.put_bucket_encryption(
            Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]}
        )
    if blocked:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=ALL_BLOCKED
        )


def database(
    session: Any, name: str, classification: str | None, *, encrypted: bool
) -> None:
    tags = (
        [{"Key": "data-classification", "Value": classification}]
        if classification
        else []
    )
    session.client("rds").create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        StorageEncrypted=encrypted,
        Tags=tags,
    )


def table(session: Any, name: str, classification: str | None = None) -> None:
    tags = (
        [{"Key": "data-classification", "Value": classification}]
        if classification
        else []
    )
    session.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=tags,
    )


def test_well_kept_data_stores_pass_every_data_check(session: Any) -> None:
    bucket(session, "hr-documents", "restricted")
    database(session, "payroll-db", "confidential", encrypted=True)
    table(session, "sessions", "internal")

    evidence = collect(session)

    assert items(evidence, "data/data-inventory-management") == [
        {
            "function": "data/data-inventory-management",
            "status": "pass",
            "stage": "initial",
            "resource": "DynamoDB tables, RDS instances, S3 buckets",
            "finding": "every data store carries a 'data-classification' tag (3 checked)",
        }
    ]
    for function, stage in (
        ("data/data-categorization", "initial"),
        ("data/data-encryption", "initial"),
        ("data/data-access", "traditional"),
    ):
        [item] = items(evidence, function)
        assert (item["status"], item["stage"]) == ("pass", stage)


def test_each_untagged_data_store_is_an_inventory_candidate(session: Any) -> None:
    bucket(session, "mystery-exports")
    database(session, "legacy-db", None, encrypted=True)
    table(session, "audit-trail")
    bucket(session, "labelled", "internal")

    failing = items(collect(session), "data/data-inventory-management", "fail")

    assert sorted(item["resource"] for item in failing) == [
        "DynamoDB table audit-trail (us-east-1)",
        "RDS instance legacy-db (us-east-1)",
        "S3 bucket mystery-exports (us-east-1)",
    ]
    assert all(item["stage"] == "traditional" for item in failing)
    assert all(
        item["finding"].startswith("candidate for the inventory") for item in failing
    )


def test_a_label_outside_the_four_fails_categorization(session: Any) -> None:
    bucket(session, "odd", "secret")

    item = only(collect(session), "data/data-categorization", "odd")

    assert (item["status"], item["stage"]) == ("fail", "traditional")
    assert (
        "data-classification='secret'; expected one of public, internal"
        in item["finding"]
    )


def test_the_classification_tag_key_is_configurable(session: Any) -> None:
    bucket(session, "tagged-differently", "restricted", tag="sensitivity")

    evidence = collect(session, classification_tag="sensitivity")

    [item] = items(evidence, "data/data-inventory-management")
    assert item["status"] == "pass"


def test_unencrypted_stores_cap_encryption_by_classification(session: Any) -> None:
    database(session, "payroll-db", "restricted", encrypted=False)
    database(session, "menu-db", "internal", encrypted=False)

    evidence = collect(session)

    restricted = only(evidence, "data/data-encryption", "payroll-db")
    internal = only(evidence, "data/data-encryption", "menu-db")
    assert (restricted["status"], restricted["stage"]) == ("fail", "traditional")
    assert (internal["status"], internal["stage"]) == ("fail", "initial")
    assert restricted["finding"] == (
        "RDS instance payroll-db (us-east-1), classified restricted, is not "
        "encrypted at rest"
    )


def test_buckets_without_a_public_access_block_fail_data_access(session: Any) -> None:
    bucket(session, "open-bucket", "confidential", blocked=False)
    bucket(session, "website", "public", blocked=False)

    failing = items(collect(session), "data/data-access", "fail")

    assert [item["resource"] for item in failing] == [
        "S3 bucket open-bucket (us-east-1)"
    ]
    assert failing[0]["stage"] == "traditional"


def test_the_account_wide_public_access_block_covers_every_bucket(session: Any) -> None:
    bucket(session, "relies-on-account", "internal", blocked=False)
    session.client("s3control").put_public_access_block(
        AccountId=DEFAULT_ACCOUNT_ID, PublicAccessBlockConfiguration=ALL_BLOCKED
    )

    [item] = items(collect(session), "data/data-access")

    assert item["status"] == "pass"


def test_buckets_outside_the_selected_regions_are_a_warning(session: Any) -> None:
    session.client("s3").create_bucket(
        Bucket="eu-archive",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )

    evidence = collect(session)

    assert items(evidence, "data/data-inventory-management") == []
    assert [w.model_dump() for w in evidence.warnings] == [
        {
            "check": "S3 buckets in other regions",
            "reason": "1 bucket outside the selected regions: eu-archive (eu-west-1)",
        }
    ]


# --- networks ---------------------------------------------------------------


def security_group(session: Any, name: str, port: int, cidr: str) -> str:
    ec2 = session.client("ec2")
    group = str(ec2.create_security_group(GroupName=name, Description=name)["GroupId"])
    ranges = (
        {"Ipv6Ranges": [{"CidrIpv6": cidr}]}
        if ":" in cidr
        else {"IpRanges": [{"CidrIp": cidr}]}
    )
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **ranges}
        ],
    )
    return group


def test_admin_ports_open_to_the_world_fail_segmentation(session: Any) -> None:
    ssh = security_group(session, "bastion", 22, "0.0.0.0/0")
    rdp = security_group(session, "jump", 3389, "::/0")
    security_group(session, "internal-ssh", 22, "10.0.0.0/8")
    security_group(session, "web", 443, "0.0.0.0/0")

    failing = items(collect(session), "networks/network-segmentation", "fail")

    assert [item["finding"] for item in failing] == [
        f"security group {ssh} (bastion, us-east-1) lets the whole internet "
        "(0.0.0.0/0) reach admin port 22",
        f"security group {rdp} (jump, us-east-1) lets the whole internet (::/0) "
        "reach admin port 3389",
    ]
    assert {item["stage"] for item in failing} == {"traditional"}


def test_more_admin_ports_can_be_named(session: Any) -> None:
    security_group(session, "database", 5432, "0.0.0.0/0")

    assert items(collect(session), "networks/network-segmentation", "fail") == []
    failing = items(
        collect(session, admin_ports=(22, 3389, 5432)),
        "networks/network-segmentation",
        "fail",
    )
    assert len(failing) == 1


def test_no_world_open_admin_port_passes_segmentation_only_as_a_baseline(
    session: Any,
) -> None:
    security_group(session, "internal-ssh", 22, "10.0.0.0/8")

    [item] = items(collect(session), "networks/network-segmentation")

    assert (item["status"], item["stage"]) == ("pass", "traditional")
    assert item["finding"].startswith("no security group opens admin ports 22, 3389")


def test_vpcs_without_flow_logs_fail_network_visibility(session: Any) -> None:
    ec2 = session.client("ec2")
    extra = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]

    evidence = collect(session)

    failing = [
        i
        for i in items(evidence, "networks/visibility-analytics", "fail")
        if "flow log" in i["finding"]
    ]
    assert len(failing) == 2  # moto's default VPC and the new one
    assert f"VPC {extra} (us-east-1)" in [item["resource"] for item in failing]

    session.client("s3").create_bucket(Bucket="flow-logs")
    vpcs = [vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]]
    ec2.create_flow_logs(
        ResourceIds=vpcs,
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs",
    )
    item = only(collect(session), "networks/visibility-analytics", "flow log")
    assert (item["status"], item["stage"]) == ("pass", "traditional")


# --- visibility -------------------------------------------------------------


def trail(session: Any, *, multi_region: bool = True, validation: bool = True) -> None:
    session.client("s3").create_bucket(Bucket="trail-logs")
    cloudtrail = session.client("cloudtrail")
    cloudtrail.create_trail(
        Name="organisation",
        S3BucketName="trail-logs",
        IsMultiRegionTrail=multi_region,
        EnableLogFileValidation=validation,
    )
    cloudtrail.start_logging(Name="organisation")


def test_no_trail_fails_cross_cutting_visibility(session: Any) -> None:
    item = only(collect(session), "cross_cutting/visibility-analytics", "trail")

    assert (item["status"], item["stage"]) == ("fail", "traditional")
    assert item["finding"].endswith("there are no trails")


def test_a_single_region_trail_is_named_with_its_shortcoming(session: Any) -> None:
    trail(session, multi_region=False)

    item = only(collect(session), "cross_cutting/visibility-analytics", "trail")

    assert item["status"] == "fail"
    assert "organisation (single-region)" in item["finding"]


def test_visibility_services_enabled_everywhere_pass_at_initial(session: Any) -> None:
    trail(session)
    session.client("guardduty").create_detector(Enable=True)
    session.client("securityhub").enable_security_hub()

    evidence = collect(session)

    cross_cutting = items(evidence, "cross_cutting/visibility-analytics")
    assert [(i["status"], i["stage"]) for i in cross_cutting] == [
        ("pass", "initial")
    ] * 2
    guardduty = only(evidence, "networks/visibility-analytics", "GuardDuty")
    assert guardduty["status"] == "pass"
    assert (
        guardduty["finding"]
        == "GuardDuty is enabled in every region checked: us-east-1"
    )


def test_regions_without_guardduty_or_security_hub_fail(session: Any) -> None:
    session.client("guardduty").create_detector(Enable=True)

    evidence = collect(session, regions=(REGION, "eu-west-1"))

    guardduty = only(evidence, "networks/visibility-analytics", "GuardDuty")
    assert (guardduty["resource"], guardduty["status"]) == (
        "GuardDuty (eu-west-1)",
        "fail",
    )
    hubs = [
        i
        for i in items(evidence, "cross_cutting/visibility-analytics")
        if "Security Hub" in i["finding"]
    ]
    assert [(i["resource"], i["stage"]) for i in hubs] == [
        ("Security Hub (us-east-1)", "initial"),
        ("Security Hub (eu-west-1)", "initial"),
    ]
    assert evidence.scope == "aws account 123456789012, regions us-east-1, eu-west-1"


# --- pagination, refusals, sessions -------------------------------------------


def page_list_users(session: Any, size: int) -> list[str | None]:
    """Serve ListUsers in pages of ``size``, as IAM does with MaxItems and
    Marker; moto answers with every user at once. Returns the markers asked."""
    markers: list[str | None] = []

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["marker"] = params.get("Marker")
        markers.append(params.get("Marker"))

    def page(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        start = int(context.get("marker") or 0)
        users = parsed["Users"]
        parsed["Users"] = users[start : start + size]
        parsed["IsTruncated"] = start + size < len(users)
        if parsed["IsTruncated"]:
            parsed["Marker"] = str(start + size)

    session.events.register("before-parameter-build.iam.ListUsers", remember)
    session.events.register("after-call.iam.ListUsers", page)
    return markers


def small_pages(session: Any, event: str, parameter: str, size: int) -> list[str]:
    """Ask for ``size`` results per call of ``event``; returns one entry per call."""
    calls: list[str] = []

    def shrink(params: dict[str, Any], **_: Any) -> None:
        params[parameter] = size
        calls.append(event)

    session.events.register(f"provide-client-params.{event}", shrink)
    return calls


def test_every_page_is_read(session: Any) -> None:
    for number in range(5):
        console_user(session, f"user{number}", mfa=number < 4)
    for number in range(5):
        table(session, f"table-{number}")
        database(session, f"db-{number}", "internal", encrypted=True)
    markers = page_list_users(session, 2)
    table_calls = small_pages(session, "dynamodb.ListTables", "Limit", 2)
    database_calls = small_pages(session, "rds.DescribeDBInstances", "MaxRecords", 2)

    evidence = collect(session)

    assert markers == [None, "2", "4"]
    assert len(table_calls) == 3 and len(database_calls) == 3
    user = only(evidence, "identity/authentication", "console users signing")
    assert user["finding"] == "console users signing in without MFA: user4 (1 of 5)"
    candidates = items(evidence, "data/data-inventory-management", "fail")
    assert len(candidates) == 5
    [labelled] = items(evidence, "data/data-categorization")
    assert "(5 checked)" in labelled["finding"]


def test_a_denied_call_becomes_a_warning_and_the_rest_still_runs(session: Any) -> None:
    console_user(session, "alice")
    fail_call(session, "before-call.iam.ListUsers", "AccessDenied", "ListUsers")

    evidence = collect(session)

    reason = "listing IAM users: access denied (AccessDenied) calling ListUsers"
    assert [w.model_dump() for w in evidence.warnings] == [
        {"check": check, "reason": reason}
        for check in ("iam-user-mfa", "access-key-age", "console-user-unused")
    ]
    assert only(evidence, "identity/authentication", "root user")["status"] == "fail"
    assert items(evidence, "networks/network-segmentation") != []


def test_one_denied_bucket_leaves_the_others_judged(session: Any) -> None:
    bucket(session, "readable", "internal")
    bucket(session, "secretive", "internal")

    def deny_one(params: dict[str, Any], **_: Any) -> None:
        if params.get("Bucket") == "secretive":
            error = {"Error": {"Code": "AccessDenied", "Message": "no"}}
            raise ClientError(error, "GetBucketEncryption")  # type: ignore[arg-type]

    session.events.register("provide-client-params.s3.GetBucketEncryption", deny_one)

    evidence = collect(session)

    [encryption] = items(evidence, "data/data-encryption")
    assert encryption["finding"] == "every data store is encrypted at rest (1 checked)"
    assert any(
        w.reason == "reading S3 bucket secretive: access denied (AccessDenied) calling "
        "GetBucketEncryption"
        for w in evidence.warnings
    )


def test_a_throttled_call_becomes_a_warning(session: Any) -> None:
    fail_call(
        session,
        "before-call.guardduty.ListDetectors",
        "ThrottlingException",
        "ListDetectors",
    )

    evidence = collect(session)

    assert [w.model_dump() for w in evidence.warnings if w.check == "guardduty"] == [
        {
            "check": "guardduty",
            "reason": "reading GuardDuty in us-east-1: throttled (ThrottlingException) "
            "calling ListDetectors, still after retries",
        }
    ]
    assert [
        i
        for i in items(evidence, "networks/visibility-analytics")
        if "GuardDuty" in i["finding"]
    ] == []


def test_credentials_that_do_not_work_stop_the_run(session: Any) -> None:
    fail_call(
        session,
        "before-call.sts.GetCallerIdentity",
        "InvalidClientTokenId",
        "GetCallerIdentity",
    )

    with pytest.raises(AwsSessionError, match="the AWS credentials do not work"):
        collect(session)


def test_an_unknown_profile_is_a_one_line_error(session: Any) -> None:
    with pytest.raises(AwsSessionError, match="--profile: 'nope' is not a profile"):
        open_session("nope")


def test_every_rule_names_a_function_of_the_model() -> None:
    known = set(load_model().function_keys())

    assert {rule.function for rule in AWS_RULES.values()} <= known
