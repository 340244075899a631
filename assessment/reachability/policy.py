"""The NetworkPolicy specification: the model, its validation, its meaning.

What the analyzer takes from the specification (``networking.k8s.io/v1``):

- A policy governs the directions in ``policyTypes``; when that list is
  absent or empty it governs Ingress, and Egress too when it has at least one
  egress rule.
- A pod selected by no policy governing a direction is not isolated in that
  direction: everything may reach it (ingress) or it may reach everything
  (egress). Once selected, only what some rule of some selecting policy
  allows gets through; rules and policies only ever add to the allowed set.
- A rule with an absent or empty ``from``/``to`` list allows every peer; an
  absent or empty ``ports`` list allows every port and protocol.
- A peer with ``podSelector`` alone selects pods in the policy's namespace;
  ``namespaceSelector`` alone, every pod in the namespaces it selects; both in
  one peer, the pods matching both (AND). Separate peers add up (OR).
- A numeric port, with ``endPort`` a range; a named port is looked up in the
  destination pod's container ports, by name and protocol, for ingress and
  egress rules alike. The protocol defaults to TCP.
- An ``ipBlock`` matches a pod only through its ``status.podIP``/``podIPs``;
  workloads have no IP, so an ipBlock never matches them.
- A pod may always reach itself.

Traffic from A to B on a port is allowed when A's egress allows it and B's
ingress allows it. :func:`connection_allowed` applies this pair by pair; it is
the reference the fast evaluator in :mod:`assessment.reachability.matrix` is
tested against.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import TYPE_CHECKING, Any, Literal

from assessment.document import did_you_mean
from assessment.reachability.errors import PolicyError
from assessment.reachability.objects import Endpoint, IPAddress
from assessment.reachability.selectors import EVERYTHING, Selector, parse_selector
from assessment.reachability.source import ObjectSource

if TYPE_CHECKING:
    from assessment.reachability.objects import Cluster

PROTOCOLS = ("TCP", "UDP", "SCTP")
Direction = Literal["Ingress", "Egress"]
DIRECTIONS: tuple[Direction, ...] = ("Ingress", "Egress")
IPNetwork = IPv4Network | IPv6Network
_PORT_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_SPEC_FIELDS = ("podSelector", "policyTypes", "ingress", "egress")
_PEER_FIELDS = ("podSelector", "namespaceSelector", "ipBlock")
_PORT_FIELDS = ("protocol", "port", "endPort")
_IP_BLOCK_FIELDS = ("cidr", "except")
_RULE_PEERS: dict[Direction, str] = {"Ingress": "from", "Egress": "to"}


@dataclass(frozen=True, slots=True)
class PortRule:
    """One entry of a rule's ``ports``."""

    protocol: str = "TCP"
    port: int | str | None = None
    """A number, a container port name, or ``None`` for every port."""
    end_port: int | None = None
    """With a numeric ``port``, the last port of the range."""

    def matches(self, port: int, protocol: str, destination: Endpoint) -> bool:
        """Whether traffic to ``destination`` on ``port``/``protocol`` matches."""
        if protocol != self.protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, int):
            last = self.end_port if self.end_port is not None else self.port
            return self.port <= port <= last
        return any(
            declared.name == self.port
            and declared.protocol == protocol
            and declared.number == port
            for declared in destination.ports
        )

    def describe(self) -> str:
        """``8080/TCP``, ``8000-8100/TCP``, ``http/TCP`` or ``any/UDP``."""
        if self.port is None:
            return f"any/{self.protocol}"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol}"
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True, slots=True)
class IPBlock:
    """A CIDR range with holes."""

    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def contains(self, address: IPAddress) -> bool:
        """Whether ``address`` is in the range and in none of its holes."""
        if address.version != self.cidr.version or address not in self.cidr:
            return False
        return not any(address in hole for hole in self.excepts)

    def describe(self) -> str:
        """``10.0.0.0/8``, or ``0.0.0.0/0 except 10.0.0.0/8``."""
        if not self.excepts:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(map(str, self.excepts))}"

    @property
    def is_everywhere(self) -> bool:
        """Whether the block is a whole address family with no holes."""
        return self.cidr.prefixlen == 0 and not self.excepts


