"""The yaml_rs fast path reads every text exactly as the PyYAML input loader does."""

from __future__ import annotations

import datetime
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment import fast_yaml
from assessment.errors import InventoryError
from assessment.inventory import load_inventory
from assessment.yaml_loader import load_yaml, load_yaml_with_pyyaml
from bench.generate import generate_inventory
from tests.conftest import ROOT, SAMPLE

# Scalars where YAML 1.1 (PyYAML) and YAML 1.2 (yaml_rs) disagree, or where
# one of them fails, and pieces of syntax that only one of them accepts.
TRICKY_SCALARS = [
    "017",
    "08",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "_1",
    "1:30",
    "-1:30",
    "1e3",
    "1.5e3",
    "6.02e+23",
    ".inf",
    "-.Inf",
    ".NaN",
    ".nan",
    "+.5",
    "1.",
    "-0",
    "+3",
    "~",
    "null",
    "NULL",
    "yes",
    "no",
    "on",
    "True",
    "FALSE",
    "=",
    "2024-01-01",
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-1-5",
    "2024-01-15T12:00:00Z",
    "2024-01-15 12:00:00",
    "'2024-01-01'",
    '"2024-01-01"',
    '"\\x32024-01-01"',
    "1.2.3",
    "10.0.0.1",
    "2001:db8::1",
]
TRICKY_SYNTAX = [
    "!!str ",
    "!!int ",
    "!custom ",
    "<<: ",
    "&a ",
    "*a",
    "&a [1, *a]",
    "? ",
    "\t",
    "\ufeff",
    "\x00",
    "\x07",
    "\x85",
    "\u2028",
    "\r",
    "\r\n",
    "[",
    "]",
    "{",
    "}",
    ",\n  ",
    "# ]",
    "'[' ",
    "\n",
    "\n  ",
    "- ",
    ": ",
    ":",
    "# ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "|\n",
    "|2\n",
    ">-\n",
    "'",
    '"',
    "@",
    "`",
]
TOKENS = TRICKY_SCALARS + TRICKY_SYNTAX


def reading(load: Any, text: str) -> tuple[Any, ...]:
    """What ``load`` makes of ``text``: every value with its type, or the error."""
    try:
        value = load(text)
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("value", _typed(value, set()))


def _typed(value: Any, path: set[int]) -> Any:
    """``value`` with the type of every part spelled out, in order.

    ``1``, ``1.0`` and ``True`` compare equal in Python, as do a date and
    nothing else; the tests must tell them apart. A recursive structure
    (from a recursive alias) is marked where it repeats.
    """
    if isinstance(value, dict | list):
        if id(value) in path:
            return ("recursion",)
        inner = path | {id(value)}
        if isinstance(value, dict):
            return (
                "dict",
                [(_typed(k, inner), _typed(v, inner)) for k, v in value.items()],
            )
        return ("list", [_typed(item, inner) for item in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, repr(value))


def assert_reads_alike(text: str) -> None:
    """The project's loader and the PyYAML reference agree on ``text``."""
    assert reading(load_yaml, text) == reading(load_yaml_with_pyyaml, text), text


# Generated documents, dumped by PyYAML in its different styles.

keys = st.one_of(st.text(max_size=8), st.integers(-100, 100))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.dates(),
    st.text(max_size=20),
    st.text(alphabet=" :-#'\"[]{},&*!|>?%@`\t\n0123456789.eE_x", max_size=10),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)
dump_styles = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, True, None]),
        # Most documents in the plain style, where most texts take the fast
        # path; a forced style or the canonical form tags non-text scalars.
        "default_style": st.sampled_from([None] * 4 + ['"', "'", "|", ">"]),
        "width": st.sampled_from([20, 80, 1000]),
        "indent": st.sampled_from([2, 4]),
        "allow_unicode": st.booleans(),
        "explicit_start": st.booleans(),
        "canonical": st.sampled_from([False] * 7 + [True]),
    }
)


