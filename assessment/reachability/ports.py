"""Which ports to examine so that every port's answer is seen exactly once.

Reachability only changes with the port where some policy or container says
something about it, so per protocol the ports 1-65535 fall into classes that
every policy treats alike:

- each single port a policy names (``port: 5432``) or a container declares
  (named or not, so that reports speak of the ports workloads really use);
- each stretch of a ``port``-``endPort`` range between such ports and range
  ends, reported as ``8000-8079``;
- every remaining port, reported together as "other ports": only rules
  without a port (or without ``ports``) admit them, so one representative
  answers for all of them.

Classes are cut per protocol, TCP, UDP and SCTP, each with its "other" class,
since a rule without ``ports`` admits every protocol.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from assessment.reachability.objects import Cluster
from assessment.reachability.policy import PROTOCOLS

LOWEST_PORT = 1
HIGHEST_PORT = 65535


@dataclass(frozen=True)
class PortClass:
    """Ports of one protocol that every policy treats alike."""

    protocol: str
    first: int
    last: int
    other: bool = False
    """The ports nothing mentions; ``first`` is one of them."""

    @property
    def representative(self) -> int:
        """A port whose answer holds for the whole class."""
        return self.first

    @property
    def label(self) -> str:
        """``5432/TCP``, ``8000-8079/TCP`` or ``other TCP ports``."""
        if self.other:
            return f"other {self.protocol} ports"
        if self.first == self.last:
            return f"{self.first}/{self.protocol}"
        return f"{self.first}-{self.last}/{self.protocol}"

    @property
    def json_port(self) -> int | str:
        """``5432``, ``"8000-8079"`` or ``"other"``."""
        if self.other:
            return "other"
        if self.first == self.last:
            return self.first
        return f"{self.first}-{self.last}"


def port_classes(clusters: Iterable[Cluster]) -> list[PortClass]:
    """The port classes of all ``clusters`` together, TCP first, "other" last."""
    singles: dict[str, set[int]] = {protocol: set() for protocol in PROTOCOLS}
    ranges: dict[str, set[tuple[int, int]]] = {
        protocol: set() for protocol in PROTOCOLS
    }
    for cluster in clusters:
        for endpoint in cluster.endpoints:
            for declared in endpoint.ports:
                singles[declared.protocol].add(declared.number)
        for policy in cluster.policies:
            for rules in (policy.ingress, policy.egress):
                for rule in rules or ():
                    for entry in rule.ports or ():
                        if isinstance(entry.port, int):
                            if entry.end_port is None:
                                singles[entry.protocol].add(entry.port)
                            else:
                                ranges[entry.protocol].add((entry.port, entry.end_port))

    classes: list[PortClass] = []
    for protocol in PROTOCOLS:
        classes.extend(_classes_of(protocol, singles[protocol], ranges[protocol]))
    return classes


def _classes_of(
    protocol: str, singles: set[int], ranges: set[tuple[int, int]]
) -> list[PortClass]:
    cuts = {LOWEST_PORT, HIGHEST_PORT + 1}
    for port in singles:
        cuts.update((port, port + 1))
    for first, last in ranges:
        cuts.update((first, last + 1))
    edges = sorted(cuts)

    classes: list[PortClass] = []
    other: int | None = None
    for start, end in itertools.pairwise(edges):
        last = end - 1
        if start in singles or any(
            first <= start and last <= top for first, top in ranges
        ):
            classes.append(PortClass(protocol, start, last))
        elif other is None:
            other = start
    if other is not None:
        classes.append(PortClass(protocol, other, other, other=True))
    return classes
