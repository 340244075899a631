"""Who depends on what, transitively, with one bitset per entry.

The risk of an app grows with the number of apps that depend on it, directly
or through others. Walking the graph again from every entry costs as much as
the sum of all the answers, which is large when thousands of apps sit on a
few shared services. Instead the graph's strongly connected components are
found once (Tarjan's algorithm, without recursion, so long chains do not hit
Python's recursion limit) and each component's dependents are the union of
its successors' dependents, as a Python ``int`` used as a bitset: one bit per
entry, unions by ``|`` and counts by ``int.bit_count``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping


class DependentsClosure:
    """The transitive dependents of every entry of a dependency graph.

    An entry never counts as its own dependent, even inside a cycle.
    """

    def __init__(self, users: Mapping[str, Collection[str]]) -> None:
        """Close the graph.

        Args:
            users: For every entry, the entries that depend on it directly.
                Every entry named in a list must be a key too.
        """
        self._keys = list(users)
        position = {key: index for index, key in enumerate(self._keys)}
        self._bits = {
            key: reach & ~(1 << position[key])
            for key, reach in _reach_by_entry(users, position).items()
        }

    def count(self, key: str) -> int:
        """How many entries depend on ``key``, directly or not."""
        bits = self._bits.get(key)
        return 0 if bits is None else bits.bit_count()

    def members(self, key: str) -> set[str]:
        """The entries that depend on ``key``, directly or not."""
        bits = self._bits.get(key, 0)
        return {self._keys[index] for index in _set_bits(bits)}


def _set_bits(bits: int) -> Iterator[int]:
    while bits:
        lowest = bits & -bits
        yield lowest.bit_length() - 1
        bits ^= lowest


def _reach_by_entry(
    users: Mapping[str, Collection[str]], position: Mapping[str, int]
) -> dict[str, int]:
    """For every entry with dependents, the bits of its component and all it reaches.

    Entries nobody depends on, most of a large inventory, are left out: they
    reach only themselves, and their bit is added where they are reached.
    """
    visit_order: dict[str, int] = {}
    lowest_link: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    reach: dict[str, int] = {}

    for root, root_users in users.items():
        if root in visit_order or not root_users:
            continue
        visit_order[root] = lowest_link[root] = len(visit_order)
        stack.append(root)
        on_stack.add(root)
        walk = [(root, iter(users[root]))]
        while walk:
            node, successors = walk[-1]
            for successor in successors:
                if not users[successor]:
                    continue
                if successor not in visit_order:
                    visit_order[successor] = lowest_link[successor] = len(visit_order)
                    stack.append(successor)
                    on_stack.add(successor)
                    walk.append((successor, iter(users[successor])))
                    break
                if successor in on_stack:
                    lowest_link[node] = min(lowest_link[node], visit_order[successor])
            else:
                walk.pop()
                if walk:
                    parent = walk[-1][0]
                    lowest_link[parent] = min(lowest_link[parent], lowest_link[node])
                if lowest_link[node] == visit_order[node]:
                    _close_component(node, users, position, stack, on_stack, reach)
    return reach


def _close_component(
    root: str,
    users: Mapping[str, Collection[str]],
    position: Mapping[str, int],
    stack: list[str],
    on_stack: set[str],
    reach: dict[str, int],
) -> None:
    """Pop the component rooted at ``root`` and record what each member reaches.

    Tarjan's algorithm completes a component only after every component it
    reaches, so their bits are already in ``reach``.
    """
    members = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        members.append(member)
        if member == root:
            break

    bits = 0
    for member in members:
        bits |= 1 << position[member]
    for member in members:
        for successor in users[member]:
            if successor in reach:
                bits |= reach[successor]
            elif not users[successor]:
                bits |= 1 << position[successor]
    for member in members:
        reach[member] = bits
