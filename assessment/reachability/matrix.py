"""The fast reachability evaluator: groups of identical pods and bitsets.

Pods with the same namespace, labels, container ports and ipBlock matches are
indistinguishable to every policy, so they form one group and are evaluated
once. Sets of groups (and of namespaces) are Python ints used as bitsets.

Work done once per cluster (:class:`MatrixEvaluator`):

- each selector is evaluated once over all groups (or namespaces) through an
  index from label to bitset, with ``In``/``NotIn``/``Exists``/
  ``DoesNotExist`` as bitwise operations;
- each policy's selected groups, and each rule's peers: a peer without a pod
  selector (or with an empty one) is kept as a set of namespaces, the others
  as a set of groups.

Work done per port and protocol (:meth:`MatrixEvaluator.evaluate`):

- a rule's ports become the set of destination groups they admit (all or
  none for numbers and ranges; for a named port, the groups whose container
  port of that name has this number and protocol);
- ingress: every (peer set, admitted destinations) pair is merged by peer
  set and handed out to the peers' namespaces or groups, so a row is the
  union of a global part, its namespace's part and its own part;
- egress: each policy's allowed destinations are handed to the groups it
  selects, merged by selection first;
- a group's row of reachable groups is its egress row AND its ingress row.

The cost is about (policies + peers + groups) big-int operations of
(groups / 64) words each, never a loop over pairs of pods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assessment.reachability.objects import Cluster, ContainerPort, Endpoint
from assessment.reachability.policy import IPBlock, NetworkPolicy, PortRule, Rule
from assessment.reachability.selectors import Selector

_DENSE = 64
"""Above this many set bits, bit positions are read a byte at a time."""
_BYTE_BITS = tuple(
    tuple(offset for offset in range(8) if byte >> offset & 1) for byte in range(256)
)


def bit_indices(bits: int) -> list[int]:
    """The positions of the set bits of ``bits``, lowest first."""
    if bits.bit_count() > _DENSE:
        indices: list[int] = []
        data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
        for position, byte in enumerate(data):
            if byte:
                base = position << 3
                indices.extend([base + offset for offset in _BYTE_BITS[byte]])
        return indices
    indices = []
    while bits:
        lowest = bits & -bits
        indices.append(lowest.bit_length() - 1)
        bits ^= lowest
    return indices


def bits_of(indices: Iterable[int], size: int) -> int:
    """The bitset with ``indices`` set, built in one pass."""
    buffer = bytearray((size + 7) // 8)
    for index in indices:
        buffer[index >> 3] |= 1 << (index & 7)
    return int.from_bytes(buffer, "little")


class _LabelIndex:
    """Evaluates selectors over a numbered universe of labelled things."""

    def __init__(self, labels: Sequence[Mapping[str, str]]) -> None:
        pairs: dict[tuple[str, str], list[int]] = {}
        keys: dict[str, list[int]] = {}
        for index, mapping in enumerate(labels):
            for key, value in mapping.items():
                pairs.setdefault((key, value), []).append(index)
                keys.setdefault(key, []).append(index)
        size = len(labels)
        self.everything = (1 << size) - 1
        self._pairs = {pair: bits_of(found, size) for pair, found in pairs.items()}
        self._keys = {key: bits_of(found, size) for key, found in keys.items()}
        self._cache: dict[Selector, int] = {}

    def select(self, selector: Selector) -> int:
        """The things ``selector`` matches."""
        cached = self._cache.get(selector)
        if cached is not None:
            return cached
        bits = self.everything
        for requirement in selector.requirements:
            key = requirement.key
            if requirement.operator in ("In", "NotIn"):
                having = 0
                for value in requirement.values:
                    having |= self._pairs.get((key, value), 0)
                bits = bits & having if requirement.operator == "In" else bits & ~having
            elif requirement.operator == "Exists":
                bits &= self._keys.get(key, 0)
            else:
                bits &= ~self._keys.get(key, 0)
        self._cache[selector] = bits
        return bits


PeerKey = tuple[bool, int, int]
"""A rule's peers: every pod, or a bitset of namespaces plus one of groups."""


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    ports: tuple[PortRule, ...] | None
    peers: PeerKey
    peer_groups: int
    """Every group among the peers, for egress."""