@dataclass(frozen=True, slots=True)
class Peer:
    """One entry of a rule's ``from`` or ``to``."""

    pod_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ip_block: IPBlock | None = None

    def matches(
        self,
        policy_namespace: str,
        endpoint: Endpoint,
        namespace_labels: Callable[[str], Mapping[str, str]],
    ) -> bool:
        """Whether ``endpoint`` is this peer, for a policy in ``policy_namespace``."""
        if self.ip_block is not None:
            return any(self.ip_block.contains(ip) for ip in endpoint.ips)
        if self.namespace_selector is None:
            in_namespace = endpoint.namespace == policy_namespace
        else:
            in_namespace = self.namespace_selector.matches(
                namespace_labels(endpoint.namespace)
            )
        if not in_namespace:
            return False
        return self.pod_selector is None or self.pod_selector.matches(endpoint.labels)


@dataclass(frozen=True, slots=True)
class Rule:
    """One ingress or egress rule."""

    peers: tuple[Peer, ...] | None = None
    """``None`` when ``from``/``to`` is absent or empty: every peer."""
    ports: tuple[PortRule, ...] | None = None
    """``None`` when ``ports`` is absent or empty: every port and protocol."""

    def allows_port(self, port: int, protocol: str, destination: Endpoint) -> bool:
        """Whether the rule's ports admit traffic to ``destination``."""
        if self.ports is None:
            return True
        return any(entry.matches(port, protocol, destination) for entry in self.ports)

    def allows_peer(
        self,
        policy_namespace: str,
        endpoint: Endpoint,
        namespace_labels: Callable[[str], Mapping[str, str]],
    ) -> bool:
        """Whether ``endpoint`` is among the rule's peers."""
        if self.peers is None:
            return True
        return any(
            peer.matches(policy_namespace, endpoint, namespace_labels)
            for peer in self.peers
        )


@dataclass(frozen=True, eq=False)
class NetworkPolicy:
    """A NetworkPolicy after defaulting, ready to evaluate."""

    namespace: str
    name: str
    pod_selector: Selector = EVERYTHING
    ingress: tuple[Rule, ...] | None = None
    """``None`` when the policy does not govern ingress; ``()`` denies all."""
    egress: tuple[Rule, ...] | None = None
    """``None`` when the policy does not govern egress; ``()`` denies all."""
    source: str = ""

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: Direction) -> tuple[Rule, ...] | None:
        """The rules of ``direction``, ``None`` when it is not governed."""
        return self.ingress if direction == "Ingress" else self.egress

    def selects(self, endpoint: Endpoint) -> bool:
        """Whether the policy applies to ``endpoint``."""
        return endpoint.namespace == self.namespace and self.pod_selector.matches(
            endpoint.labels
        )


# --- the reference evaluator --------------------------------------------------


def direction_allows(
    cluster: Cluster,
    direction: Direction,
    local: Endpoint,
    remote: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str,
) -> bool:
    """Whether ``local``'s policies of ``direction`` let the traffic through.

    ``local`` is the destination for ingress and the source for egress;
    ``remote`` is the other end.
    """
    isolated = False
    for policy in cluster.policies:
        rules = policy.rules(direction)
        if rules is None or not policy.selects(local):
            continue
        isolated = True
        for rule in rules:
            if rule.allows_port(port, protocol, destination) and rule.allows_peer(
                policy.namespace, remote, cluster.namespace_labels
            ):
                return True
    return not isolated


def connection_allowed(
    cluster: Cluster,
    source: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str = "TCP",
) -> bool:
    """Whether ``source`` may open a connection to ``destination``, pair by pair."""
    if source is destination:
        return True
    return direction_allows(
        cluster, "Egress", source, destination, destination, port, protocol
    ) and direction_allows(
        cluster, "Ingress", destination, source, destination, port, protocol
    )


def reference_matrix(
    cluster: Cluster, port: int, protocol: str = "TCP"
) -> list[list[bool]]:
    """Every source against every destination, checking every policy each time.

    Slow on purpose: it is the straightforward reading of the specification.
    """
    return [
        [
            connection_allowed(cluster, source, destination, port, protocol)
            for destination in cluster.endpoints
        ]
        for source in cluster.endpoints
    ]


def external_sources(
    cluster: Cluster, destination: Endpoint, port: int, protocol: str = "TCP"
) -> list[str]:
    """What outside the cluster may reach ``destination`` on ``port``.

    ``["anywhere"]`` when the destination is not isolated for ingress or a
    rule allows every source; otherwise the ipBlocks of the rules that admit
    the port.
    """
    isolated = False
    blocks: list[str] = []
    for policy in cluster.policies:
        if policy.ingress is None or not policy.selects(destination):
            continue
        isolated = True
        for rule in policy.ingress:
            if not rule.allows_port(port, protocol, destination):
                continue
            if rule.peers is None:
                return ["anywhere"]
            for peer in rule.peers:
                if peer.ip_block is not None:
                    blocks.append(peer.ip_block.describe())
    if not isolated:
        return ["anywhere"]
    return sorted(set(blocks))


