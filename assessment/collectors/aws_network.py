"""Network checks: admin ports open to the world, and VPC flow logs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assessment.collectors.aws_api import AwsApi, attempt, items
from assessment.collectors.aws_options import AwsOptions
from assessment.collectors.observations import Findings, listing, plural

ADMIN_PORTS_OPEN = "admin-ports-open-to-world"
FLOW_LOGS = "vpc-flow-logs"

WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"
ALL_PROTOCOLS = "-1"
NO_PORTS = ("icmp", "icmpv6", "1", "58")
"""Protocols without ports: a rule for them opens no admin port."""


def collect_network(api: AwsApi, findings: Findings, options: AwsOptions) -> None:
    """Check security groups and flow logs in every selected region."""
    groups_seen = 0
    vpcs_seen = 0
    for region in options.regions:
        ec2 = api.client("ec2", region)
        groups_seen += _security_groups(ec2, findings, options, region)
        vpcs_seen += _flow_logs(ec2, findings, region)

    regions = plural(len(options.regions), "region")
    if groups_seen and not findings.failures(ADMIN_PORTS_OPEN):
        findings.observe(
            ADMIN_PORTS_OPEN,
            True,
            f"security groups in {listing(options.regions)}",
            f"no security group opens admin {_ports(options.admin_ports)} to "
            f"the internet ({groups_seen} checked in {regions})",
        )
    if vpcs_seen and not findings.failures(FLOW_LOGS):
        findings.observe(
            FLOW_LOGS,
            True,
            f"VPCs in {listing(options.regions)}",
            f"every VPC has an active flow log ({vpcs_seen} checked in {regions})",
        )


def world_open_ports(
    permission: dict[str, Any], ports: Sequence[int]
) -> tuple[list[int], list[str]]:
    """The ``ports`` an ingress permission opens to the whole internet, and
    the world ranges (``0.0.0.0/0``, ``::/0``) it opens them to."""
    # TODO: managed prefix lists (PrefixListIds) are not expanded, so a prefix
    # list holding 0.0.0.0/0 goes unnoticed.
    worlds = [
        r["CidrIp"]
        for r in permission.get("IpRanges", [])
        if r.get("CidrIp") == WORLD_IPV4
    ]
    worlds += [
        r["CidrIpv6"]
        for r in permission.get("Ipv6Ranges", [])
        if r.get("CidrIpv6") == WORLD_IPV6
    ]
    protocol = str(permission.get("IpProtocol", ALL_PROTOCOLS)).lower()
    if not worlds or protocol in NO_PORTS:
        return [], []

    if protocol == ALL_PROTOCOLS:
        return list(ports), worlds
    low = permission.get("FromPort", 0)
    high = permission.get("ToPort", 65535)
    if low == -1 or high == -1:
        low, high = 0, 65535
    return [port for port in ports if low <= port <= high], worlds


def _security_groups(
    ec2: Any, findings: Findings, options: AwsOptions, region: str
) -> int:
    groups = attempt(
        findings,
        (ADMIN_PORTS_OPEN,),
        f"listing security groups in {region}",
        lambda: list(items(ec2, "describe_security_groups", "SecurityGroups")),
    )
    if groups is None:
        return 0

    for group in groups:
        opened: set[int] = set()
        worlds: set[str] = set()
        for permission in group.get("IpPermissions", []):
            ports, ranges = world_open_ports(permission, options.admin_ports)
            if ports:
                opened.update(ports)
                worlds.update(ranges)
        if opened:
            name = f"security group {group['GroupId']} ({group.get('GroupName', '')}, {region})"
            findings.observe(
                ADMIN_PORTS_OPEN,
                False,
                name,
                f"{name} lets the whole internet ({', '.join(sorted(worlds))}) reach "
                f"admin {_ports(sorted(opened))}",
            )
    return len(groups)


def _flow_logs(ec2: Any, findings: Findings, region: str) -> int:
    vpcs = attempt(
        findings,
        (FLOW_LOGS,),
        f"listing VPCs and flow logs in {region}",
        lambda: (
            [vpc["VpcId"] for vpc in items(ec2, "describe_vpcs", "Vpcs")],
            {
                log["ResourceId"]
                for log in items(ec2, "describe_flow_logs", "FlowLogs")
                if log.get("FlowLogStatus", "ACTIVE") == "ACTIVE"
            },
        ),
    )
    if vpcs is None:
        return 0

    ids, logged = vpcs
    for vpc in ids:
        if vpc not in logged:
            findings.observe(
                FLOW_LOGS,
                False,
                f"VPC {vpc} ({region})",
                f"VPC {vpc} in {region} has no active flow log, so nobody can see "
                "the traffic inside it",
            )
    return len(ids)


def _ports(ports: Sequence[int]) -> str:
    numbers = ", ".join(str(port) for port in ports)
    return f"port {numbers}" if len(ports) == 1 else f"ports {numbers}"
