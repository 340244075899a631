"""``ztkit collect``: read AWS or Kubernetes and write an evidence file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessment.collectors.aws_options import CLASSIFICATION_TAG, DEFAULT_ADMIN_PORTS
from assessment.collectors.errors import CollectorError
from ztkit.cli import SAMPLE_DIR

if TYPE_CHECKING:
    from assessment.evidence import EvidenceFile


def add_parser(commands: Any) -> None:
    """Add ``collect aws`` and ``collect kubernetes`` to ``commands``."""
    collect = commands.add_parser(
        "collect",
        help="read AWS or Kubernetes and write an evidence file",
        description="Read the real environment and write an evidence file for "
        "'ztkit assess --evidence FILE'.",
    )
    sources = collect.add_subparsers(
        dest="collect_source", metavar="SOURCE", required=True
    )
    _add_aws(sources)
    _add_kubernetes(sources)


def _add_aws(sources: Any) -> None:
    aws = sources.add_parser(
        "aws",
        help="IAM, data stores, security groups, flow logs, CloudTrail, "
        "GuardDuty, Security Hub",
        description="Read one AWS account through boto3. Calls that are denied "
        "or throttled become warnings in the evidence file.",
    )
    aws.set_defaults(run=_run_aws)
    aws.add_argument("--profile", help="the AWS profile (default: the usual chain)")
    aws.add_argument(
        "--region",
        dest="regions",
        action="extend",
        nargs="+",
        metavar="R",
        help="regions to read (default: the profile's region, else us-east-1)",
    )
    aws.add_argument(
        "--endpoint-url", metavar="URL", help="send every call here (e.g. moto)"
    )
    aws.add_argument(
        "--access-key-max-age",
        type=_days,
        default=90,
        metavar="DAYS",
        help="active access keys older than this fail (default: 90)",
    )
    aws.add_argument(
        "--unused-after",
        type=_days,
        default=90,
        metavar="DAYS",
        help="console passwords unused this long fail (default: 90)",
    )
    aws.add_argument(
        "--classification-tag",
        default=CLASSIFICATION_TAG,
        metavar="KEY",
        help=f"the data classification tag key (default: {CLASSIFICATION_TAG})",
    )
    aws.add_argument(
        "--admin-port",
        dest="admin_ports",
        type=_port,
        action="append",
        default=[],
        metavar="PORT",
        help="another port that must not be open to the world (repeatable; "
        f"{', '.join(map(str, DEFAULT_ADMIN_PORTS))} always are)",
    )
    _add_output(aws)


def _add_kubernetes(sources: Any) -> None:
    kubernetes = sources.add_parser(
        "kubernetes",
        help="default deny, access proxies, pod security, oauth2-proxy settings",
        description="Read rendered manifests or a live cluster and check "
        "segmentation, access proxies, pod security and oauth2-proxy settings.",
    )
    kubernetes.set_defaults(run=_run_kubernetes)
    source = kubernetes.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--manifests",
        type=Path,
        nargs="+",
        metavar="PATH",
        help="manifest files or folders (multi-document YAML, Lists)",
    )
    source.add_argument("--context", help="the kubeconfig context of a live cluster")
    kubernetes.add_argument(
        "--kubeconfig",
        type=Path,
        metavar="PATH",
        help="the kubeconfig for --context (default: KUBECONFIG or ~/.kube/config)",
    )
    kubernetes.add_argument(
        "--inventory",
        type=Path,
        default=SAMPLE_DIR / "inventory.yaml",
        metavar="PATH",
        help="apps expected to run (default: the bundled sample)",
    )
    _add_output(kubernetes)


def _add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        type=Path,
        required=True,
        metavar="FILE",
        help="where to write the evidence file (JSON)",
    )


def _run_aws(arguments: argparse.Namespace) -> int:
    from assessment.collectors.aws import (
        AwsOptions,
        collect_aws,
        default_regions,
        open_session,
    )

    session = open_session(arguments.profile)
    regions = tuple(dict.fromkeys(arguments.regions or default_regions(session)))
    ports = tuple(dict.fromkeys((*DEFAULT_ADMIN_PORTS, *arguments.admin_ports)))
    options = AwsOptions(
        regions=regions,
        access_key_max_age_days=arguments.access_key_max_age,
        unused_after_days=arguments.unused_after,
        classification_tag=arguments.classification_tag,
        admin_ports=ports,
    )
    evidence = collect_aws(session, options, endpoint_url=arguments.endpoint_url)
    return _finish(arguments.output, evidence)


def _run_kubernetes(arguments: argparse.Namespace) -> int:
    from assessment.collectors.kubernetes import collect_kubernetes
    from assessment.collectors.kubernetes_cluster import read_cluster
    from assessment.collectors.kubernetes_manifests import read_manifests
    from assessment.inventory import load_inventory

    if arguments.manifests and arguments.kubeconfig:
        raise CollectorError("--kubeconfig: only used with --context, not --manifests")
    inventory = load_inventory(arguments.inventory)
    if arguments.manifests:
        snapshot = read_manifests(arguments.manifests)
    else:
        snapshot = read_cluster(arguments.context, arguments.kubeconfig)
    return _finish(arguments.output, collect_kubernetes(snapshot, inventory))


def _finish(output: Path, evidence: EvidenceFile) -> int:
    from assessment.collectors.evidence_output import write_evidence
    from assessment.collectors.observations import plural

    write_evidence(output, evidence)
    failing = sum(item.status == "fail" for item in evidence.items)
    for warning in evidence.warnings:
        print(f"ztkit: not checked: {warning.check}: {warning.reason}", file=sys.stderr)
    print(
        f"wrote {output}: {plural(len(evidence.items), 'item')} ({failing} failing), "
        f"{plural(len(evidence.warnings), 'warning')}",
        file=sys.stderr,
    )
    return 0


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1 day")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (1-65535)")
    return value