@dataclass(frozen=True, slots=True)
class _CompiledPolicy:
    selected: int
    ingress: tuple[_CompiledRule, ...] | None
    egress: tuple[_CompiledRule, ...] | None


@dataclass(frozen=True)
class Reachability:
    """Which endpoint may open a connection to which, for one port class.

    Rows are kept per group: ``rows[g]`` is the set of groups the pods of
    group ``g`` may reach. An endpoint always reaches itself.
    """

    endpoints: Sequence[Endpoint]
    group_of: Sequence[int]
    """Each endpoint's group."""
    members: Sequence[Sequence[int]]
    """Each group's endpoints, in order."""
    rows: Sequence[int]
    ports: str
    """What the rows are about, e.g. ``8080/TCP``."""

    def allows(self, source: int, destination: int) -> bool:
        """Whether endpoint ``source`` may reach endpoint ``destination``."""
        if source == destination:
            # TODO: a workload stands for all its replicas and the diagonal
            # says "a pod reaches itself"; whether two replicas may talk (bit
            # of the own group in the row) is not reported separately.
            return True
        return bool(self.rows[self.group_of[source]] >> self.group_of[destination] & 1)

    def destinations(self, source: int) -> list[int]:
        """The endpoints ``source`` may reach, itself included, in order."""
        found = {source}
        for group in bit_indices(self.rows[self.group_of[source]]):
            found.update(self.members[group])
        return sorted(found)

    def reach_count(self, source: int) -> int:
        """How many other endpoints ``source`` may reach."""
        group = self.group_of[source]
        row = self.rows[group]
        total = sum(len(self.members[found]) for found in bit_indices(row))
        return total - 1 if row >> group & 1 else total

    def sources(self, destination: int) -> list[int]:
        """The endpoints that may reach ``destination``, itself included."""
        target = self.group_of[destination]
        found = {destination}
        for group, row in enumerate(self.rows):
            if row >> target & 1:
                found.update(self.members[group])
        return sorted(found)

    def table(self) -> list[list[bool]]:
        """The full matrix of booleans, sources by destinations."""
        count = len(self.endpoints)
        return [
            [self.allows(source, destination) for destination in range(count)]
            for source in range(count)
        ]

    def as_json(self) -> dict[str, dict[str, bool]]:
        """``{"ns/source": {"ns/destination": bool}}`` for every pair."""
        keys = [endpoint.key for endpoint in self.endpoints]
        result: dict[str, dict[str, bool]] = {}
        for source, key in enumerate(keys):
            allowed = set(self.destinations(source))
            result[key] = {other: index in allowed for index, other in enumerate(keys)}
        return result

    def union(self, other: Reachability, ports: str) -> Reachability:
        """Reachable on either port class; both must share the evaluator."""
        rows = [
            mine | theirs for mine, theirs in zip(self.rows, other.rows, strict=True)
        ]
        return Reachability(self.endpoints, self.group_of, self.members, rows, ports)


