"""Benchmark: the NetworkPolicy reachability matrix on generated clusters.

Two clusters are generated in memory (no YAML): 5,000 pods with 1,000
policies, and 100,000 pods with 20,000 policies. Namespaces hold a few apps
each (web, api, worker, db, cache tiers); the pods of a workload share its
labels, except StatefulSet pods, which carry their own pod-name label as in a
real cluster. Policies mix default-deny (ingress, and egress in half of the
namespaces), DNS egress, allow-from-gateway, allow-from-pod in the same
namespace, allow-from-namespace with matchExpressions and port ranges,
allow-from-monitoring, egress to other namespaces, internet egress through an
ipBlock with an except, and named ports throughout. Pods have IPs.

"The matrix time" is :class:`MatrixEvaluator` built from the cluster (pods
grouped, selectors and policies compiled to bitsets) plus ``evaluate`` for
one port: every group's set of reachable groups, which answers any
(source, destination) pair in constant time. It excludes generating the
objects, reading YAML and expanding the answer into n x n booleans or JSON
(10^10 entries for the large cluster); the allowed-connection count printed
is summed from the group rows without expanding them.

The pair-by-pair evaluator (every policy checked for every pair) is timed on
the small cluster only, on a random sample of sources against every
destination, and extrapolated to all sources; its sampled rows are checked
against the fast matrix.

Run: ``uv run python bench/netpol.py [--repeat R] [--sample-seconds S]``.
Targets: 5,000 pods under 2 s, 100,000 pods under 60 s, at least 50x faster
than pair-by-pair.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessment.reachability.matrix import (
    MatrixEvaluator,
    Reachability,
    bit_indices,
)
from assessment.reachability.objects import (
    Cluster,
    ContainerPort,
    Endpoint,
    Namespace,
)
from assessment.reachability.policy import (
    IPBlock,
    NetworkPolicy,
    Peer,
    PortRule,
    Rule,
    connection_allowed,
)
from assessment.reachability.selectors import (
    EVERYTHING,
    Requirement,
    Selector,
)

PORT = 8080
PROTOCOL = "TCP"
TEAMS = ("payments", "search", "identity", "catalog", "shipping", "analytics")
TIERS = ("web", "api", "worker", "db", "cache")
TIER_PORTS: dict[str, tuple[ContainerPort, ...]] = {
    "web": (ContainerPort(8080, "TCP", "http"), ContainerPort(9090, "TCP", "metrics")),
    "api": (
        ContainerPort(8080, "TCP", "http"),
        ContainerPort(9000, "TCP", "grpc"),
        ContainerPort(9090, "TCP", "metrics"),
    ),
    "worker": (ContainerPort(9090, "TCP", "metrics"),),
    "db": (ContainerPort(5432, "TCP", "pg"), ContainerPort(9187, "TCP", "metrics")),
    "cache": (ContainerPort(6379, "TCP", "redis"),),
}
NAME = "kubernetes.io/metadata.name"
T = TypeVar("T")
Kind = tuple[str, Selector, tuple[Rule, ...] | None, tuple[Rule, ...] | None]
"""A policy's name, pod selector, ingress rules and egress rules."""