# --- reading a policy ---------------------------------------------------------


def parse_policy(
    spec: Any, namespace: str, name: str, source: ObjectSource
) -> NetworkPolicy:
    """Read and validate a NetworkPolicy's ``spec`` the way the API server does.

    Defaulting follows the API: an absent ``podSelector`` is empty (every pod
    in the namespace), and an absent or empty ``policyTypes`` is Ingress, plus
    Egress when there is at least one egress rule.

    Raises:
        PolicyError: naming the file, the field path and the bad value.
    """
    source = source.labelled(f"NetworkPolicy {namespace}/{name}")
    if spec is None:
        spec = {}
    field: tuple[str | int, ...] = ("spec",)
    _check_mapping(spec, source, field, _SPEC_FIELDS, "a NetworkPolicy spec")
    pod_selector = parse_selector(
        spec.get("podSelector"), source, (*field, "podSelector")
    )

    rules: dict[Direction, tuple[Rule, ...]] = {}
    for direction in DIRECTIONS:
        key = direction.lower()
        raw_rules = _optional_list(spec.get(key), source, (*field, key), "rules")
        rules[direction] = tuple(
            _parse_rule(raw, direction, source, (*field, key, index))
            for index, raw in enumerate(raw_rules)
        )

    types = _policy_types(spec.get("policyTypes"), source, (*field, "policyTypes"))
    if not types:
        types = {"Ingress", "Egress"} if rules["Egress"] else {"Ingress"}
    return NetworkPolicy(
        namespace=namespace,
        name=name,
        pod_selector=pod_selector,
        ingress=rules["Ingress"] if "Ingress" in types else None,
        egress=rules["Egress"] if "Egress" in types else None,
        source=str(source.path),
    )


def _policy_types(
    raw: Any, source: ObjectSource, field: tuple[str | int, ...]
) -> set[Direction]:
    values = _optional_list(raw, source, field, "policy types")
    if len(values) > 2:
        raise source.error(
            field, f"{values!r} has more than two policy types", PolicyError
        )
    types: set[Direction] = set()
    for index, value in enumerate(values):
        if value == "Ingress" or value == "Egress":
            types.add(value)
            continue
        raise source.error(
            (*field, index),
            f"unknown policy type {value!r}; {did_you_mean(value, DIRECTIONS)}",
            PolicyError,
        )
    return types


def _parse_rule(
    raw: Any, direction: Direction, source: ObjectSource, field: tuple[str | int, ...]
) -> Rule:
    peers_key = _RULE_PEERS[direction]
    _check_mapping(
        raw, source, field, (peers_key, "ports"), f"an {direction.lower()} rule"
    )
    raw_peers = _optional_list(raw.get(peers_key), source, (*field, peers_key), "peers")
    raw_ports = _optional_list(raw.get("ports"), source, (*field, "ports"), "ports")
    peers = tuple(
        _parse_peer(peer, source, (*field, peers_key, index))
        for index, peer in enumerate(raw_peers)
    )
    ports = tuple(
        _parse_port(port, source, (*field, "ports", index))
        for index, port in enumerate(raw_ports)
    )
    return Rule(peers=peers or None, ports=ports or None)


def _parse_peer(raw: Any, source: ObjectSource, field: tuple[str | int, ...]) -> Peer:
    _check_mapping(raw, source, field, _PEER_FIELDS, "a peer")
    present = [key for key in _PEER_FIELDS if raw.get(key) is not None]
    if not present:
        raise source.error(
            field,
            "a peer needs podSelector, namespaceSelector or ipBlock",
            PolicyError,
        )
    if "ipBlock" in present and len(present) > 1:
        raise source.error(
            field,
            f"ipBlock may not be combined with {' or '.join(present[:-1])} in one peer",
            PolicyError,
        )
    if "ipBlock" in present:
        return Peer(
            ip_block=_parse_ip_block(raw["ipBlock"], source, (*field, "ipBlock"))
        )
    return Peer(
        pod_selector=(
            parse_selector(raw["podSelector"], source, (*field, "podSelector"))
            if "podSelector" in present
            else None
        ),
        namespace_selector=(
            parse_selector(
                raw["namespaceSelector"], source, (*field, "namespaceSelector")
            )
            if "namespaceSelector" in present
            else None
        ),
    )


