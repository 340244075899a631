"""Exposure: who can reach each crown jewel, and how far a breach spreads.

An inventory application stands for every pod and workload in its
``namespace``. For each application the report lists the endpoints outside
that namespace that may reach one of its endpoints on the application's port
(or the port asked for), and what outside the cluster may (``ipBlock`` peers,
or anything when its pods are not isolated for ingress).

The blast radius of an endpoint is how many other endpoints it may reach
directly, and transitively: by hopping through endpoints it reaches, on any
port class (or on the port asked for), as an attacker moving laterally would.

The result can be written as Networks-pillar evidence for
``networks/network-segmentation``; the rules are in :func:`exposure_evidence`
and in docs/reachability.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from assessment.evidence import EvidenceFile
from assessment.inventory import Application, Inventory
from assessment.reachability.matrix import (
    MatrixEvaluator,
    Reachability,
    bit_indices,
)
from assessment.reachability.objects import Cluster
from assessment.reachability.policy import external_sources
from assessment.reachability.ports import port_classes
from assessment.risk import assess_risk

FUNCTION = "networks/network-segmentation"
COLLECTOR = "netpol"
NAMES_SHOWN = 5


@dataclass(frozen=True)
class AppExposure:
    """Who can reach one inventory application's workloads."""

    app: Application
    crown_jewel: bool
    ports: str
    """The port examined, e.g. ``8443/TCP``."""
    endpoints: list[str]
    """The application's pods and workloads (those in its namespace)."""
    sources: list[str]
    """Endpoints in other namespaces that may reach one of them."""
    every_namespace: bool
    """Whether every other namespace with endpoints has such a source."""
    external: list[str]
    """``anywhere``, or the ipBlocks that may reach it from outside."""
    undeclared: list[str]
    """Sources in the namespace of another inventory app (or data store)
    that does not declare a dependency on this app."""
    isolated: bool
    """Whether a policy governs ingress to every one of its endpoints."""
    default_deny_ingress: bool
    """Whether its namespace has a policy selecting every pod for ingress."""
    default_deny_egress: bool
    """The same for egress."""

    @property
    def open_to_the_world(self) -> bool:
        """Whether anything outside the cluster may reach it."""
        return any(
            source in ("anywhere", "0.0.0.0/0", "::/0") for source in self.external
        )

    def as_json(self) -> dict[str, object]:
        """The exposure for tools."""
        return {
            "app": self.app.id,
            "namespace": self.app.namespace,
            "classification": self.app.classification,
            "crown_jewel": self.crown_jewel,
            "port": self.ports,
            "workloads": self.endpoints,
            "reachable_from": self.sources,
            "reachable_from_every_namespace": self.every_namespace,
            "reachable_from_outside": self.external,
            "undeclared_sources": self.undeclared,
            "isolated": self.isolated,
            "default_deny": {
                "ingress": self.default_deny_ingress,
                "egress": self.default_deny_egress,
            },
        }


@dataclass(frozen=True)
class BlastRadius:
    """How many other endpoints one endpoint may reach."""

    endpoint: str
    direct: int
    transitive: int


@dataclass(frozen=True)
class ExposureReport:
    """The exposure of every inventory application and every blast radius."""

    apps: list[AppExposure]
    blast_radius: list[BlastRadius]
    """Widest first."""
    blast_ports: str
    """The ports the blast radius counts over."""
    endpoint_count: int
    namespace_count: int
    warnings: list[tuple[str, str]]
    """``(check, reason)`` for what could not be examined."""

    @property
    def crown_jewels(self) -> list[AppExposure]:
        """The exposures of crown jewels only."""
        return [exposure for exposure in self.apps if exposure.crown_jewel]

    def as_json(self) -> dict[str, object]:
        """The report for tools."""
        return {
            "crown_jewels": [exposure.as_json() for exposure in self.crown_jewels],
            "apps": [
                exposure.as_json() for exposure in self.apps if not exposure.crown_jewel
            ],
            "blast_radius": {
                "ports": self.blast_ports,
                "workloads": [
                    {
                        "workload": radius.endpoint,
                        "direct": radius.direct,
                        "transitive": radius.transitive,
                    }
                    for radius in self.blast_radius
                ],
            },
            "warnings": [
                {"check": check, "reason": reason} for check, reason in self.warnings
            ],
        }


