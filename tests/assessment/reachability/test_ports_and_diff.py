"""Port classes, and what a change opens and closes."""

from __future__ import annotations

from assessment.reachability.diff import diff_clusters
from assessment.reachability.manifests import load_cluster
from assessment.reachability.objects import Cluster, ContainerPort, Endpoint
from assessment.reachability.policy import NetworkPolicy, PortRule, Rule
from assessment.reachability.ports import port_classes
from tests.assessment.reachability.tables import NETPOL

DIFF = NETPOL / "diff"


def _cluster(*ports: PortRule, container: tuple[ContainerPort, ...] = ()) -> Cluster:
    pod = Endpoint("n", "p", {}, ports=container)
    policy = NetworkPolicy("n", "p", ingress=(Rule(ports=ports),))
    return Cluster.build([pod], [policy])


def test_single_ports_ranges_and_the_rest_become_classes() -> None:
    cluster = _cluster(
        PortRule("TCP", 8000, 8100),
        PortRule("TCP", 8080),
        PortRule("UDP", "dns"),
        container=(ContainerPort(53, "UDP", "dns"), ContainerPort(9090)),
    )

    labels = [port_class.label for port_class in port_classes([cluster])]

    assert labels == [
        "8000-8079/TCP",
        "8080/TCP",
        "8081-8100/TCP",
        "9090/TCP",
        "other TCP ports",
        "53/UDP",
        "other UDP ports",
        "other SCTP ports",
    ]


def test_the_other_class_stands_for_a_port_nothing_mentions() -> None:
    cluster = _cluster(PortRule("TCP", 1, 10), PortRule("TCP", 11))

    other = [c for c in port_classes([cluster]) if c.other and c.protocol == "TCP"]

    assert other[0].representative == 12
    assert other[0].json_port == "other"


def test_a_range_over_every_port_leaves_no_other_class() -> None:
    cluster = _cluster(PortRule("SCTP", 1, 65535))

    sctp = [c.label for c in port_classes([cluster]) if c.protocol == "SCTP"]

    assert sctp == ["1-65535/SCTP"]


def test_a_change_that_opens_engineering_to_finance_says_so() -> None:
    diff = diff_clusters(load_cluster([DIFF / "old"]), load_cluster([DIFF / "new"]))

    assert diff.as_json() == {
        "opened": [
            {
                "from": "engineering/ci",
                "to": "finance/ledger",
                "port": 5432,
                "protocol": "TCP",
            }
        ],
        "closed": [
            {
                "from": "finance/reports",
                "to": "finance/ledger",
                "port": 8080,
                "protocol": "TCP",
            }
        ],
        "added": [],
        "removed": [],
        "ports_examined": [
            "5432/TCP",
            "8080/TCP",
            "other TCP ports",
            "other UDP ports",
            "other SCTP ports",
        ],
    }


def test_a_diff_of_manifests_with_themselves_is_empty() -> None:
    cluster = load_cluster([DIFF / "new"])

    assert diff_clusters(cluster, cluster).is_empty


def test_endpoints_on_one_side_only_are_listed_not_compared() -> None:
    old = Cluster.build([Endpoint("n", "a", {}), Endpoint("n", "gone", {})])
    new = Cluster.build([Endpoint("n", "a", {}), Endpoint("n", "new", {})])

    diff = diff_clusters(old, new)

    assert diff.is_empty
    assert diff.added == ["n/new"]
    assert diff.removed == ["n/gone"]
