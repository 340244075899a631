"""The connections a change of NetworkPolicies opens and closes, for ``ztkit diff``.

Both plans are read as clusters; the inventory's apps and in-cluster data
stores join them as stand-in workloads, so a change that opens finance to
engineering shows up as exactly that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessment.inventory import Inventory, load_inventory
from assessment.reachability.diff import Connection, diff_clusters
from assessment.reachability.inventory_endpoints import declaration_hint, with_stand_ins
from assessment.reachability.manifests import load_cluster
from assessment.reachability.objects import Cluster

LISTED_CONNECTIONS = 30


@dataclass(frozen=True)
class ConnectionChanges:
    """Connections opened and closed, with how to declare a closed one."""

    opened: list[Connection]
    closed: list[Connection]
    hints: dict[int, str] = field(default_factory=dict)
    """For closed connections (by position) between inventory entries, the
    ``depends_on`` entry that would keep them open."""

    def as_json(self) -> dict[str, Any]:
        """``{"opened": [...], "closed": [...]}`` with a hint on closed ones."""
        closed = []
        for position, connection in enumerate(self.closed):
            item: dict[str, Any] = dict(connection.as_json())
            if position in self.hints:
                item["hint"] = self.hints[position]
            closed.append(item)
        return {"opened": [c.as_json() for c in self.opened], "closed": closed}


def plan_inventory(plan_directory: Path) -> Path | None:
    """The inventory a plan was rendered from, when its index names one that exists."""
    try:
        index = json.loads((plan_directory / "plan.json").read_text())
    except (OSError, ValueError):
        return None
    name = index.get("inventory") if isinstance(index, dict) else None
    path = Path(name) if isinstance(name, str) else None
    return path if path is not None and path.exists() else None


def connection_changes(
    old: Path, new: Path, inventory_path: Path | None
) -> ConnectionChanges | None:
    """What the NetworkPolicies of ``new`` open and close against ``old``.

    ``None`` when neither plan holds a NetworkPolicy: nothing is isolated, so
    nothing changes.
    """
    before, after = _cluster(old), _cluster(new)
    if not before.policies and not after.policies:
        return None
    inventory: Inventory | None = None
    if inventory_path is not None:
        inventory = load_inventory(inventory_path)
        before, after = (
            with_stand_ins(before, inventory),
            with_stand_ins(after, inventory),
        )

    diff = diff_clusters(before, after)
    hints: dict[int, str] = {}
    if inventory is not None:
        for position, connection in enumerate(diff.closed):
            hint = declaration_hint(
                inventory, connection.source, connection.destination
            )
            if hint:
                hints[position] = hint
    return ConnectionChanges(list(diff.opened), list(diff.closed), hints)


def _cluster(directory: Path) -> Cluster:
    files = sorted(path for path in directory.rglob("*.yaml") if path.is_file())
    if not files:
        return Cluster.build([])
    return load_cluster(files)


PORTS_SHOWN = 4


@dataclass(frozen=True)
class _Pair:
    source: str
    destination: str
    ports: list[str]
    hint: str | None

    def text(self) -> str:
        shown = ", ".join(self.ports[:PORTS_SHOWN])
        more = len(self.ports) - PORTS_SHOWN
        return f"{self.source} -> {self.destination} on {shown}" + (
            f" and {more} more port classes" if more > 0 else ""
        )


def _pairs(connections: list[Connection], hints: dict[int, str]) -> list[_Pair]:
    """Connections gathered per source and destination, ports in order."""
    gathered: dict[tuple[str, str], _Pair] = {}
    for position, connection in enumerate(connections):
        key = (connection.source, connection.destination)
        if key not in gathered:
            gathered[key] = _Pair(*key, [], hints.get(position))
        gathered[key].ports.append(connection.ports.label)
    return list(gathered.values())


def connections_text(changes: ConnectionChanges) -> list[str]:
    """Lines for the terminal output of ``ztkit diff``, one per pair of workloads."""
    opened, closed = _pairs(changes.opened, {}), _pairs(changes.closed, changes.hints)
    lines = [f"connections: {len(opened)} pairs opened, {len(closed)} pairs closed"]
    lines += [f"  OPENS  {pair.text()}" for pair in opened]
    lines += [
        f"  closes {pair.text()}" + (f"  ({pair.hint})" if pair.hint else "")
        for pair in closed
    ]
    return lines


def connections_markdown(changes: ConnectionChanges) -> list[str]:
    """A Markdown section for the pull-request comment: openings stand out."""
    opened, closed = _pairs(changes.opened, {}), _pairs(changes.closed, changes.hints)
    lines = [
        "#### Connections",
        "",
        f"**{len(opened)} opened · {len(closed)} closed** (pairs of workloads) by "
        "the NetworkPolicies of this change",
        "",
    ]
    if opened:
        lines += ["> [!WARNING]", f"> **{len(opened)} connections opened**:"]
        lines += [f"> - `{pair.text()}`" for pair in opened[:LISTED_CONNECTIONS]]
        if len(opened) > LISTED_CONNECTIONS:
            lines.append(f"> - … and {len(opened) - LISTED_CONNECTIONS} more")
        lines.append("")
    if closed:
        lines += ["<details><summary>Closed connections</summary>", ""]
        for pair in closed[:LISTED_CONNECTIONS]:
            lines.append(f"- `{pair.text()}`" + (f": {pair.hint}" if pair.hint else ""))
        if len(closed) > LISTED_CONNECTIONS:
            lines.append(f"- … and {len(closed) - LISTED_CONNECTIONS} more")
        lines += ["", "</details>"]
    return lines