@st.composite
def edited(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three edits: a token inserted, a span cut, a line
    repeated (a duplicate key, often), or the end cut off."""
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "insert", "cut", "repeat", "end"]))
        if action == "insert":
            text = text[:position] + draw(st.sampled_from(TOKENS)) + text[position:]
        elif action == "cut":
            text = text[:position] + text[position + draw(st.integers(1, 20)) :]
        elif action == "repeat":
            start = text.rfind("\n", 0, position) + 1
            end = text.find("\n", position)
            end = len(text) if end == -1 else end + 1
            text = text[:end] + text[start:end] + text[end:]
        else:
            text = text[:position]
    return text


@st.composite
def dumped_documents(draw: st.DrawFn) -> str:
    data = {"root": draw(documents)}
    text = yaml.safe_dump(data, sort_keys=False, **draw(dump_styles))
    if draw(st.booleans()):
        text = draw(edited(text))
    return text


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dumped_documents())
def test_generated_documents_read_alike(text: str) -> None:
    assert_reads_alike(text)


# Flow collections, where the line-based checks of the scan are most easily
# fooled: brackets and colons inside quotes and comments, collections over
# several lines, collections as keys.

PLAIN_ATOMS = ["a", "b c", "1", "-2", "x-y", "1.5", "true", "~", "2024-01-01", "1,5"]
TRICKY_ATOMS = ["'q'", '"]"', "'{'", "# ]", "# [", "x:y", "017", "1:30", "*a", "&a b"]
flow_atoms = st.sampled_from([*PLAIN_ATOMS, *TRICKY_ATOMS])
flow_separators = st.sampled_from(
    [", ", ",", ", ", " , ", ",\n  ", " ,\n", ", # c\n  ", "\n"]
)


@st.composite
def flow_collections(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        return draw(flow_atoms)
    separator = draw(flow_separators)
    items = draw(st.lists(flow_collections(depth + 1), max_size=3))
    if draw(st.booleans()):
        return "[" + separator.join(items) + draw(st.sampled_from(["]", "\n]"]))
    entries = [
        item if draw(st.booleans()) else f"k{index}: {item}"
        for index, item in enumerate(items)
    ]
    return "{" + separator.join(entries) + draw(st.sampled_from(["}", "\n}"]))


@st.composite
def flow_documents(draw: st.DrawFn) -> str:
    lines = [
        f"key{index}: {draw(flow_collections())}"
        + draw(st.sampled_from(["", " # [", " # ]", "  # note"]))
        for index in range(draw(st.integers(1, 3)))
    ]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow_documents())
def test_flow_collections_read_alike(text: str) -> None:
    assert_reads_alike(text)


# The project's own files, and hand edits of the sample inventory.

REPOSITORY_YAML = sorted(
    path
    for folder in ("sample", "stacks", "assessment/data", "tests/data")
    for pattern in ("*.yaml", "*.yml")
    for path in (ROOT / folder).rglob(pattern)
)


@pytest.mark.parametrize(
    "path", REPOSITORY_YAML, ids=[str(p.relative_to(ROOT)) for p in REPOSITORY_YAML]
)
def test_every_yaml_file_in_the_repository_reads_alike(path: Path) -> None:
    assert_reads_alike(path.read_text(encoding="utf-8"))


SAMPLE_INVENTORY = (SAMPLE / "inventory.yaml").read_text(encoding="utf-8")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited(SAMPLE_INVENTORY))
def test_edited_sample_inventories_read_alike(text: str) -> None:
    assert_reads_alike(text)


# Texts where yaml_rs, left alone, reads differently from PyYAML or breaks:
# the scan must decline every one of them.

DIFFERENCES = {
    "octal": "a: 017\n",
    "sexagesimal": "a: 1:30\n",
    "exponent without a dot": "a: 1e3\n",
    "underscore": "a: 1_000\n",
    "nan": "a: .NaN\n",
    "quoted date": "a: '2024-01-01'\n",
    "impossible date": "a: 2024-02-30\n",
    "date in a block scalar": "a: |-\n  2024-01-01\n",
    "unknown tag": "a: !custom x\n",
    "merge key": "base: &b {x: 1}\nd:\n  <<: *b\n",
    "repeated anchor": "a: &x 1\nb: &x 2\n",
    "recursive alias": "a: &x [1, *x]\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "control character": "a: b\x07\n",
    "delete character": "a: b\x7f\n",
    "next-line character": "a: b\x85c\n",
    "sequence as a key": "[a]: b\n",
    "mapping as a key": "{a: 1} : b\n",
    "byte-order mark": "\ufeffa: 1\n",
    "tab in indentation": "a:\n\tb: 1\n",
    "key over lines in a flow mapping": "a: {b\n : 1}\n",
    "comment hiding a bracket": 'a: [w, # ]\n  x,017, "[" ]\n',
    "collection entry in a flow mapping": "a: {{x: }, y: 1}\n",
    "empty block scalar at the end": "a: |\n",
    "block scalar without a final line break": "a: |\n  true",
    "lone carriage returns": "b: 1\ra: |\r",
    "integer over the conversion limit": "a: 1" + "0" * 5000 + "\n",
}


@pytest.mark.parametrize("text", DIFFERENCES.values(), ids=DIFFERENCES.keys())
def test_known_differences_are_declined(text: str) -> None:
    assert fast_yaml.decline_reason(text) is not None
    assert_reads_alike(text)


def test_deep_nesting_never_reaches_yaml_rs() -> None:
    # yaml_rs crashes the interpreter at this depth, so it is only scanned.
    assert fast_yaml.decline_reason("- " * 20_000 + "x\n") == "deep nesting"
    assert fast_yaml.decline_reason(" " * 300 + "a: 1\n") == "deep nesting"


# The inventories the fast path is for.


def test_a_generated_inventory_takes_the_fast_path() -> None:
    text = generate_inventory(50)

    assert fast_yaml.decline_reason(text) is None
    parsed = fast_yaml.parse(text)
    assert parsed is not None
    assert _typed(parsed.value, set()) == _typed(load_yaml_with_pyyaml(text), set())


def test_load_inventory_reads_a_generated_inventory_without_pyyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate_inventory(50))

    def refuse(text: str) -> Any:
        raise AssertionError("the generated inventory fell back to PyYAML")

    monkeypatch.setattr("assessment.yaml_loader.load_yaml_with_pyyaml", refuse)

    assert len(load_inventory(path).applications) == 50


def test_the_sample_files_take_the_fast_path() -> None:
    for name in ("inventory.yaml", "answers.yaml"):
        text = (SAMPLE / name).read_text(encoding="utf-8")
        assert fast_yaml.decline_reason(text) is None, name


# Without yaml_rs (or with a release the scan was not checked against),
# everything is read by PyYAML, silently.


def test_without_yaml_rs_the_loader_falls_back_silently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "yaml_rs", None)
    assert fast_yaml._yaml_rs_parser() is None

    monkeypatch.setattr(fast_yaml, "_parse_with_yaml_rs", None)
    text = generate_inventory(5)
    assert fast_yaml.parse(text) is None
    assert load_yaml(text) == load_yaml_with_pyyaml(text)


def test_an_unverified_yaml_rs_release_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yaml_rs

    monkeypatch.setattr(yaml_rs, "__version__", "0.2.0")

    assert fast_yaml._yaml_rs_parser() is None


# Errors: the messages, lines and columns users see are PyYAML's, as before.


def _inventory_error(path: Path) -> str:
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    return str(caught.value)


GENERATED = generate_inventory(20)
TARGET_MONTHS = "  target_months: 12\n"
BROKEN_INVENTORIES = {
    "duplicate key": (
        GENERATED.replace("    port: 8080\n", "    port: 8080\n    port: 8081\n", 1),
        ":72:5: malformed YAML: found duplicate key 'port'",
    ),
    "unclosed flow sequence": (
        GENERATED.replace("readers: [all-staff]", "readers: [all-staff", 1),
        ":75:12: malformed YAML: did not find expected ',' or ']'",
    ),
    "YAML 1.2 octal": (
        re.sub(r"(    users: )[0-9]+", r"\g<1>0o17", GENERATED, count=1),
        ":73:12: applications[0].users: '0o17' is not a whole number",
    ),
    "impossible date": (
        GENERATED.replace(TARGET_MONTHS, TARGET_MONTHS + "  start: 2027-02-30\n"),
        ": malformed YAML: day is out of range for month",
    ),
    "quoted date": (
        GENERATED.replace(TARGET_MONTHS, TARGET_MONTHS + "  start: '2027-01-04'\n"),
        ":7:10: organisation.start: '2027-01-04' is not a date (YYYY-MM-DD)",
    ),
    "unknown field": (
        GENERATED.replace("    legacy: false\n", "    legasy: false\n", 1),
        ":77:5: applications[0].legasy: unknown field 'legasy'; did you mean 'legacy'?",
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"), BROKEN_INVENTORIES.values(), ids=BROKEN_INVENTORIES.keys()
)
def test_broken_inventories_report_what_pyyaml_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)

    with_fast_path = _inventory_error(path)
    monkeypatch.setattr(fast_yaml, "_parse_with_yaml_rs", None)
    without = _inventory_error(path)

    assert with_fast_path == without == f"{path}{expected}"


def test_dates_keep_their_type() -> None:
    text = "start: 2027-01-04\nnote: 'on 2027-01-04'\n"

    assert load_yaml(text) == {
        "start": datetime.date(2027, 1, 4),
        "note": "on 2027-01-04",
    }


# Simple texts: one pattern and the check on dates stand in for the whole
# scan, and must come to its verdict.

# Every line of the text against the line pattern, in one pass: what the
# loader's check of one line shape at a time must agree with.
WHOLE_SIMPLE_TEXT = re.compile(
    rf"(?:{fast_yaml._SIMPLE_LINE}\n)*+(?:{fast_yaml._SIMPLE_LINE})?"
)
SIMPLE_WORDS = ["a", "Application 7", "x-y.example.org", "ops@example.org", "true"]
NUMBERS = ["0", "8080", "-2", "1.5", "2024-01-01", "2024-02-30"]
simple_scalars = st.sampled_from([*SIMPLE_WORDS, *NUMBERS, *TRICKY_SCALARS])
simple_keys = st.sampled_from(["id", "port", "app.kubernetes.io/name", "n", "017"])


@st.composite
def simple_values(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(["words", "sequence", "mapping", "mappings"]))
    scalars = draw(st.lists(simple_scalars, min_size=1, max_size=3))
    if shape == "words":
        return " ".join(scalars)
    pairs = [f"{draw(simple_keys)}: {scalar}" for scalar in scalars]
    if shape == "sequence":
        return "[" + ", ".join(scalars) + "]"
    if shape == "mapping":
        return "{" + ", ".join(pairs) + "}"
    return "[" + ", ".join("{" + pair + "}" for pair in pairs) + "]"


@st.composite
def simple_lines(draw: st.DrawFn) -> str:
    indent = " " * draw(st.sampled_from([0, 2, 4, 6]))
    dash = draw(st.sampled_from(["", "", "- "]))
    shape = draw(st.sampled_from(["pair", "pair", "key", "value", "comment", "blank"]))
    if shape == "pair":
        return f"{indent}{dash}{draw(simple_keys)}: {draw(simple_values())}"
    if shape == "key":
        return f"{indent}{dash}{draw(simple_keys)}:"
    if shape == "value":
        return f"{indent}{dash}{draw(simple_values())}"
    if shape == "comment":
        return f"{indent}# {draw(st.sampled_from(['note', 'a: b', 'HR, finance']))}"
    return ""


@st.composite
def simple_documents(draw: st.DrawFn) -> str:
    text = "\n".join(draw(st.lists(simple_lines(), min_size=1, max_size=8))) + "\n"
    if draw(st.booleans()):
        text = draw(edited(text))
    return text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(simple_documents())
def test_a_simple_text_gets_the_verdict_of_the_whole_scan(text: str) -> None:
    line_by_line = WHOLE_SIMPLE_TEXT.fullmatch(text) is not None
    assert fast_yaml._is_simple(text) == line_by_line, text
    assert fast_yaml.decline_reason(text) == fast_yaml.full_scan_reason(text), text
    assert_reads_alike(text)


SIMPLE = {
    "nested block": "a:\n  - id: x\n    port: 8080\n",
    "flow sequence of mappings": "deps: [{target: db, port: 5432}, {target: b}]\n",
    "whole-line comment": "# Generated, for tests.\nname: Application 0\n",
    "date": "start: 2027-01-04\n",
}
NOT_SIMPLE = {
    "quote": "name: 'x'\n",
    "trailing comment": "port: 80 # was 81\n",
    "octal": "port: 017\n",
    "address": "url: https://example.org\n",
    "flow over lines": "a: [b,\n  c]\n",
    "carriage return": "a: b\r\n",
    "block scalar": "a: |\n  b\n",
    "document marker": "---\na: b\n",
}


@pytest.mark.parametrize("text", SIMPLE.values(), ids=SIMPLE.keys())
def test_simple_texts_are_recognised(text: str) -> None:
    assert fast_yaml._is_simple(text)
    assert fast_yaml.decline_reason(text) is None
    assert_reads_alike(text)


@pytest.mark.parametrize("text", NOT_SIMPLE.values(), ids=NOT_SIMPLE.keys())
def test_other_texts_get_the_whole_scan(text: str) -> None:
    assert not fast_yaml._is_simple(text)
    assert_reads_alike(text)


def test_a_generated_inventory_is_simple() -> None:
    assert fast_yaml._is_simple(generate_inventory(50))
