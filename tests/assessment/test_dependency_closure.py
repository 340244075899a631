"""Transitive dependents by bitsets, against a plain walk of the graph."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.dependency_closure import DependentsClosure


def closed(users: dict[str, set[str]]) -> DependentsClosure:
    """The closure of a graph given as every entry's direct users."""
    edges = [(user, target) for target, direct in users.items() for user in direct]
    return DependentsClosure(
        list(users), [user for user, _ in edges], [target for _, target in edges]
    )


def walked(users: dict[str, set[str]], key: str) -> set[str]:
    """The entries that depend on ``key``, by walking the graph from it."""
    seen: set[str] = set()
    stack = list(users[key])
    while stack:
        current = stack.pop()
        if current in seen or current == key:
            continue
        seen.add(current)
        stack.extend(users[current])
    return seen


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, set[str]]:
    """Small dependency graphs with cycles, self-loops and unused entries."""
    keys = [f"entry-{index}" for index in range(draw(st.integers(1, 14)))]
    return {key: set(draw(st.lists(st.sampled_from(keys), max_size=4))) for key in keys}


@settings(max_examples=400, deadline=None)
@given(graphs())
def test_every_entry_has_the_dependents_a_walk_finds(
    users: dict[str, set[str]],
) -> None:
    closure = closed(users)

    for key in users:
        expected = walked(users, key)
        assert closure.members(key) == expected, key
        assert closure.count(key) == len(expected), key


def test_an_entry_in_a_cycle_is_not_its_own_dependent() -> None:
    closure = closed({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()})

    assert closure.members("a") == {"b", "c"}
    assert closure.count("b") == 2
    assert closure.members("d") == set()


def test_a_chain_longer_than_the_recursion_limit_is_closed() -> None:
    # Each link depends on the one before it: link 0 has every other link as
    # a dependent, the last link none.
    length = 5_000
    users = {f"link-{index}": {f"link-{index + 1}"} for index in range(length - 1)}
    users[f"link-{length - 1}"] = set()

    closure = closed(users)

    assert closure.count("link-0") == length - 1
    assert closure.count(f"link-{length // 2}") == length - length // 2 - 1
    assert closure.count(f"link-{length - 1}") == 0
