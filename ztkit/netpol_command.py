"""``ztkit netpol``: NetworkPolicy reachability from manifests.

``matrix`` prints who may reach whom on one port, ``diff`` what a change to
the manifests opens and closes, and ``exposure`` who may reach each crown
jewel and how far a breach of each workload spreads, optionally written as
evidence for ``ztkit assess``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assessment.reachability.diff import Connection, ReachabilityDiff
    from assessment.reachability.exposure import ExposureReport
    from assessment.reachability.matrix import Reachability

# The assessment is imported when a subcommand runs, not when the parser is
# built, so that other ztkit commands start without it.
PROTOCOLS = ("TCP", "UDP", "SCTP")
"""The protocols NetworkPolicy knows (``assessment.reachability.policy``)."""

GRID_LIMIT = 40
"""Up to this many endpoints the text matrix is a grid; above, a list."""
LISTED = 10
"""Destinations, sources or workloads a text line names before "and N more"."""


def add_parser(commands: Any) -> None:
    """Add ``ztkit netpol matrix|diff|exposure``."""
    netpol = commands.add_parser(
        "netpol",
        help="NetworkPolicy reachability: who can reach whom, what a change "
        "opens, what a breach exposes",
        description="Apply the Kubernetes NetworkPolicy specification to "
        "manifests (files or folders; namespaces, pods, workloads, policies).",
    )
    actions = netpol.add_subparsers(
        dest="netpol_command", metavar="ACTION", required=True
    )

    matrix = actions.add_parser(
        "matrix",
        help="who may reach whom on one port",
        description="Print, for every pod and workload, which others it may "
        "open a connection to on one port and protocol.",
    )
    matrix.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    _add_port(matrix, required=True)
    _add_format(matrix)
    matrix.set_defaults(run=run_matrix)

    diff = actions.add_parser(
        "diff",
        help="connections a change opens and closes",
        description="Compare two sets of manifests and list the connections "
        "the change opens and closes, per port and protocol.",
    )
    diff.add_argument("old", type=Path, metavar="OLD", help="manifests before")
    diff.add_argument("new", type=Path, metavar="NEW", help="manifests after")
    _add_format(diff)
    diff.set_defaults(run=run_diff)

    exposure = actions.add_parser(
        "exposure",
        help="who can reach each crown jewel; each workload's blast radius",
        description="Map inventory apps to workloads by namespace, list who may "
        "reach each crown jewel and how far a breach of each workload spreads.",
    )
    exposure.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    exposure.add_argument(
        "--inventory", type=Path, required=True, metavar="PATH", help="the inventory"
    )
    _add_port(exposure, required=False)
    _add_format(exposure)
    exposure.add_argument(
        "--stand-ins",
        action="store_true",
        help="add a workload for every inventory app and in-cluster data store the "
        "manifests do not run (for 'ztkit plan' output, which holds none)",
    )
    exposure.add_argument(
        "--evidence-output",
        type=Path,
        metavar="FILE",
        help="also write Networks-pillar evidence for 'ztkit assess --evidence'",
    )
    exposure.set_defaults(run=run_exposure)


def _add_port(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--port",
        type=_port,
        required=required,
        metavar="P",
        help="the destination port"
        + (
            "" if required else " (default: each app's port; any port for blast radius)"
        ),
    )
    parser.add_argument(
        "--protocol",
        type=str.upper,
        choices=PROTOCOLS,
        default="TCP",
        help="the protocol of --port (default: TCP)",
    )


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for a terminal, json for tools (default: text)",
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (1-65535)")
    return value


# --- matrix -------------------------------------------------------------------


def run_matrix(arguments: argparse.Namespace) -> int:
    """Print the reachability matrix on one port."""
    from assessment.reachability.manifests import load_cluster
    from assessment.reachability.matrix import evaluate_matrix

    cluster = load_cluster(arguments.paths)
    _warn(cluster.warnings)
    reachability = evaluate_matrix(cluster, arguments.port, arguments.protocol)
    if arguments.format == "json":
        sys.stdout.write(json.dumps(reachability.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_matrix(reachability))
    return 0


def render_matrix(reachability: Reachability) -> str:
    """The matrix for a terminal: a grid when small, a list otherwise."""
    endpoints = reachability.endpoints
    count = len(endpoints)
    allowed = sum(reachability.reach_count(index) for index in range(count))
    lines = [
        f"reachability on {reachability.ports}: {count} pods and workloads, "
        f"{allowed} of {count * (count - 1)} connections allowed "
        "(a pod always reaches itself; not counted)"
    ]
    if count == 0:
        return lines[0] + "\n"
    if count <= GRID_LIMIT:
        width = len(str(count))
        header = " ".join(str(number + 1).rjust(width) for number in range(count))
        lines += ["", f"{'':>{width}}   {header}"]
        for source in range(count):
            cells = " ".join(
                ("=" if source == destination else "x")
                if reachability.allows(source, destination)
                else "."
                for destination in range(count)
            )
            cells = " ".join(cell.rjust(width) for cell in cells.split(" "))
            label = str(source + 1).rjust(width)
            lines.append(f"{label}   {cells}   {endpoints[source].key}")
        lines += ["", "x: the row may reach the column; .: it may not; =: itself"]
        return "\n".join(lines) + "\n"

    lines.append("")
    for source in range(count):
        reached = [
            endpoints[found].key
            for found in reachability.destinations(source)
            if found != source
        ]
        lines.append(
            f"{endpoints[source].key} -> {len(reached)}: {_listed(reached)}"
            if reached
            else f"{endpoints[source].key} -> nothing"
        )
    return "\n".join(lines) + "\n"


# --- diff ---------------------------------------------------------------------


def run_diff(arguments: argparse.Namespace) -> int:
    """Print the connections a change opens and closes."""
    from assessment.reachability.diff import diff_clusters
    from assessment.reachability.manifests import load_cluster

    old = load_cluster([arguments.old])
    new = load_cluster([arguments.new])
    _warn(old.warnings + new.warnings)
    diff = diff_clusters(old, new)
    if arguments.format == "json":
        sys.stdout.write(json.dumps(diff.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_diff(diff, arguments.old, arguments.new))
    return 0


def render_diff(diff: ReachabilityDiff, old: Path, new: Path) -> str:
    """The diff for a terminal: one line per namespace pair, then the pairs."""
    lines = [
        f"netpol diff {old} -> {new}: {_pairs(diff.opened)} opened, "
        f"{_pairs(diff.closed)} closed ({len(diff.classes)} port classes examined)"
    ]
    for verb, connections in (("opened", diff.opened), ("closed", diff.closed)):
        by_namespaces: dict[tuple[str, str], dict[tuple[str, str], list[str]]]
        by_namespaces = defaultdict(lambda: defaultdict(list))
        for connection in connections:
            namespaces = (
                connection.source.split("/", 1)[0],
                connection.destination.split("/", 1)[0],
            )
            pair = (connection.source, connection.destination)
            by_namespaces[namespaces][pair].append(connection.ports.label)
        for (source, destination), pairs in sorted(by_namespaces.items()):
            ports = sorted(
                {label for labels in pairs.values() for label in labels},
                key=_port_order,
            )
            lines.append(
                f"{verb}: {source} -> {destination}: "
                f"{_count(len(pairs), 'connection')} on {', '.join(ports)}"
            )
            for (from_key, to_key), labels in sorted(pairs.items()):
                lines.append(f"  {from_key} -> {to_key}: {', '.join(labels)}")
    if diff.added:
        lines.append(f"added (not compared): {_listed(diff.added)}")
    if diff.removed:
        lines.append(f"removed (not compared): {_listed(diff.removed)}")
    return "\n".join(lines) + "\n"


def _pairs(connections: Sequence[Connection]) -> str:
    return _count(len({(c.source, c.destination) for c in connections}), "connection")


def _port_order(label: str) -> tuple[int, int, str]:
    first = label.split("/")[0].split("-")[0]
    return (1, 0, label) if label.startswith("other") else (0, int(first), label)


# --- exposure -----------------------------------------------------------------


def run_exposure(arguments: argparse.Namespace) -> int:
    """Print who may reach each crown jewel and each workload's blast radius."""
    import datetime

    from assessment.collectors.evidence_output import write_evidence
    from assessment.inventory import load_inventory
    from assessment.reachability.exposure import analyse_exposure, exposure_evidence
    from assessment.reachability.inventory_endpoints import with_stand_ins
    from assessment.reachability.manifests import load_cluster

    inventory = load_inventory(arguments.inventory)
    cluster = load_cluster(arguments.paths)
    if arguments.stand_ins:
        cluster = with_stand_ins(cluster, inventory)
    report = analyse_exposure(cluster, inventory, arguments.port, arguments.protocol)
    if arguments.format == "json":
        sys.stdout.write(json.dumps(report.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_exposure(report))

    if arguments.evidence_output is not None:
        scope = (
            f"NetworkPolicy reachability of {report.endpoint_count} pods and "
            f"workloads in {report.namespace_count} namespaces, from "
            f"{', '.join(str(path) for path in arguments.paths)}"
        )
        evidence = exposure_evidence(report, scope, datetime.datetime.now(datetime.UTC))
        output = arguments.evidence_output
        write_evidence(output, evidence)
        failing = sum(item.status == "fail" for item in evidence.items)
        print(
            f"wrote {output}: {len(evidence.items)} items ({failing} failing), "
            f"{len(evidence.warnings)} warnings",
            file=sys.stderr,
        )
    return 0


def render_exposure(report: ExposureReport) -> str:
    """The exposure report for a terminal."""
    lines = [
        f"exposure of {len(report.crown_jewels)} crown jewels over "
        f"{report.endpoint_count} pods and workloads in "
        f"{report.namespace_count} namespaces"
    ]
    for exposure in report.crown_jewels:
        app = exposure.app
        lines += [
            "",
            f"{app.id} ({app.classification}, namespace {app.namespace}, "
            f"{exposure.ports}): {_count(len(exposure.endpoints), 'workload')}",
        ]
        if not exposure.isolated:
            lines.append("  not isolated: no NetworkPolicy governs its ingress")
        namespaces = sorted({key.split("/", 1)[0] for key in exposure.sources})
        every = " (every other namespace)" if exposure.every_namespace else ""
        lines.append(
            f"  reachable from {_count(len(exposure.sources), 'workload')} in "
            f"{_count(len(namespaces), 'namespace')}{every}: "
            f"{_listed(exposure.sources)}"
            if exposure.sources
            else "  reachable from no workload in another namespace"
        )
        if exposure.external:
            lines.append(f"  from outside the cluster: {', '.join(exposure.external)}")
        if exposure.undeclared:
            lines.append(
                f"  undeclared (apps that do not depend on it): "
                f"{_listed(exposure.undeclared)}"
            )
        deny = [
            direction
            for direction, present in (
                ("ingress", exposure.default_deny_ingress),
                ("egress", exposure.default_deny_egress),
            )
            if present
        ]
        lines.append(
            f"  namespace default-deny: {' and '.join(deny) if deny else 'no'}"
        )

    lines += [
        "",
        f"blast radius on {report.blast_ports} (other workloads reachable: "
        "directly / in any number of hops), widest first:",
    ]
    for radius in report.blast_radius[: LISTED * 2]:
        lines.append(f"  {radius.endpoint}: {radius.direct} / {radius.transitive}")
    hidden = len(report.blast_radius) - LISTED * 2
    if hidden > 0:
        lines.append(f"  ... and {hidden} more (--format json lists all)")
    for check, reason in report.warnings:
        lines.append(f"not checked: {check}: {reason}")
    return "\n".join(lines) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


def _warn(warnings: Sequence[str]) -> None:
    for warning in warnings:
        print(f"ztkit: not evaluated: {warning}", file=sys.stderr)
