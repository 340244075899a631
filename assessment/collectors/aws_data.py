"""Data store checks: classification tags, encryption at rest, S3 public access.

The data stores are S3 buckets, RDS instances and DynamoDB tables. A store
without a classification tag is a candidate for the inventory: the evidence
file lists each one as its own item.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from assessment.collectors.aws_api import AwsApi, attempt, call_or_none, items
from assessment.collectors.aws_options import AwsOptions
from assessment.collectors.observations import Findings, listing, plural
from assessment.inventory import CLASSIFICATIONS

UNCLASSIFIED = "data-store-unclassified"
CLASSIFICATION_VALUE = "data-classification-value"
ENCRYPTION_SENSITIVE = "encryption-at-rest-sensitive"
ENCRYPTION = "encryption-at-rest"
S3_PUBLIC_ACCESS = "s3-public-access-block"
DATA_CHECKS = (UNCLASSIFIED, CLASSIFICATION_VALUE, ENCRYPTION_SENSITIVE, ENCRYPTION)

SENSITIVE = ("confidential", "restricted")
PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
NO_TAGS = ("NoSuchTagSet",)
NO_ENCRYPTION = ("ServerSideEncryptionConfigurationNotFoundError",)
NO_PUBLIC_ACCESS_BLOCK = ("NoSuchPublicAccessBlockConfiguration",)


@dataclass(frozen=True)
class DataStore:
    """One S3 bucket, RDS instance or DynamoDB table, as the checks see it."""

    kind: str
    name: str
    region: str
    classification: str | None
    """The classification tag's value as found, or None when untagged."""
    encrypted: bool
    blocks_public_access: bool | None = None
    """For S3: whether the bucket or the account blocks all public access."""

    @property
    def resource(self) -> str:
        """How the store is named in the evidence file."""
        return f"{self.kind} {self.name} ({self.region})"


def collect_data(
    api: AwsApi, findings: Findings, options: AwsOptions, account: str | None
) -> None:
    """Find the data stores in the selected regions and judge each one."""
    # TODO: Aurora clusters, EFS, Redshift, ElastiCache and OpenSearch are not
    # collected yet; the first version covers S3, RDS instances and DynamoDB.
    stores = list(_buckets(api, findings, options, account))
    for region in options.regions:
        stores += _rds_instances(api, findings, options, region)
        stores += _dynamodb_tables(api, findings, options, region)
    judge_stores(findings, stores, options.classification_tag)


def judge_stores(findings: Findings, stores: list[DataStore], tag: str) -> None:
    """Record the data checks' observations for ``stores``."""
    allowed = ", ".join(CLASSIFICATIONS)
    for store in stores:
        label = _label(store)
        if store.classification is None:
            findings.observe(
                UNCLASSIFIED,
                False,
                store.resource,
                f"candidate for the inventory: {store.resource} has no {tag!r} "
                "tag, so nothing records what data it holds",
            )
        elif label is None:
            findings.observe(
                CLASSIFICATION_VALUE,
                False,
                store.resource,
                f"{store.resource} has {tag}={store.classification!r}; "
                f"expected one of {allowed}",
            )

        if not store.encrypted:
            sensitive = label in SENSITIVE or label is None
            findings.observe(
                ENCRYPTION_SENSITIVE if sensitive else ENCRYPTION,
                False,
                store.resource,
                f"{store.resource}, {_classified(label)}, is not encrypted at rest",
            )

        if store.blocks_public_access is False and label != "public":
            findings.observe(
                S3_PUBLIC_ACCESS,
                False,
                store.resource,
                f"{store.resource}, {_classified(label)}, does not block public "
                "access, neither on the bucket nor for the account",
            )

    _summaries(findings, stores, tag)


def _summaries(findings: Findings, stores: list[DataStore], tag: str) -> None:
    """One pass item per check that no store failed."""
    if not stores:
        return

    count = f"({len(stores)} checked)"
    kinds = listing(sorted({store.kind + "s" for store in stores}))
    tagged = [store for store in stores if store.classification is not None]
    if not findings.failures(UNCLASSIFIED):
        findings.observe(
            UNCLASSIFIED, True, kinds, f"every data store carries a {tag!r} tag {count}"
        )
    if tagged and not findings.failures(CLASSIFICATION_VALUE):
        findings.observe(
            CLASSIFICATION_VALUE,
            True,
            kinds,
            "every tagged data store uses one of the four classification labels, "
            f"applied by hand ({len(tagged)} checked)",
        )
    if not findings.failures(ENCRYPTION, ENCRYPTION_SENSITIVE):
        findings.observe(
            ENCRYPTION, True, kinds, f"every data store is encrypted at rest {count}"
        )
    buckets = [
        store
        for store in stores
        if store.blocks_public_access is not None and _label(store) != "public"
    ]
    if buckets and not findings.failures(S3_PUBLIC_ACCESS):
        findings.observe(
            S3_PUBLIC_ACCESS,
            True,
            "S3 buckets",
            "every bucket not classified public blocks public access "
            f"({len(buckets)} checked)",
        )


def _classified(label: str | None) -> str:
    return f"classified {label}" if label else "unclassified"


def _label(store: DataStore) -> str | None:
    if store.classification is None:
        return None
    value = store.classification.strip().lower()
    return value if value in CLASSIFICATIONS else None


