"""Who depends on what, transitively, with one bitset per entry.

The risk of an app grows with the number of apps that depend on it, directly
or through others. Walking the graph again from every entry costs as much as
the sum of all the answers, which grows with the square of a long chain of
dependencies. Instead the graph's strongly connected components are found
once (Tarjan's algorithm, without recursion, so long chains do not hit
Python's recursion limit) and each component's dependents are the union of
its successors' dependents, as a Python ``int`` used as a bitset: one bit per
entry, unions by ``|`` and counts by ``int.bit_count``.

Most entries of a large inventory have no dependents at all. Only the others
take part in the walk; the entries nobody depends on are counted through the
bits of their direct dependencies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence


class DependentsClosure:
    """The transitive dependents of every entry of a dependency graph.

    An entry never counts as its own dependent, even inside a cycle.
    """

    def __init__(
        self, entries: Sequence[str], users: Sequence[str], targets: Sequence[str]
    ) -> None:
        """Close the graph.

        Args:
            entries: Every entry of the graph.
            users: With ``targets``, the graph's edges: ``users[i]`` depends
                on ``targets[i]`` directly. Both name entries.
        """
        self._keys = list(entries)
        position = {key: index for index, key in enumerate(self._keys)}
        direct: dict[str, list[int]] = {}
        for user, target in zip(users, targets, strict=True):
            direct.setdefault(target, []).append(position[user])

        # For every entry with dependents: its own bit and its direct users'
        # bits, and those of its users that have dependents in turn.
        direct_bits: dict[str, int] = {}
        inner: dict[str, list[str]] = {}
        keys = self._keys
        for key, positions in direct.items():
            inner[key] = [keys[user] for user in positions if keys[user] in direct]
            positions.append(position[key])
            direct_bits[key] = _bits_at(positions)

        # Every bitset holds its own entry's bit, which the counts leave out.
        self._bits = _reach_by_entry(inner, direct_bits)
        self._position = position

    def count(self, key: str) -> int:
        """How many entries depend on ``key``, directly or not."""
        bits = self._bits.get(key)
        return 0 if bits is None else bits.bit_count() - 1

    def members(self, key: str) -> set[str]:
        """The entries that depend on ``key``, directly or not."""
        bits = self._bits.get(key)
        if bits is None:
            return set()
        own = self._position[key]
        return {self._keys[index] for index in _set_bits(bits) if index != own}


def _bits_at(positions: list[int]) -> int:
    """An integer with exactly the bits at ``positions`` set.

    Many bits are set in a byte array and converted once: or-ing them into an
    integer one at a time would copy it whole for each of a shared service's
    thousands of direct users.
    """
    if len(positions) < _FEW_BITS:
        bits = 0
        for position in positions:
            bits |= 1 << position
        return bits
    field = bytearray((max(positions) >> 3) + 1)
    for position in positions:
        field[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(field, "little")


_FEW_BITS = 32
"""Below this many bits, or-ing them in one at a time is the quicker way."""


def _set_bits(bits: int) -> Iterator[int]:
    while bits:
        lowest = bits & -bits
        yield lowest.bit_length() - 1
        bits ^= lowest


def _reach_by_entry(
    inner: Mapping[str, list[str]], direct_bits: Mapping[str, int]
) -> dict[str, int]:
    """For every entry of ``inner``, the bits of everything it reaches.

    Args:
        inner: The graph of the entries with dependents, each with those of
            its direct users that have dependents too.
        direct_bits: For the same entries, their own bit and their direct
            users' bits.
    """
    visit_order: dict[str, int] = {}
    lowest_link: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    reach: dict[str, int] = {}

    for root in inner:
        if root in visit_order:
            continue
        visit_order[root] = lowest_link[root] = len(visit_order)
        stack.append(root)
        on_stack.add(root)
        walk = [(root, iter(inner[root]))]
        while walk:
            node, successors = walk[-1]
            for successor in successors:
                if successor not in visit_order:
                    visit_order[successor] = lowest_link[successor] = len(visit_order)
                    stack.append(successor)
                    on_stack.add(successor)
                    walk.append((successor, iter(inner[successor])))
                    break
                if successor in on_stack:
                    lowest_link[node] = min(lowest_link[node], visit_order[successor])
            else:
                walk.pop()
                if walk:
                    parent = walk[-1][0]
                    lowest_link[parent] = min(lowest_link[parent], lowest_link[node])
                if lowest_link[node] == visit_order[node]:
                    _close_component(node, inner, direct_bits, stack, on_stack, reach)
    return reach


def _close_component(
    root: str,
    inner: Mapping[str, list[str]],
    direct_bits: Mapping[str, int],
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
        bits |= direct_bits[member]
        for successor in inner[member]:
            if successor in reach:
                bits |= reach[successor]
    for member in members:
        reach[member] = bits