def _parse_ip_block(
    raw: Any, source: ObjectSource, field: tuple[str | int, ...]
) -> IPBlock:
    _check_mapping(raw, source, field, _IP_BLOCK_FIELDS, "an ipBlock")
    if "cidr" not in raw:
        raise source.error(field, "cidr is required", PolicyError)
    cidr = _parse_cidr(raw["cidr"], source, (*field, "cidr"))
    excepts: list[IPNetwork] = []
    raw_excepts = _optional_list(raw.get("except"), source, (*field, "except"), "CIDRs")
    for index, text in enumerate(raw_excepts):
        where = (*field, "except", index)
        hole = _parse_cidr(text, source, where)
        inside = (
            hole.version == cidr.version
            and hole.prefixlen > cidr.prefixlen
            and hole.subnet_of(cidr)  # type: ignore[arg-type]
        )
        if not inside:
            raise source.error(
                where,
                f"{text!r} is not strictly inside cidr {raw['cidr']!r}",
                PolicyError,
            )
        excepts.append(hole)
    return IPBlock(cidr, tuple(excepts))


def _parse_cidr(
    text: Any, source: ObjectSource, field: tuple[str | int, ...]
) -> IPNetwork:
    if isinstance(text, str) and "/" in text:
        try:
            return ipaddress.ip_network(text, strict=False)
        except ValueError:
            pass
    raise source.error(
        field,
        f"{text!r} is not a CIDR (address/prefix length, e.g. '10.0.0.0/8')",
        PolicyError,
    )


def _parse_port(
    raw: Any, source: ObjectSource, field: tuple[str | int, ...]
) -> PortRule:
    _check_mapping(raw, source, field, _PORT_FIELDS, "a port")
    protocol = raw.get("protocol")
    if protocol is None:
        protocol = "TCP"
    if protocol not in PROTOCOLS:
        hint = (
            f"did you mean {protocol.upper()!r}? protocols are upper case"
            if isinstance(protocol, str) and protocol.upper() in PROTOCOLS
            else f"expected one of {', '.join(PROTOCOLS)}"
        )
        raise source.error(
            (*field, "protocol"), f"unknown protocol {protocol!r}; {hint}", PolicyError
        )

    port = raw.get("port")
    end_port = raw.get("endPort")
    if isinstance(port, bool) or not isinstance(port, int | str | None):
        raise source.error(
            (*field, "port"), f"{port!r} is not a port number or name", PolicyError
        )
    if isinstance(port, int):
        _check_port_number(port, source, (*field, "port"))
    elif isinstance(port, str):
        _check_port_name(port, source, (*field, "port"))

    if end_port is not None:
        where = (*field, "endPort")
        if port is None:
            raise source.error(
                where, f"endPort {end_port!r} needs a numeric port", PolicyError
            )
        if isinstance(port, str):
            raise source.error(
                where,
                f"endPort {end_port!r} may not be used with the named port {port!r}",
                PolicyError,
            )
        if not isinstance(end_port, int) or isinstance(end_port, bool):
            raise source.error(where, f"{end_port!r} is not a port number", PolicyError)
        _check_port_number(end_port, source, where)
        if end_port < port:
            raise source.error(
                where,
                f"endPort {end_port} is less than port {port}",
                PolicyError,
            )
    return PortRule(protocol=protocol, port=port, end_port=end_port)


def _check_port_number(
    value: int, source: ObjectSource, field: tuple[str | int, ...]
) -> None:
    if not 1 <= value <= 65535:
        raise source.error(
            field, f"{value!r} is not a port number (1-65535)", PolicyError
        )


def _check_port_name(
    value: str, source: ObjectSource, field: tuple[str | int, ...]
) -> None:
    valid = (
        0 < len(value) <= 15
        and _PORT_NAME.fullmatch(value) is not None
        and "--" not in value
        and any(character.isalpha() for character in value)
    )
    if not valid:
        hint = " (write a number without quotes)" if value.isdigit() else ""
        raise source.error(
            field,
            f"{value!r} is not a valid port name: up to 15 lower-case letters, "
            f"digits and '-', with at least one letter{hint}",
            PolicyError,
        )


def _check_mapping(
    raw: Any,
    source: ObjectSource,
    field: tuple[str | int, ...],
    allowed: tuple[str, ...],
    what: str,
) -> None:
    if not isinstance(raw, dict):
        raise source.error(field, f"{raw!r} is not {what}", PolicyError)
    for key in raw:
        if key not in allowed:
            raise source.error(
                (*field, key),
                f"unknown field {key!r}; {did_you_mean(key, allowed)}",
                PolicyError,
            )


def _optional_list(
    raw: Any, source: ObjectSource, field: tuple[str | int, ...], what: str
) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise source.error(field, f"{raw!r} is not a list of {what}", PolicyError)
    return raw
