"""Hundreds of damaged inventories: each one loads or fails with one clean line."""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from assessment.errors import InventoryError
from assessment.inventory import Inventory, load_inventory
from tests.conftest import DATA
from ztkit.cli import main

SOURCE = (DATA / "small-inventory.yaml").read_text()
BASE: Any = YAML(typ="safe").load(SOURCE)

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(
        ["restricted", "payroll", "hr-staff", "wiki", "", "-", "UPPER", "a" * 80]
    ),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += _paths(value, (*prefix, index))
    return paths


ALL_PATHS = _paths(BASE)


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def structural_mutations(draw: st.DrawFn) -> str:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(ALL_PATHS))
        try:
            parent = _parent(data, path)
            key = path[-1]
            action = draw(st.sampled_from(["replace", "delete", "rename", "duplicate"]))
            if action == "replace":
                parent[key] = draw(odd_values)
            elif action == "delete":
                del parent[key]
            elif action == "rename" and isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(key)
            elif action == "duplicate" and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[key]))
        except (KeyError, IndexError, TypeError):
            continue
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


@st.composite
def textual_mutations(draw: st.DrawFn) -> str:
    text = SOURCE
    position = draw(st.integers(min_value=0, max_value=len(text)))
    action = draw(st.sampled_from(["truncate", "insert", "delete"]))
    if action == "truncate":
        return text[:position]
    if action == "insert":
        return (
            text[:position]
            + draw(st.text(alphabet=":-[]{}#&*!|>'\"\t\n %@`,?", max_size=4))
            + text[position:]
        )
    return text[:position] + text[position + draw(st.integers(1, 40)) :]


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "inventory.yaml"
        path.write_text(text)
        try:
            loaded = load_inventory(path)
        except InventoryError as error:
            message = str(error)
            assert message.startswith(str(path)), message
            assert "\n" not in message, message
            expected_code = 2
        else:
            assert isinstance(loaded, Inventory)
            expected_code = 0

        stderr = io.StringIO()
        with (
            contextlib.redirect_stderr(stderr),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            code = main(["inventory", "validate", str(path)])
        assert code == expected_code, stderr.getvalue()
        assert "Traceback" not in stderr.getvalue()
        assert stderr.getvalue().count("\n") == (1 if code else 0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structural_mutations())
def test_structurally_damaged_inventories_fail_cleanly(text: str) -> None:
    _check(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(textual_mutations())
def test_textually_damaged_inventories_fail_cleanly(text: str) -> None:
    _check(text)