class MatrixEvaluator:
    """Everything about a cluster that does not depend on the port."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._namespace_names = sorted(cluster.namespaces)
        namespace_index = {name: i for i, name in enumerate(self._namespace_names)}
        self._namespaces = _LabelIndex(
            [cluster.namespace_labels(name) for name in self._namespace_names]
        )

        # Pods that no policy can tell apart share a group: same namespace,
        # same values of the label keys some pod selector reads, same named
        # ports, same ipBlock matches. Other labels (pod-template-hash, a
        # StatefulSet's pod name) and unnamed ports cannot change an answer.
        blocks = _ip_blocks(cluster.policies)
        keys = _pod_selector_keys(cluster.policies)
        signatures: dict[object, int] = {}
        group_of: list[int] = []
        members: list[list[int]] = []
        group_labels: list[Mapping[str, str]] = []
        group_ports: list[frozenset[ContainerPort]] = []
        group_namespace: list[int] = []
        group_blocks: list[int] = []
        for index, endpoint in enumerate(cluster.endpoints):
            matched = _matched_blocks(endpoint, blocks)
            ports = frozenset(port for port in endpoint.ports if port.name)
            labels = {
                key: value for key, value in endpoint.labels.items() if key in keys
            }
            signature = (
                endpoint.namespace,
                frozenset(labels.items()),
                ports,
                matched,
            )
            group = signatures.get(signature)
            if group is None:
                group = signatures[signature] = len(members)
                members.append([])
                group_labels.append(labels)
                group_ports.append(ports)
                group_namespace.append(namespace_index[endpoint.namespace])
                group_blocks.append(matched)
            group_of.append(group)
            members[group].append(index)
        self.group_of = group_of
        self.members = members
        self._group_namespace = group_namespace
        size = len(members)
        self._size = size
        self._everything = (1 << size) - 1

        self._groups = _LabelIndex(group_labels)
        in_namespace: list[list[int]] = [[] for _ in self._namespace_names]
        for group, namespace in enumerate(group_namespace):
            in_namespace[namespace].append(group)
        self._namespace_groups = [bits_of(found, size) for found in in_namespace]
        self._groups_in_cache: dict[int, int] = {}
        self._block_groups = {
            block: bits_of(
                (g for g, matched in enumerate(group_blocks) if matched >> number & 1),
                size,
            )
            for number, block in enumerate(blocks)
        }

        named: dict[tuple[int, str], dict[str, list[int]]] = {}
        for group, ports in enumerate(group_ports):
            for port in ports:
                if port.name:
                    by_name = named.setdefault((port.number, port.protocol), {})
                    by_name.setdefault(port.name, []).append(group)
        self._named_ports = {
            key: {name: bits_of(found, size) for name, found in by_name.items()}
            for key, by_name in named.items()
        }

        self._namespace_index = namespace_index
        self._policies = [self._compile(policy) for policy in cluster.policies]
        self._indices_cache: dict[int, list[int]] = {}

    @property
    def group_count(self) -> int:
        """How many distinct groups the endpoints fall into."""
        return self._size

    def evaluate(self, port: int, protocol: str = "TCP") -> Reachability:
        """Who may reach whom on ``port``/``protocol``."""
        names = self._named_ports.get((port, protocol), {})
        masks: dict[tuple[PortRule, ...] | None, int] = {}

        def admitted(ports: tuple[PortRule, ...] | None) -> int:
            found = masks.get(ports)
            if found is None:
                found = masks[ports] = self._admitted(ports, port, protocol, names)
            return found

        everything = self._everything
        size = self._size

        # Ingress, kept per source: whom may each source's traffic reach.
        isolated_in = 0
        grants: dict[PeerKey, int] = {}
        for policy in self._policies:
            if policy.ingress is None:
                continue
            isolated_in |= policy.selected
            for rule in policy.ingress:
                destinations = policy.selected & admitted(rule.ports)
                if destinations:
                    grants[rule.peers] = grants.get(rule.peers, 0) | destinations
        from_anyone = everything & ~isolated_in
        namespace_part = [0] * len(self._namespace_names)
        group_part = [0] * size
        for (every, namespaces, groups), destinations in grants.items():
            if every:
                from_anyone |= destinations
                continue
            for namespace in self._indices(namespaces):
                namespace_part[namespace] |= destinations
            for group in self._indices(groups):
                group_part[group] |= destinations

        # Egress, kept per source as well.
        isolated_out = 0
        allowances: dict[int, int] = {}
        for policy in self._policies:
            if policy.egress is None:
                continue
            isolated_out |= policy.selected
            allowed = 0
            for rule in policy.egress:
                allowed |= rule.peer_groups & admitted(rule.ports)
            allowances[policy.selected] = allowances.get(policy.selected, 0) | allowed
        egress_row = [everything] * size
        for group in self._indices(isolated_out):
            egress_row[group] = 0
        for selected, allowed in allowances.items():
            if allowed:
                for group in self._indices(selected):
                    egress_row[group] |= allowed

        # Groups often share a row; keeping one copy of each bounds memory
        # by the distinct rows rather than by groups squared.
        group_namespace = self._group_namespace
        distinct: dict[int, int] = {}
        rows = [
            distinct.setdefault(row, row)
            for row in (
                (from_anyone | namespace_part[group_namespace[g]] | group_part[g])
                & egress_row[g]
                for g in range(size)
            )
        ]
        return Reachability(
            self.cluster.endpoints,
            self.group_of,
            self.members,
            rows,
            f"{port}/{protocol}",
        )

    def _admitted(
        self,
        ports: tuple[PortRule, ...] | None,
        port: int,
        protocol: str,
        names: Mapping[str, int],
    ) -> int:
        """The destination groups a rule's ports admit on ``port``/``protocol``."""
        if ports is None:
            return self._everything
        admitted = 0
        for entry in ports:
            if entry.protocol != protocol:
                continue
            if entry.port is None:
                return self._everything
            if isinstance(entry.port, int):
                last = entry.end_port if entry.end_port is not None else entry.port
                if entry.port <= port <= last:
                    return self._everything
            else:
                admitted |= names.get(entry.port, 0)
        return admitted

    def _indices(self, bits: int) -> list[int]:
        found = self._indices_cache.get(bits)
        if found is None:
            found = self._indices_cache[bits] = bit_indices(bits)
        return found

    def _groups_in(self, namespaces: int) -> int:
        found = self._groups_in_cache.get(namespaces)
        if found is None:
            found = 0
            for namespace in bit_indices(namespaces):
                found |= self._namespace_groups[namespace]
            self._groups_in_cache[namespaces] = found
        return found

    def _compile(self, policy: NetworkPolicy) -> _CompiledPolicy:
        namespace = self._namespace_index[policy.namespace]
        selected = (
            self._groups.select(policy.pod_selector) & self._namespace_groups[namespace]
        )
        return _CompiledPolicy(
            selected=selected,
            ingress=self._compile_rules(policy.ingress, namespace),
            egress=self._compile_rules(policy.egress, namespace),
        )

    def _compile_rules(
        self, rules: tuple[Rule, ...] | None, namespace: int
    ) -> tuple[_CompiledRule, ...] | None:
        if rules is None:
            return None
        return tuple(self._compile_rule(rule, namespace) for rule in rules)

    def _compile_rule(self, rule: Rule, namespace: int) -> _CompiledRule:
        if rule.peers is None:
            return _CompiledRule(rule.ports, (True, 0, 0), self._everything)
        namespaces = 0
        groups = 0
        for peer in rule.peers:
            if peer.ip_block is not None:
                groups |= self._block_groups[peer.ip_block]
                continue
            if peer.namespace_selector is None:
                peer_namespaces = 1 << namespace
            else:
                peer_namespaces = self._namespaces.select(peer.namespace_selector)
            if peer.pod_selector is None or peer.pod_selector.is_empty:
                namespaces |= peer_namespaces
            else:
                groups |= self._groups.select(peer.pod_selector) & self._groups_in(
                    peer_namespaces
                )
        if namespaces == self._namespaces.everything:
            return _CompiledRule(rule.ports, (True, 0, 0), self._everything)
        covered = self._groups_in(namespaces)
        groups &= ~covered
        return _CompiledRule(rule.ports, (False, namespaces, groups), covered | groups)


