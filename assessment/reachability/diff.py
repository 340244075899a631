"""What a change to manifests opens and closes: connections per port class.

Both sides are evaluated on the port classes of :mod:`~assessment.reachability.ports`
cut from the two sides together, and compared for the pods and workloads
present on both sides. Endpoints present on one side only are listed as added
or removed; their connections are not listed as opened or closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assessment.reachability.matrix import (
    MatrixEvaluator,
    Reachability,
    bit_indices,
    bits_of,
)
from assessment.reachability.objects import Cluster
from assessment.reachability.ports import PortClass, port_classes


@dataclass(frozen=True)
class Connection:
    """One source may newly (or no longer) reach one destination on some ports."""

    source: str
    destination: str
    ports: PortClass

    def as_json(self) -> dict[str, str | int]:
        """``{"from", "to", "port", "protocol"}``; port is a number, a range
        ``"8000-8079"`` or ``"other"``."""
        return {
            "from": self.source,
            "to": self.destination,
            "port": self.ports.json_port,
            "protocol": self.ports.protocol,
        }


@dataclass(frozen=True)
class ReachabilityDiff:
    """The connections a change opens and closes."""

    opened: list[Connection]
    closed: list[Connection]
    added: list[str] = field(default_factory=list)
    """Endpoints only the new side has."""
    removed: list[str] = field(default_factory=list)
    """Endpoints only the old side has."""
    classes: list[PortClass] = field(default_factory=list)
    """The port classes examined."""

    @property
    def is_empty(self) -> bool:
        """Whether nothing opens or closes."""
        return not self.opened and not self.closed

    def as_json(self) -> dict[str, object]:
        """The diff for tools."""
        return {
            "opened": [connection.as_json() for connection in self.opened],
            "closed": [connection.as_json() for connection in self.closed],
            "added": self.added,
            "removed": self.removed,
            "ports_examined": [port_class.label for port_class in self.classes],
        }


def diff_clusters(old: Cluster, new: Cluster) -> ReachabilityDiff:
    """Compare reachability before and after a change, port class by class."""
    classes = port_classes([old, new])
    old_index = old.endpoint_index()
    new_index = new.endpoint_index()
    common = sorted(set(old_index) & set(new_index))
    old_positions = [old_index[key] for key in common]
    new_positions = [new_index[key] for key in common]

    old_evaluator = MatrixEvaluator(old)
    new_evaluator = MatrixEvaluator(new)
    old_members = _common_members(old_evaluator, old_positions)
    new_members = _common_members(new_evaluator, new_positions)

    opened: list[Connection] = []
    closed: list[Connection] = []
    for port_class in classes:
        before = old_evaluator.evaluate(port_class.representative, port_class.protocol)
        after = new_evaluator.evaluate(port_class.representative, port_class.protocol)
        before_rows = _common_rows(before, old_members)
        after_rows = _common_rows(after, new_members)
        for position, key in enumerate(common):
            myself = 1 << position
            was = before_rows[before.group_of[old_positions[position]]] & ~myself
            now = after_rows[after.group_of[new_positions[position]]] & ~myself
            opened.extend(
                Connection(key, common[found], port_class)
                for found in bit_indices(now & ~was)
            )
            closed.extend(
                Connection(key, common[found], port_class)
                for found in bit_indices(was & ~now)
            )

    order = {port_class: number for number, port_class in enumerate(classes)}

    def sort_key(connection: Connection) -> tuple[str, str, int]:
        return connection.source, connection.destination, order[connection.ports]

    return ReachabilityDiff(
        opened=sorted(opened, key=sort_key),
        closed=sorted(closed, key=sort_key),
        added=sorted(set(new_index) - set(old_index)),
        removed=sorted(set(old_index) - set(new_index)),
        classes=classes,
    )


def _common_members(evaluator: MatrixEvaluator, positions: Sequence[int]) -> list[int]:
    """Per group, the set of its endpoints among the common ones."""
    found: list[list[int]] = [[] for _ in range(evaluator.group_count)]
    for common_position, position in enumerate(positions):
        found[evaluator.group_of[position]].append(common_position)
    return [bits_of(members, len(positions)) for members in found]


def _common_rows(reachability: Reachability, members: Sequence[int]) -> list[int]:
    """Per group, the common endpoints its pods may reach."""
    by_row: dict[int, int] = {}
    rows = []
    for row in reachability.rows:
        found = by_row.get(row)
        if found is None:
            found = 0
            for group in bit_indices(row):
                found |= members[group]
            by_row[row] = found
        rows.append(found)
    return rows