def analyse_exposure(
    cluster: Cluster,
    inventory: Inventory,
    port: int | None = None,
    protocol: str = "TCP",
) -> ExposureReport:
    """Exposure of every inventory app and blast radius of every endpoint.

    Args:
        cluster: the manifests read.
        inventory: the applications, their namespaces, ports and dependencies.
        port: the port to examine; each app's own port when ``None``, and
            every port class for the blast radius.
        protocol: the protocol of ``port`` (apps' own ports are TCP).
    """
    evaluator = MatrixEvaluator(cluster)
    cache: dict[tuple[int, str], Reachability] = {}

    def at(number: int, proto: str) -> Reachability:
        key = (number, proto)
        if key not in cache:
            cache[key] = evaluator.evaluate(number, proto)
        return cache[key]

    jewels = {risk.app.id for risk in assess_risk(inventory) if risk.crown_jewel}
    dependents: dict[str, set[str]] = {app.id: set() for app in inventory.applications}
    for app in inventory.applications:
        for dependency in app.depends_on:
            if dependency.target in dependents:
                dependents[dependency.target].add(app.id)
    owners: dict[str, set[str]] = {}
    for app in inventory.applications:
        owners.setdefault(app.namespace, set()).add(app.id)
    for store in inventory.data_stores:
        if store.namespace:
            owners.setdefault(store.namespace, set()).add(store.id)

    populated = sorted({endpoint.namespace for endpoint in cluster.endpoints})
    apps: list[AppExposure] = []
    warnings: list[tuple[str, str]] = []
    for app in inventory.applications:
        number, proto = (port, protocol) if port is not None else (app.port, "TCP")
        exposure = _app_exposure(
            cluster,
            at(number, proto),
            (number, proto),
            app,
            app.id in jewels,
            populated,
            owners,
            dependents[app.id],
        )
        if not exposure.endpoints:
            if exposure.crown_jewel:
                warnings.append(
                    (
                        f"crown jewel {app.id}",
                        f"no pod or workload in namespace {app.namespace!r} "
                        "in the manifests",
                    )
                )
            continue
        apps.append(exposure)
    warnings.extend(("manifests", warning) for warning in cluster.warnings)

    if port is not None:
        combined = at(port, protocol)
    else:
        classes = port_classes([cluster])
        combined = at(classes[0].representative, classes[0].protocol)
        for port_class in classes[1:]:
            combined = combined.union(
                at(port_class.representative, port_class.protocol), "any port"
            )
    return ExposureReport(
        apps=apps,
        blast_radius=_blast_radius(combined),
        blast_ports=combined.ports,
        endpoint_count=len(cluster.endpoints),
        namespace_count=len(populated),
        warnings=warnings,
    )


def _app_exposure(
    cluster: Cluster,
    reachability: Reachability,
    examined: tuple[int, str],
    app: Application,
    crown_jewel: bool,
    populated: Sequence[str],
    owners: dict[str, set[str]],
    dependents: set[str],
) -> AppExposure:
    own = [
        index
        for index, endpoint in enumerate(cluster.endpoints)
        if endpoint.namespace == app.namespace
    ]
    sources: set[int] = set()
    external: set[str] = set()
    number, protocol = examined
    for index in own:
        sources.update(reachability.sources(index))
        external.update(
            external_sources(cluster, cluster.endpoints[index], number, protocol)
        )
    outside = sorted(
        cluster.endpoints[index].key
        for index in sources
        if cluster.endpoints[index].namespace != app.namespace
    )
    reached_from = {key.split("/", 1)[0] for key in outside}
    others = [name for name in populated if name != app.namespace]

    # TODO: platform namespaces (gateway, identity provider, monitoring) are
    # recognised only as "not an inventory app's"; an option to name them
    # would let namespaces of no app count as undeclared too.
    undeclared = [
        key
        for key in outside
        if (found := owners.get(key.split("/", 1)[0]))
        and not found & (dependents | {app.id})
    ]
    governed = [
        policy
        for policy in cluster.policies
        if policy.namespace == app.namespace and policy.pod_selector.is_empty
    ]
    isolated = all(
        any(
            policy.ingress is not None and policy.selects(cluster.endpoints[index])
            for policy in cluster.policies
        )
        for index in own
    )
    return AppExposure(
        app=app,
        crown_jewel=crown_jewel,
        ports=reachability.ports,
        endpoints=[cluster.endpoints[index].key for index in own],
        sources=outside,
        every_namespace=bool(others) and reached_from.issuperset(others),
        external=["anywhere"] if "anywhere" in external else sorted(external),
        undeclared=undeclared,
        isolated=bool(own) and isolated,
        default_deny_ingress=any(policy.ingress is not None for policy in governed),
        default_deny_egress=any(policy.egress is not None for policy in governed),
    )


def _blast_radius(reachability: Reachability) -> list[BlastRadius]:
    closures = transitive_rows(reachability.rows)
    members = reachability.members
    radii = []
    for index, endpoint in enumerate(reachability.endpoints):
        group = reachability.group_of[index]
        closure = closures[group]
        total = sum(len(members[found]) for found in bit_indices(closure))
        transitive = total - 1 if closure >> group & 1 else total
        radii.append(
            BlastRadius(endpoint.key, reachability.reach_count(index), transitive)
        )
    radii.sort(key=lambda radius: (-radius.transitive, -radius.direct, radius.endpoint))
    return radii


