"""The NetworkPolicy specification, point by point, as explicit truth tables.

Rows are sources, columns destinations, 1 where the connection is allowed.
The base cluster (tests/data/netpol/base) has namespaces x (team=blue,
env=prod) and y (team=red) with pods a and b in each; the container port
"http" is 80 on x/a and y/a, 8080 on x/b, and y/b has only "metrics" 9090.
"""

from __future__ import annotations

import pytest

from tests.assessment.reachability.tables import BASE, NETPOL, assert_table

POLICIES = NETPOL / "policies"
ALL_ALLOWED = """
      x/a x/b y/a y/b
x/a    1   1   1   1
x/b    1   1   1   1
y/a    1   1   1   1
y/b    1   1   1   1
"""
X_CLOSED = """
      x/a x/b y/a y/b
x/a    1   0   1   1
x/b    0   1   1   1
y/a    0   0   1   1
y/b    0   0   1   1
"""


def test_without_policies_everything_is_allowed() -> None:
    assert_table([BASE], 80, ALL_ALLOWED)


def test_a_policy_without_rules_isolates_the_pods_it_selects() -> None:
    assert_table([BASE, POLICIES / "deny-ingress-x.yaml"], 80, X_CLOSED)


def test_an_empty_rule_and_empty_from_and_ports_lists_allow_everything() -> None:
    assert_table(
        [BASE, POLICIES / "allow-all-forms.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   0   1   1
x/b    1   1   1   1
y/a    1   0   1   1
y/b    1   0   1   1
""",
    )


def test_policy_types_default_and_explicit() -> None:
    # x/a: Ingress+Egress implied by its egress rule (so ingress is closed),
    # egress to y only. y/a: Egress only, to y/b only. y/b: an empty egress
    # list implies Ingress only. x/b: Ingress only, its egress rule ignored.
    assert_table(
        [BASE, POLICIES / "policy-types.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   0   1   0
x/b    0   1   1   0
y/a    0   0   1   0
y/b    0   1   1   1
""",
    )


def test_policies_selecting_the_same_pod_add_up() -> None:
    assert_table(
        [BASE, POLICIES / "union.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   1   1   1
x/b    1   1   1   1
y/a    1   1   1   1
y/b    0   1   1   1
""",
    )


def test_pod_selector_alone_is_the_policy_namespace_namespace_selector_alone_all_pods() -> (
    None
):
    assert_table(
        [BASE, POLICIES / "peers.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   0   0   0
x/b    1   1   0   0
y/a    1   1   1   1
y/b    1   1   0   1
""",
    )


def test_both_selectors_in_one_peer_and_separate_peers_or() -> None:
    assert_table(
        [BASE, POLICIES / "and-or.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   1   1   1
x/b    0   1   1   1
y/a    0   1   1   1
y/b    1   1   1   1
""",
    )


def test_every_match_expressions_operator() -> None:
    assert_table(
        [BASE, POLICIES / "expressions.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   1   0   0
x/b    1   1   0   0
y/a    1   0   1   1
y/b    0   0   1   1
""",
    )


def test_named_ports_resolve_on_the_destination_pod_on_port_80() -> None:
    assert_table(
        [BASE, POLICIES / "named-ports.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   0   1   1
x/b    1   1   1   1
y/a    1   0   1   0
y/b    1   0   1   1
""",
    )


def test_named_ports_resolve_on_the_destination_pod_on_port_8080() -> None:
    assert_table(
        [BASE, POLICIES / "named-ports.yaml"],
        8080,
        """
      x/a x/b y/a y/b
x/a    1   1   1   1
x/b    0   1   1   1
y/a    0   1   1   0
y/b    0   1   1   1
""",
    )


@pytest.mark.parametrize("port", [8000, 8050, 8100])
def test_a_port_range_includes_both_ends(port: int) -> None:
    assert_table([BASE, POLICIES / "port-range.yaml"], port, ALL_ALLOWED)


@pytest.mark.parametrize("port", [7999, 8101])
def test_a_port_range_excludes_what_lies_outside(port: int) -> None:
    assert_table(
        [BASE, POLICIES / "port-range.yaml"],
        port,
        """
      x/a x/b y/a y/b
x/a    1   1   0   0
x/b    1   1   0   0
y/a    1   1   1   0
y/b    1   1   0   1
""",
    )


@pytest.mark.parametrize(
    ("port", "protocol"),
    [(53, "UDP"), (443, "TCP"), (9999, "SCTP"), (1, "SCTP")],
)
def test_protocols_admitted(port: int, protocol: str) -> None:
    assert_table([BASE, POLICIES / "protocols.yaml"], port, ALL_ALLOWED, protocol)


@pytest.mark.parametrize(
    ("port", "protocol"),
    # 53/TCP: the rule says UDP. 443/UDP: the rule defaults to TCP.
    # 80/UDP: "http" on UDP resolves nowhere (x/a's http is TCP).
    [(53, "TCP"), (443, "UDP"), (80, "UDP"), (80, "TCP")],
)
def test_protocols_refused(port: int, protocol: str) -> None:
    assert_table([BASE, POLICIES / "protocols.yaml"], port, X_CLOSED, protocol)


def test_namespace_name_label_is_always_present_even_on_implicit_namespaces() -> None:
    assert_table(
        [BASE, POLICIES / "namespace-name.yaml"],
        80,
        """
      x/a x/b y/a y/b z/c
x/a    1   0   1   1   1
x/b    0   1   1   1   1
y/a    0   0   1   1   1
y/b    0   0   1   1   1
z/c    1   1   0   0   1
""",
    )


def test_a_pod_always_reaches_itself() -> None:
    assert_table(
        [BASE, POLICIES / "deny-everything.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   0   0   0
x/b    0   1   0   0
y/a    0   0   1   0
y/b    0   0   0   1
""",
    )


def test_egress_of_the_source_and_ingress_of_the_destination_must_both_allow() -> None:
    assert_table(
        [BASE, POLICIES / "both-directions.yaml"],
        80,
        """
      x/a x/b y/a y/b
x/a    1   0   1   0
x/b    1   1   1   1
y/a    1   1   1   0
y/b    1   1   1   1
""",
    )


def test_ip_blocks_match_pod_ips_only() -> None:
    # server accepts 10.1.0.0/16 except 10.1.2.0/24; worker (a Deployment,
    # no IP) accepts 0.0.0.0/0, which still admits every pod with an IP;
    # client-in may send to 0.0.0.0/0, which does not include worker.
    assert_table(
        [NETPOL / "ip-block"],
        80,
        """
                 n/client-in n/client-hole n/server n/worker
n/client-in          1            1           1        0
n/client-hole        1            1           0        1
n/server             1            1           1        1
n/worker             1            1           0        1
""",
    )


def test_workloads_stand_for_their_pod_templates() -> None:
    assert_table(
        [NETPOL / "workloads"],
        5432,
        """
        w/web w/db w/agent w/job w/cron w/rs
w/web     1    1     1      1     1     1
w/db      1    1     1      1     1     1
w/agent   1    0     1      1     1     1
w/job     1    0     1      1     1     1
w/cron    1    0     1      1     1     1
w/rs      1    0     1      1     1     1
""",
    )
