"""Hypothesis strategies for small random clusters."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

from assessment.reachability.objects import Cluster, ContainerPort, Endpoint, Namespace
from assessment.reachability.policy import (
    PROTOCOLS,
    IPBlock,
    NetworkPolicy,
    Peer,
    PortRule,
    Rule,
)
from assessment.reachability.selectors import OPERATORS, Requirement, Selector

KEYS = ("app", "tier", "env")
VALUES = ("a", "b", "c")
NAMESPACES = ("n0", "n1")
PORT_NUMBERS = (53, 80, 81, 8080)
PORT_NAMES = ("http", "dns", "metrics")
EXAMINED_PORTS = (53, 80, 81, 82, 8080, 9000)

labels = st.dictionaries(
    st.sampled_from(KEYS), st.sampled_from(VALUES), min_size=1, max_size=3
)


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    operator = draw(st.sampled_from(OPERATORS))
    values: frozenset[str] = frozenset()
    if operator in ("In", "NotIn"):
        values = draw(st.frozensets(st.sampled_from(VALUES), min_size=1, max_size=2))
    return Requirement(draw(st.sampled_from(KEYS)), operator, values)


@st.composite
def selectors(draw: st.DrawFn) -> Selector:
    match_labels = draw(
        st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1)
    )
    return Selector.of(match_labels, *draw(st.lists(requirements(), max_size=2)))


@st.composite
def ip_blocks(draw: st.DrawFn) -> IPBlock:
    cidr = ipaddress.ip_network(
        draw(st.sampled_from(("10.0.0.0/8", "10.0.0.0/24", "0.0.0.0/0")))
    )
    holes = [
        ipaddress.ip_network(hole)
        for hole in draw(
            st.lists(st.sampled_from(("10.0.0.0/30", "10.0.0.4/30")), max_size=1)
        )
        if cidr.prefixlen < 30
    ]
    return IPBlock(cidr, tuple(holes))


@st.composite
def peers(draw: st.DrawFn) -> Peer:
    shape = draw(st.sampled_from(("pod", "namespace", "both", "ip")))
    if shape == "ip":
        return Peer(ip_block=draw(ip_blocks()))
    return Peer(
        pod_selector=draw(selectors()) if shape in ("pod", "both") else None,
        namespace_selector=(
            draw(selectors()) if shape in ("namespace", "both") else None
        ),
    )


@st.composite
def port_rules(draw: st.DrawFn) -> PortRule:
    protocol = draw(st.sampled_from(PROTOCOLS))
    shape = draw(st.sampled_from(("any", "number", "range", "name")))
    if shape == "any":
        return PortRule(protocol)
    if shape == "name":
        return PortRule(protocol, draw(st.sampled_from(PORT_NAMES)))
    port = draw(st.sampled_from(PORT_NUMBERS))
    if shape == "number":
        return PortRule(protocol, port)
    return PortRule(protocol, port, draw(st.integers(port, 8100)))


rules = st.builds(
    Rule,
    # An empty list stands for an absent one, as in the API.
    peers=st.lists(peers(), max_size=3).map(lambda found: tuple(found) or None),
    ports=st.lists(port_rules(), max_size=2).map(lambda found: tuple(found) or None),
)
rule_lists = st.none() | st.lists(rules, max_size=2).map(tuple)


@st.composite
def endpoints(draw: st.DrawFn, number: int) -> Endpoint:
    ports = draw(
        st.lists(
            st.builds(
                ContainerPort,
                number=st.sampled_from(PORT_NUMBERS),
                protocol=st.sampled_from(PROTOCOLS),
                name=st.none() | st.sampled_from(PORT_NAMES),
            ),
            max_size=3,
        )
    )
    has_ip = draw(st.booleans())
    ip = ipaddress.ip_address(f"10.0.0.{draw(st.integers(1, 9))}")
    return Endpoint(
        namespace=draw(st.sampled_from(NAMESPACES)),
        name=f"p{number}",
        labels=draw(labels),
        ports=tuple(ports),
        ips=(ip,) if has_ip else (),
    )


@st.composite
def clusters(draw: st.DrawFn, max_pods: int = 7, max_policies: int = 5) -> Cluster:
    count = draw(st.integers(1, max_pods))
    pods = [draw(endpoints(number)) for number in range(count)]
    namespaces = [
        Namespace.of(name, draw(labels)) for name in NAMESPACES if draw(st.booleans())
    ]
    policies = [
        NetworkPolicy(
            namespace=draw(st.sampled_from(NAMESPACES)),
            name=f"policy{number}",
            pod_selector=draw(selectors()),
            ingress=draw(rule_lists),
            egress=draw(rule_lists),
        )
        for number in range(draw(st.integers(1, max_policies)))
    ]
    return Cluster.build(pods, policies, namespaces)