def transitive_rows(rows: Sequence[int]) -> list[int]:
    """For each group, the groups reachable in one or more hops.

    Groups with the same direct row have the same closure, so each distinct
    row is expanded once, breadth first, a frontier at a time.
    """
    by_row: dict[int, int] = {}
    closures = []
    for row in rows:
        closure = by_row.get(row)
        if closure is None:
            closure = frontier = row
            while frontier:
                reached = 0
                for group in bit_indices(frontier):
                    reached |= rows[group]
                frontier = reached & ~closure
                closure |= frontier
            by_row[row] = closure
        closures.append(closure)
    return closures


def exposure_evidence(
    report: ExposureReport,
    scope: str,
    collected_at: datetime.datetime | None = None,
) -> EvidenceFile:
    """Networks-pillar evidence from an exposure report.

    Per crown jewel, a failing item caps ``networks/network-segmentation``:

    - at traditional when no policy isolates its workloads for ingress, when
      anything outside the cluster may reach it (no ``from``, or an ipBlock of
      a whole address family), or when some workload of every other
      namespace may reach it;
    - at initial when workloads of another inventory app that does not
      declare a dependency on it may reach it, or when its namespace is not
      default-deny for ingress.

    When no crown jewel fails, a passing item at initial; when, in addition,
    every inventory app found is in a namespace default-deny for ingress and
    egress and reachable only from declared peers, a passing item at advanced.
    """
    when = collected_at or datetime.datetime.now(datetime.UTC)
    items: list[dict[str, str]] = []

    def item(
        status: Literal["pass", "fail"], stage: str, resource: str, finding: str
    ) -> None:
        items.append(
            {
                "function": FUNCTION,
                "status": status,
                "stage": stage,
                "resource": resource,
                "finding": finding,
            }
        )

    failing_jewels = 0
    for exposure in report.crown_jewels:
        problem = _traditional_problem(exposure)
        if problem:
            item("fail", "traditional", exposure.app.id, problem)
            failing_jewels += 1
            continue
        problem = _initial_problem(exposure)
        if problem:
            item("fail", "initial", exposure.app.id, problem)
            failing_jewels += 1

    jewels = report.crown_jewels
    if jewels and not failing_jewels:
        item(
            "pass",
            "initial",
            "crown jewels",
            f"all {len(jewels)} crown jewels found sit in default-deny namespaces "
            "and are reachable only from declared peers "
            f"({_names(exposure.app.id for exposure in jewels)})",
        )
        tight = all(
            exposure.default_deny_ingress
            and exposure.default_deny_egress
            and _traditional_problem(exposure) is None
            and _initial_problem(exposure) is None
            for exposure in report.apps
        )
        if tight:
            item(
                "pass",
                "advanced",
                "all apps",
                f"all {len(report.apps)} apps found sit in namespaces that deny "
                "ingress and egress by default and are reachable only from "
                "declared peers",
            )
    return EvidenceFile.model_validate(
        {
            "collector": COLLECTOR,
            "collected_at": when,
            "scope": scope,
            "items": items,
            "warnings": [
                {"check": check, "reason": reason} for check, reason in report.warnings
            ],
        }
    )


def _traditional_problem(exposure: AppExposure) -> str | None:
    name = f"crown jewel {exposure.app.id}" if exposure.crown_jewel else exposure.app.id
    if not exposure.isolated:
        return (
            f"{name}: no NetworkPolicy isolates its workloads for ingress, so every "
            f"pod and anything outside the cluster may reach it on {exposure.ports}"
        )
    if exposure.open_to_the_world:
        return (
            f"{name}: reachable from anywhere outside the cluster on "
            f"{exposure.ports} ({', '.join(exposure.external)})"
        )
    if exposure.every_namespace:
        return (
            f"{name}: reachable on {exposure.ports} from every other namespace, "
            f"from {len(exposure.sources)} workload(s) ({_names(exposure.sources)})"
        )
    return None


def _initial_problem(exposure: AppExposure) -> str | None:
    name = f"crown jewel {exposure.app.id}" if exposure.crown_jewel else exposure.app.id
    if exposure.undeclared:
        return (
            f"{name}: reachable on {exposure.ports} from {len(exposure.undeclared)} "
            "workload(s) of apps that do not declare a dependency on it "
            f"({_names(exposure.undeclared)})"
        )
    if not exposure.default_deny_ingress:
        return (
            f"{name}: namespace {exposure.app.namespace} has no default-deny "
            "ingress policy, so a new workload there would accept any traffic"
        )
    return None


def _names(names: Iterable[str]) -> str:
    listed = list(names)
    shown = ", ".join(listed[:NAMES_SHOWN])
    more = len(listed) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")