def _buckets(
    api: AwsApi, findings: Findings, options: AwsOptions, account: str | None
) -> Iterator[DataStore]:
    s3 = api.client("s3", options.home_region)
    names = attempt(
        findings,
        (*DATA_CHECKS, S3_PUBLIC_ACCESS),
        "listing S3 buckets",
        lambda: [bucket["Name"] for bucket in items(s3, "list_buckets", "Buckets")],
    )
    if not names:
        return
    account_blocks = _account_blocks_public_access(api, findings, options, account)

    elsewhere: list[str] = []
    for name in names:
        store = attempt(
            findings,
            (*DATA_CHECKS, S3_PUBLIC_ACCESS),
            f"reading S3 bucket {name}",
            partial(_bucket, api, name, options, account_blocks),
        )
        if isinstance(store, DataStore):
            yield store
        elif isinstance(store, str):
            elsewhere.append(f"{name} ({store})")

    if elsewhere:
        findings.gap(
            "S3 buckets in other regions",
            f"{plural(len(elsewhere), 'bucket')} outside the selected regions: "
            f"{listing(elsewhere)}",
        )


def _bucket(
    api: AwsApi, name: str, options: AwsOptions, account_blocks: bool
) -> DataStore | str:
    """The bucket as a data store, or its region when that is not selected."""
    location = api.client("s3", options.home_region).get_bucket_location(Bucket=name)
    region = _bucket_region(location.get("LocationConstraint"))
    if region not in options.regions:
        return region

    s3 = api.client("s3", region)
    tagging = call_or_none(s3.get_bucket_tagging, NO_TAGS, Bucket=name) or {}
    tags = {tag["Key"]: tag["Value"] for tag in tagging.get("TagSet", [])}
    encryption = call_or_none(s3.get_bucket_encryption, NO_ENCRYPTION, Bucket=name)
    block = (
        call_or_none(s3.get_public_access_block, NO_PUBLIC_ACCESS_BLOCK, Bucket=name)
        or {}
    )
    return DataStore(
        kind="S3 bucket",
        name=name,
        region=region,
        classification=tags.get(options.classification_tag),
        encrypted=bool(
            encryption
            and encryption.get("ServerSideEncryptionConfiguration", {}).get("Rules")
        ),
        blocks_public_access=account_blocks
        or _blocks_all(block.get("PublicAccessBlockConfiguration", {})),
    )


def _bucket_region(constraint: str | None) -> str:
    # S3 reports us-east-1 as no constraint at all, and old eu-west-1 as "EU".
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def _account_blocks_public_access(
    api: AwsApi, findings: Findings, options: AwsOptions, account: str | None
) -> bool:
    if account is None:
        findings.gap(
            S3_PUBLIC_ACCESS,
            "the account id is unknown, so the account-wide public access block "
            "was not read; buckets are judged on their own settings",
        )
        return False

    s3control = api.client("s3control", options.home_region)
    response = attempt(
        findings,
        (S3_PUBLIC_ACCESS,),
        "reading the account-wide public access block (buckets judged on their "
        "own settings)",
        lambda: (
            call_or_none(
                s3control.get_public_access_block,
                NO_PUBLIC_ACCESS_BLOCK,
                AccountId=account,
            )
            or {}
        ),
    )
    if not response:
        return False
    return _blocks_all(response.get("PublicAccessBlockConfiguration", {}))


# TODO: bucket policies and ACLs are not read, so a bucket without a full
# public access block fails even when nothing in it is actually public.
def _blocks_all(configuration: dict[str, Any]) -> bool:
    return all(configuration.get(setting) is True for setting in PUBLIC_ACCESS_SETTINGS)


def _rds_instances(
    api: AwsApi, findings: Findings, options: AwsOptions, region: str
) -> list[DataStore]:
    rds = api.client("rds", region)
    instances = attempt(
        findings,
        DATA_CHECKS,
        f"listing RDS instances in {region}",
        lambda: list(items(rds, "describe_db_instances", "DBInstances")),
    )
    stores = []
    for instance in instances or []:
        tags = {tag["Key"]: tag["Value"] for tag in instance.get("TagList", [])}
        stores.append(
            DataStore(
                kind="RDS instance",
                name=instance["DBInstanceIdentifier"],
                region=region,
                classification=tags.get(options.classification_tag),
                encrypted=bool(instance.get("StorageEncrypted")),
            )
        )
    return stores


def _dynamodb_tables(
    api: AwsApi, findings: Findings, options: AwsOptions, region: str
) -> list[DataStore]:
    dynamodb = api.client("dynamodb", region)
    names = attempt(
        findings,
        DATA_CHECKS,
        f"listing DynamoDB tables in {region}",
        lambda: list(items(dynamodb, "list_tables", "TableNames")),
    )
    stores = []
    for name in names or []:
        store = attempt(
            findings,
            DATA_CHECKS,
            f"reading DynamoDB table {name} in {region}",
            partial(_table, dynamodb, name, region, options),
        )
        if store is not None:
            stores.append(store)
    return stores


def _table(dynamodb: Any, name: str, region: str, options: AwsOptions) -> DataStore:
    table = dynamodb.describe_table(TableName=name)["Table"]
    tags = {
        tag["Key"]: tag["Value"]
        for tag in items(
            dynamodb, "list_tags_of_resource", "Tags", ResourceArn=table["TableArn"]
        )
    }
    # DynamoDB encrypts every table at rest and offers no way to turn it off;
    # SSEDescription only says whose key does it (absent: an AWS owned key).
    return DataStore(
        kind="DynamoDB table",
        name=name,
        region=region,
        classification=tags.get(options.classification_tag),
        encrypted=True,
    )