def _pod_selector_keys(policies: Sequence[NetworkPolicy]) -> set[str]:
    """Every label key some pod selector of some policy reads."""
    keys: set[str] = set()
    for policy in policies:
        selectors = [policy.pod_selector]
        for rules in (policy.ingress, policy.egress):
            for rule in rules or ():
                selectors.extend(
                    peer.pod_selector
                    for peer in rule.peers or ()
                    if peer.pod_selector is not None
                )
        for selector in selectors:
            keys.update(requirement.key for requirement in selector.requirements)
    return keys


def _ip_blocks(policies: Sequence[NetworkPolicy]) -> list[IPBlock]:
    blocks: dict[IPBlock, None] = {}
    for policy in policies:
        for rules in (policy.ingress, policy.egress):
            for rule in rules or ():
                for peer in rule.peers or ():
                    if peer.ip_block is not None:
                        blocks[peer.ip_block] = None
    return list(blocks)


def _matched_blocks(endpoint: Endpoint, blocks: Sequence[IPBlock]) -> int:
    if not endpoint.ips:
        return 0
    matched = 0
    for number, block in enumerate(blocks):
        if any(block.contains(address) for address in endpoint.ips):
            matched |= 1 << number
    return matched


def evaluate_matrix(cluster: Cluster, port: int, protocol: str = "TCP") -> Reachability:
    """Who may reach whom on ``port``/``protocol``, the fast way."""
    return MatrixEvaluator(cluster).evaluate(port, protocol)