def _ip(number: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.0.0.0")) + number + 1)


def generate_cluster(pod_count: int, policy_count: int, seed: int = 7) -> Cluster:
    """A cluster of about ``pod_count`` pods and exactly ``policy_count`` policies."""
    rng = random.Random(seed)
    pods: list[Endpoint] = []
    namespaces: list[Namespace] = []

    def add_pods(
        namespace: str,
        workload: str,
        labels: dict[str, str],
        count: int,
        ports: tuple[ContainerPort, ...],
        stateful: bool = False,
    ) -> None:
        for replica in range(count):
            name = (
                f"{workload}-{replica}"
                if stateful
                else f"{workload}-{rng.getrandbits(32):08x}"
            )
            own = dict(labels)
            if stateful:
                own["statefulset.kubernetes.io/pod-name"] = name
            pods.append(Endpoint(namespace, name, own, ports, (_ip(len(pods)),)))

    # The platform: DNS, monitoring and the gateway.
    namespaces += [
        Namespace.of("kube-system"),
        Namespace.of("monitoring", {"team": "platform"}),
        Namespace.of("gateway", {"team": "platform"}),
    ]
    add_pods(
        "kube-system",
        "coredns",
        {"k8s-app": "kube-dns"},
        2,
        (ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp")),
    )
    add_pods("monitoring", "prometheus", {"app": "prometheus"}, 2, ())
    add_pods(
        "gateway",
        "envoy",
        {"app": "gateway"},
        4,
        (ContainerPort(8443, "TCP", "https"),),
    )

    app_namespaces = [f"ns{i:04d}" for i in range(max(4, pod_count // 50))]
    per_namespace, remainder = divmod(pod_count - len(pods), len(app_namespaces))
    teams: dict[str, str] = {}
    for number, namespace in enumerate(app_namespaces):
        team = rng.choice(TEAMS)
        teams[namespace] = team
        env = rng.choice(("prod", "prod", "staging", "dev"))
        namespaces.append(Namespace.of(namespace, {"team": team, "env": env}))

        # A few apps per namespace, splitting its pods unevenly.
        tiers = rng.sample(TIERS, rng.randint(3, 5))
        budget = per_namespace + (1 if number < remainder else 0)
        weights = [rng.random() + 0.3 for _ in tiers]
        counts = [max(1, int(budget * weight / sum(weights))) for weight in weights]
        counts[-1] = max(1, budget - sum(counts[:-1]))
        for tier, count in zip(tiers, counts, strict=True):
            labels = {
                "app": f"{namespace}-{tier}",
                "tier": tier,
                "team": team,
                "pod-template-hash": f"{rng.getrandbits(24):06x}",
            }
            add_pods(
                namespace,
                f"{namespace}-{tier}",
                labels,
                count,
                TIER_PORTS[tier],
                stateful=tier == "db",
            )

    policies = _policies(app_namespaces, teams, policy_count, rng)
    return Cluster.build(pods, policies, namespaces)


def _policies(
    app_namespaces: list[str], teams: dict[str, str], total: int, rng: random.Random
) -> list[NetworkPolicy]:
    def tier(*names: str) -> Selector:
        if len(names) == 1:
            return Selector.of({"tier": names[0]})
        return Selector.of(None, Requirement("tier", "In", frozenset(names)))

    def named(*ports: str) -> tuple[PortRule, ...]:
        return tuple(PortRule("TCP", port) for port in ports)

    dns = Peer(Selector.of({"k8s-app": "kube-dns"}), Selector.of({NAME: "kube-system"}))
    gateway = Peer(Selector.of({"app": "gateway"}), Selector.of({NAME: "gateway"}))
    prometheus = Peer(
        Selector.of({"app": "prometheus"}), Selector.of({NAME: "monitoring"})
    )
    internet = IPBlock(
        ipaddress.ip_network("0.0.0.0/0"), (ipaddress.ip_network("10.0.0.0/8"),)
    )

    def kinds(namespace: str) -> list[Kind]:
        egress_denied = rng.random() < 0.5
        other = rng.choice(app_namespaces)
        same_team = Selector.of(
            {"team": teams[namespace]},
            Requirement("env", "NotIn", frozenset({"dev"})),
        )
        made: list[Kind] = [
            ("default-deny", EVERYTHING, (), () if egress_denied else None),
            ("web-from-gateway", tier("web"), (Rule((gateway,), named("http")),), None),
            (
                "api-from-web",
                tier("api"),
                (Rule((Peer(tier("web")),), named("http", "grpc")),),
                None,
            ),
            (
                "stores-from-api",
                tier("db", "cache"),
                (Rule((Peer(tier("api", "worker")),), named("pg", "redis")),),
                None,
            ),
            (
                "from-monitoring",
                EVERYTHING,
                (Rule((prometheus,), named("metrics")),),
                None,
            ),
            (
                "api-from-team",
                tier("api"),
                (Rule((Peer(None, same_team),), (PortRule("TCP", 8000, 8100),)),),
                None,
            ),
            (
                "worker-to-other-api",
                tier("worker"),
                None,
                (
                    Rule(
                        (Peer(tier("api"), Selector.of({NAME: other})),),
                        named("http"),
                    ),
                    Rule((Peer(tier("db", "cache")),)),
                    Rule((dns,), (PortRule("UDP", 53), PortRule("TCP", 53))),
                ),
            ),
            (
                "web-from-prod",
                tier("web"),
                (
                    Rule(
                        (Peer(None, Selector.of({"env": "prod"})),),
                        (PortRule("TCP", 8080),),
                    ),
                ),
                None,
            ),
        ]
        if egress_denied:
            made += [
                (
                    "allow-dns",
                    EVERYTHING,
                    None,
                    (Rule((dns,), (PortRule("UDP", 53), PortRule("TCP", 53))),),
                ),
                (
                    "app-egress",
                    tier("web", "api"),
                    None,
                    (
                        Rule((Peer(tier("api", "db", "cache")),)),
                        Rule(
                            (Peer(tier("web"), Selector.of({"env": "prod"})),),
                            (PortRule("TCP", 8080),),
                        ),
                    ),
                ),
            ]
        else:
            made += [
                (
                    "api-from-gateway",
                    tier("api"),
                    (Rule((gateway,), named("grpc")),),
                    None,
                ),
                (
                    "worker-to-internet",
                    tier("worker"),
                    None,
                    (Rule((Peer(ip_block=internet),), (PortRule("TCP", 443),)),),
                ),
            ]
        return made

    policies: list[NetworkPolicy] = []
    quota, extra = divmod(total, len(app_namespaces))
    for position, namespace in enumerate(app_namespaces):
        wanted = quota + (1 if position < extra else 0)
        made = kinds(namespace)
        for number in range(wanted):
            name, selector, ingress, egress = made[number % len(made)]
            suffix = "" if number < len(made) else f"-{number // len(made)}"
            policies.append(
                NetworkPolicy(namespace, name + suffix, selector, ingress, egress)
            )
    return policies


def best_of(repeat: int, work: Callable[[], T]) -> tuple[float, T]:
    """The fastest of ``repeat`` runs, in seconds, and the last result."""
    times = []
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), result


def allowed_connections(reachability: Reachability) -> int:
    """Allowed (source, destination) pairs, self excluded, from the group rows."""
    sizes = [len(members) for members in reachability.members]
    total = 0
    for group, row in enumerate(reachability.rows):
        reached = sum(sizes[found] for found in bit_indices(row))
        total += sizes[group] * reached - (sizes[group] if row >> group & 1 else 0)
    return total


def fast_matrix(cluster: Cluster) -> tuple[MatrixEvaluator, Reachability]:
    """The measured work: build the evaluator and evaluate one port."""
    evaluator = MatrixEvaluator(cluster)
    return evaluator, evaluator.evaluate(PORT, PROTOCOL)


def measure(
    label: str, pods: int, policies: int, repeat: int
) -> tuple[Cluster, float, Reachability]:
    """Generate a cluster and time its fast matrix."""
    start = time.perf_counter()
    cluster = generate_cluster(pods, policies)
    generated = time.perf_counter() - start
    seconds, (evaluator, reachability) = best_of(repeat, lambda: fast_matrix(cluster))
    count = len(cluster.endpoints)
    allowed = allowed_connections(reachability)
    print(
        f"{label}: {count:,} pods, {len(cluster.policies):,} policies, "
        f"{len(cluster.namespaces):,} namespaces -> {evaluator.group_count:,} groups "
        f"(generated in {generated:.1f} s, not counted)"
    )
    print(f"  fast matrix on {PORT}/{PROTOCOL}: {seconds:.2f} s (best of {repeat})")
    print(
        f"  allowed connections: {allowed:,} of {count * (count - 1):,} "
        "(summed from group rows, not materialised)"
    )
    return cluster, seconds, reachability


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--sample-seconds",
        type=float,
        default=10.0,
        help="time budget for the pair-by-pair sample (default 10)",
    )
    parser.add_argument("--small-only", action="store_true")
    arguments = parser.parse_args()

    cluster, small_seconds, reachability = measure(
        "small cluster", 5_000, 1_000, arguments.repeat
    )

    # The pair-by-pair reference, on random sources against every destination.
    rng = random.Random(11)
    endpoints = cluster.endpoints
    order = rng.sample(range(len(endpoints)), len(endpoints))
    sampled = 0
    disagreements = 0
    spent = 0.0
    while sampled < 3 or spent < arguments.sample_seconds:
        source = order[sampled]
        start = time.perf_counter()
        row = [
            connection_allowed(cluster, endpoints[source], destination, PORT, PROTOCOL)
            for destination in endpoints
        ]
        spent += time.perf_counter() - start
        fast_row = set(reachability.destinations(source))
        disagreements += sum(
            1 for index, allowed in enumerate(row) if allowed != (index in fast_row)
        )
        sampled += 1
    extrapolated = spent / sampled * len(endpoints)
    ratio = extrapolated / small_seconds
    print(
        f"  pair-by-pair: {sampled} random sources x {len(endpoints):,} destinations "
        f"took {spent:.1f} s; extrapolated to all {len(endpoints):,} sources: "
        f"{extrapolated:,.0f} s (sampled and extrapolated, not run in full)"
    )
    print(
        f"  sampled rows agree with the fast matrix: "
        f"{'yes' if not disagreements else f'NO, {disagreements} pairs differ'}"
    )
    print(
        f"  speed-up over pair-by-pair: {ratio:,.0f}x (target at least 50x: "
        f"{'met' if ratio >= 50 else 'missed'})"
    )
    print(f"  target under 2 s: {'met' if small_seconds < 2 else 'missed'}")

    if arguments.small_only:
        return
    _, large_seconds, _ = measure("large cluster", 100_000, 20_000, 1)
    print(f"  target under 60 s: {'met' if large_seconds < 60 else 'missed'}")


if __name__ == "__main__":
    main()
