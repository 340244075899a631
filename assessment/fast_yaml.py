"""yaml_rs as a fast path for the input loader, on texts it reads the same way.

``yaml_rs`` is a compiled YAML 1.2 parser, about twenty times faster than
PyYAML's libyaml loader on a large inventory. Like the input loader of ``yaml_loader`` it
rejects duplicate keys and reads only true/false as booleans, but elsewhere
it reads some texts differently:

* numbers: ``017`` is 15 to the input loader and 17 to yaml_rs, ``1:30`` is
  90 there and text here, ``1e3`` is text there and 1000.0 here, and yaml_rs
  drops underscores anywhere in a number; it also converts integers longer
  than Python's limit for converting text to ``int``, which PyYAML refuses;
* dates: yaml_rs turns quoted and block scalars that read YYYY-MM-DD into
  dates too, and leaves 2024-02-30 as text where the input loader fails;
* it ignores unknown tags, ``<<`` merge keys, repeated anchors and extra
  documents, replaces a recursive alias with null, accepts control
  characters, tabs in indentation and keys broken over lines inside flow
  collections, keeps a byte-order mark in the first key, reads an empty
  block scalar at the end of the text as a line break, and crashes the
  process on nesting a few thousand levels deep.

Rather than re-implement PyYAML's rules, :func:`parse` scans the text for
every construct where the two may differ and declines such a text, so that
the input loader reads it exactly as before. The scan is a handful of
regular-expression passes, about 0.16 s for a 5 MB inventory (as long as
yaml_rs takes to parse it); a false alarm only costs speed. Texts yaml_rs
refuses are declined too, so error messages, lines and columns are always
the input loader's.

Most inventories are written in a small part of YAML: block mappings and
sequences of plain words and decimal numbers, one-line flow collections of
the same, and whole-line comments. A text made only of such lines (see
``_SIMPLE_LINE``) passes every check of the scan but the one on dates, so for
it one pattern, matched once per distinct shape of line, stands in for all
the others: about a fifth of the scan's time on a large inventory.

Aliases are declined as well: yaml_rs copies the anchored value where PyYAML
shares one object, and a recursive alias would read differently.
"""

from __future__ import annotations

import datetime
import logging
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

VERIFIED_VERSIONS = ("0.1.6",)
"""yaml_rs releases whose differences the scan below was written and tested for."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """What yaml_rs read; a wrapper because ``None`` is a valid YAML document."""

    value: Any


def _yaml_rs_parser() -> Callable[[str], Any] | None:
    """yaml_rs's ``loads`` set up like the input loader, or None without it."""
    try:
        import yaml_rs
    except ImportError:
        logger.debug("yaml_rs is not installed; PyYAML reads every YAML file")
        return None
    if yaml_rs.__version__ not in VERIFIED_VERSIONS:
        # Another release may have fixed or changed a difference the scan
        # relies on; trust it only once the tests have run against it.
        logger.debug("yaml_rs %s is not a verified release", yaml_rs.__version__)
        return None

    def parse(text: str) -> Any:
        return yaml_rs.loads(
            text,
            parse_datetime=True,
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
        )

    return parse


_parse_with_yaml_rs = _yaml_rs_parser()


def available() -> bool:
    """Whether a verified release of yaml_rs is installed."""
    return _parse_with_yaml_rs is not None


def parse(text: str) -> Parsed | None:
    """Read ``text`` with yaml_rs when it reads it as the input loader would.

    Returns:
        The parsed document, or None when yaml_rs is missing, the text holds
        something yaml_rs may read differently, or yaml_rs refuses it. The
        caller then parses the text with the input loader.
    """
    if _parse_with_yaml_rs is None:
        return None
    reason = decline_reason(text)
    if reason is not None:
        logger.debug("YAML fast path declined: %s", reason)
        return None

    try:
        return Parsed(_parse_with_yaml_rs(text))
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # a Rust panic arrives as a BaseException
        # The input loader reports the real error, or (for the few texts
        # yaml_rs is stricter about) the right value.
        logger.debug("YAML fast path declined: yaml_rs raised %s", type(exc).__name__)
        return None


# The characters that end a plain token: white space and the flow indicators.
_SEPARATORS = r" \t\r\n\[\]{},"
_TOKEN_END = rf"(?![^{_SEPARATORS}])"

# Characters that may appear in something either parser reads as a number or
# a timestamp (digits, signs, dots, underscores, colons, hex digits, the
# 0x/0o/0b prefixes, inf/nan, T/Z). A token with any other character in it
# is text to both.
_NUMBER_LIKE = r"0-9a-fA-FxXoOiInNtTzZ._:+\-"

# PyYAML refuses characters outside this set; it also reads \x85, \u2028 and
# \u2029 as line breaks, and skips a byte-order mark only at the very start.
_UNUSUAL_CHARACTER = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    "\U00010000-\U0010ffff]"
)
# The printable ASCII characters and the three line characters PyYAML accepts.
# An ASCII text is checked by deleting these from its bytes, which is several
# times faster than searching it with the pattern above.
_USUAL_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"

# A carriage return on its own ends a line for both parsers, but every
# line-based check below splits lines at "\n".
_LONE_CARRIAGE_RETURN = re.compile(r"\r(?!\n)")

# What may not start a token on the fast path. The text is searched with a
# line break in front, so that its first token also follows a separator.
_TOKEN_HAZARD = re.compile(
    rf"""
    [{_SEPARATORS}]
    (?=[-+._0-9!:?=%@`|>&*])  # a cheap filter on the first character
    (?:
        # Tags, complex keys, reserved indicators, aliases, and plain
        # scalars starting with ":" (PyYAML rejects "[:x]").
        [!:?%@`*]
        # The YAML 1.1 value key.
      | ={_TOKEN_END}
        # "|" or ">" other than a block scalar header ending its line.
      | [|>](?![-+0-9]*[ \t]*(?:\#[^\n]*)?(?:\r?\n|\Z))
        # An anchor whose name PyYAML would not accept.
      | &(?![0-9A-Za-z_-]+(?:[ \t\r\n,\]}}]|\Z))
        # ".word" other than ".inf" (yaml_rs reads ".Nan" as a float).
      | [-+]?\.(?!(?:inf|Inf|INF){_TOKEN_END})[A-Za-z]
        # A token that starts like a number but is none of the forms both
        # read alike: a decimal integer or fraction without leading zeros,
        # underscores or exponent, a YYYY-MM-DD date, a dotted version or
        # address; each may end in ":" as a key. A letter that cannot be
        # part of a number makes the token text to both. The integer part
        # is kept short of Python's limit for converting text to int (at
        # least 640 digits, 4300 by default), past which PyYAML fails and
        # yaml_rs does not.
      | (?=[-+]?[._]*[0-9])
        (?!
            (?: [-+]?(?:0|[1-9][0-9]{{0,600}})(?:\.[0-9]*)?
              | \.[0-9]+
              | [0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}
              | [0-9]+(?:\.[0-9]+){{2,}}
            ):?{_TOKEN_END}
        )
        (?![^{_SEPARATORS}]*[^{_SEPARATORS}{_NUMBER_LIKE}])
    )
    """,
    re.VERBOSE,
)

# A JSON-style '"key":value' with no space after the colon. (The colon comes
# first in the pattern because a literal is found much faster than a class.)
_JSON_COLON = re.compile(r""":(?<=["']:)(?![ \t\r\n])""")

# A tab in the indentation, or after a "- " that opens a line: PyYAML
# rejects it, yaml_rs accepts it.
_TAB_INDENT = re.compile(r"^[ -]*\t", re.MULTILINE)

# Deep nesting: yaml_rs recurses on the C stack and crashes the process a few
# thousand levels down (a few hundred in a thread with a small stack). Each
# level of block nesting takes a column of indentation or a "- ", and yaml_rs
# refuses flow collections nested deeper than 128, so a line indented less
# than this keeps the depth at a few hundred. Searched with a line break in
# front of the text, like the ones below.
_DEEP_NESTING = re.compile(r"\n[ -]{200}")

# A line with a flow bracket that is not plainly balanced on that line. The
# line-based checks here assume that no flow collection runs over a line
# break; brackets in a quoted scalar or a comment could fake the balance,
# so a bracket line may hold no quote at all, and "#" only in a trailing
# part without brackets. Nesting is followed three levels deep.
_FLAT = r"""[^\[\]{}\n'"#]"""
_BALANCED = _FLAT + "*+"
for _ in range(3):
    _BALANCED = rf"(?:{_FLAT}++|\{{{_BALANCED}\}}|\[{_BALANCED}\])*+"
_FLOW_OVER_LINES = re.compile(
    rf"\n(?=[^\n\[\]{{}}]*+[\[\]{{}}])(?!{_BALANCED}(?:#[^\[\]{{}}\n]*+)?(?:\n|\Z))"
)

# A collection used as a key ("[a]: b"), ":" right before a flow indicator
# ("[a:]"), and ":" inside a plain scalar in a flow collection ("[a:b]",
# found by _colon_in_flow): PyYAML rejects the last two, yaml_rs reads them
# as text.
# One pattern per bracket: a pattern that starts with a literal character is
# searched far faster than one that starts with a character class.
_COLLECTION_KEY = tuple(
    re.compile(bracket + r"[ \t]*:" + _TOKEN_END) for bracket in (r"\]", r"\}")
)

# A collection as an entry of a flow mapping ("{[a], b: c}"): it is a key
# there, which PyYAML rejects and yaml_rs turns into a frozenset. The entries
# before it are skipped over, nested collections and all.
_COLLECTION_ENTRY_IN_MAPPING = re.compile(
    rf"\{{(?:(?:[^\[\]{{}}\n,]++|\{{{_BALANCED}\}}|\[{_BALANCED}\])*+,)*?[ \t]*+[\[{{]"
)
_COLON_BEFORE_FLOW = re.compile(r":[\[\]{},]")
_UNSPACED_COLON = re.compile(r":(?![ \t\r\n])")

_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?!\S)|^%", re.MULTILINE)
_ONLY_COMMENTS = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*")
_ANCHOR = re.compile(rf"(?<=[{_SEPARATORS}])&([^{_SEPARATORS}]+)")
_BLOCK_HEADER = re.compile(
    rf"(?<=[{_SEPARATORS}])[|>]([-+0-9]*)[ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE
)
_SEQUENCE_DASHES = re.compile(r"(?:-[ \t]+)+")

# Dates: yaml_rs turns every scalar that reads YYYY-MM-DD into a date, quoted
# and block scalars too, and leaves an impossible date such as 2024-02-30 as
# text where PyYAML fails. Both read a plain, valid YYYY-MM-DD alike. (A
# timestamp with a time of day never gets this far: its token is a hazard.)
_DATE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_DATE_HINT = re.compile(r"-[0-9][0-9]?-[0-9]")
# Escapes that could spell digits or "-" inside a double-quoted string, or
# join its lines.
_DIGIT_ESCAPE = re.compile(r"\\[xuU\r\n]")


# The simple part of YAML, line by line. Every token of it that starts after
# a separator is a word starting with a letter, a decimal number or a
# YYYY-MM-DD date of the forms both parsers read alike (dates are still
# checked on their own), a sequence dash or a flow indicator; there are no
# quotes, tags, anchors, aliases, block scalars, document markers, tabs,
# carriage returns, trailing comments or characters beyond printable ASCII,
# no ":" but a key's, and brackets only in flow collections closed on their
# line, at most two levels deep. Every quantifier is possessive, so a line
# that is not simple fails after one pass over it.
_NUMBER = r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]+)?"
_CALENDAR_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_WORD = r"[A-Za-z][A-Za-z0-9._@/+-]*+"
# Numbers are far more common than dates: tried first, and atomic, so that a
# date's year is not tried again digit by digit.
_SCALAR = rf"(?:{_WORD}|(?>{_NUMBER})|{_CALENDAR_DATE})"
_WORDS = rf"{_SCALAR}(?: {_SCALAR})*+"
_KEY = r"[A-Za-z][A-Za-z0-9_./-]*+"
_FLOW_MAPPING = rf"\{{(?:{_KEY}: {_WORDS}(?:, {_KEY}: {_WORDS})*+)?\}}"
_FLOW_ITEM = rf"(?:{_WORDS}|{_FLOW_MAPPING})"
_FLOW_SEQUENCE = rf"\[(?:{_FLOW_ITEM}(?:, {_FLOW_ITEM})*+)?\]"
_VALUE = rf"(?:{_WORDS}|{_FLOW_SEQUENCE}|{_FLOW_MAPPING})"
# Comment text without quotes, brackets, "<<", "&", "|", ">", "%", "*",
# backslashes or ":" before ",": none of the checks looks past a "#" that
# opens a line except for those.
_COMMENT = r"#(?:[A-Za-z0-9 .,;()/_@+=?!-]|:(?!,))*+"
_SIMPLE_LINE = (
    rf"[ ]{{0,100}}+(?:{_COMMENT}|(?:- ){{0,2}}+(?:{_KEY}:(?: {_VALUE})?|{_VALUE}))?"
    r"[ ]*+"
)
_SIMPLE_LINE_BYTES = re.compile(_SIMPLE_LINE.encode("ascii"))

# The pattern tells letters from each other nowhere, nor digits but "0" from
# the rest, so a line with every letter made "a" and every digit but "0" made
# "1" is simple exactly when the line is. Most lines of a large inventory then
# share their shape with thousands of others ("    port: 8080" and "    port:
# 9090" are one), and each shape is matched once.
_LINE_SHAPE = bytes.maketrans(
    string.ascii_letters.encode("ascii") + b"123456789",
    b"a" * len(string.ascii_letters) + b"1" * 9,
)


def decline_reason(text: str) -> str | None:
    """Why yaml_rs may read ``text`` differently from the input loader.

    Returns:
        A short reason, or None when yaml_rs is known to read ``text`` alike.
        A text of only simple lines needs just the check on dates; for any
        other, cheap substring tests guard the costlier passes.
    """
    if _is_simple(text):
        if _DATE_HINT.search(text) and not _dates_read_alike(text):
            return "a date that may read differently"
        return None
    return full_scan_reason(text)


def _is_simple(text: str) -> bool:
    """Whether every line of ``text`` is a simple line (``_SIMPLE_LINE``)."""
    if not text.isascii():
        return False  # a simple line is printable ASCII
    shapes = set(text.encode("ascii").translate(_LINE_SHAPE).split(b"\n"))
    return all(_SIMPLE_LINE_BYTES.fullmatch(shape) for shape in shapes)


def full_scan_reason(text: str) -> str | None:
    """Why yaml_rs may read ``text`` differently, by every check of the scan.

    Returns:
        A short reason, or None when yaml_rs is known to read ``text`` alike.
    """
    padded = "\n" + text
    flow = any(bracket in text for bracket in "[]{}")
    checks: tuple[tuple[str, Callable[[], object]], ...] = (
        ("an unusual character", lambda: _has_unusual_character(text)),
        ("a line ending in a lone CR", lambda: _LONE_CARRIAGE_RETURN.search(text)),
        ("a tab in indentation", lambda: "\t" in text and _TAB_INDENT.search(text)),
        ("deep nesting", lambda: _DEEP_NESTING.search(padded)),
        (
            "a tag, alias or number-like token",
            lambda: _found_outside_comments(_TOKEN_HAZARD, padded),
        ),
        ('a JSON-style "key":value', lambda: _JSON_COLON.search(text)),
        ("a << merge key", lambda: "<<" in text),
        (
            "a flow collection over lines, or quotes or comments around brackets",
            lambda: flow and _FLOW_OVER_LINES.search(padded),
        ),
        (
            "a collection as a key",
            lambda: flow and any(key.search(text) for key in _COLLECTION_KEY),
        ),
        (
            "a collection as an entry of a flow mapping",
            lambda: "{" in text and _COLLECTION_ENTRY_IN_MAPPING.search(text),
        ),
        ("':' before a flow indicator", lambda: _COLON_BEFORE_FLOW.search(text)),
        (
            "':' inside a plain scalar in a flow collection",
            lambda: flow and _colon_in_flow(text),
        ),
        ("a document marker or directive", lambda: not _single_document(text)),
        ("a repeated anchor", lambda: "&" in text and _repeated_anchor(padded)),
        (
            "a date that may read differently",
            lambda: _DATE_HINT.search(text) and not _dates_read_alike(text),
        ),
        (
            "an empty block scalar or an indentation indicator",
            lambda: (
                ("|" in text or ">" in text) and not _block_scalars_have_content(padded)
            ),
        ),
    )
    for reason, found in checks:
        if found():
            return reason
    return None


def _has_unusual_character(text: str) -> bool:
    """Whether ``text`` holds a character PyYAML refuses or reads unusually."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _USUAL_ASCII))
    return _UNUSUAL_CHARACTER.search(text) is not None


def _found_outside_comments(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``pattern`` matches ``text`` where it matters.

    A match on a line whose first non-blank character is "#" does not: that
    line is a comment, or content of a block or quoted scalar, text either
    way. Nor does a match that follows a "," with no "[" or "{" before it on
    its line ("about 1,000 staff"): outside a flow collection a comma is
    text, and a text with a flow collection that runs over lines is declined
    by another check.
    """
    position = 0
    while (match := pattern.search(text, position)) is not None:
        start = match.start()
        line_start = text.rfind("\n", 0, start + 1) + 1
        line_end = text.find("\n", start + 1)
        line = text[line_start:] if line_end == -1 else text[line_start:line_end]
        if line.lstrip(" \t").startswith("#"):
            if line_end == -1:
                return False
            position = line_end
        elif (
            text[start] == ","
            and "[" not in text[line_start:start]
            and "{" not in text[line_start:start]
        ):
            position = start + 1
        else:
            return True
    return False


def _colon_in_flow(text: str) -> bool:
    """Whether a ":" with no space after it follows a "[" or "{" on its line.

    Comment lines do not count. Looking for the rare unspaced colon first is
    much quicker than starting from every bracket.
    """
    for match in _UNSPACED_COLON.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()]
        comment = before.lstrip(" \t").startswith("#")
        if not comment and ("[" in before or "{" in before):
            return True
    return False


def _single_document(text: str) -> bool:
    """No directives, no "..." and at most one "---", before any content."""
    if "---" not in text and "..." not in text and "%" not in text:
        return True
    markers = list(_DOCUMENT_MARKER.finditer(text))
    if not markers:
        return True
    if len(markers) > 1 or markers[0].group() != "---":
        return False
    return _ONLY_COMMENTS.fullmatch(text, 0, markers[0].start()) is not None


def _repeated_anchor(padded: str) -> bool:
    """Whether an anchor name is used twice, which PyYAML rejects."""
    names = _ANCHOR.findall(padded)
    return len(names) != len(set(names))


def _block_scalars_have_content(text: str) -> bool:
    """Every ``|`` or ``>`` block scalar has a content line and no indent digit.

    yaml_rs reads an empty block scalar at the end of the text as "\\n"
    where PyYAML reads "", and adds a line break to the last block scalar of
    a text that does not end in one. Explicit indentation indicators are left
    to PyYAML.
    """
    headers = list(_BLOCK_HEADER.finditer(text))
    if headers and not text.endswith("\n"):
        return False
    for header in headers:
        if any(character.isdigit() for character in header.group(1)):
            return False

        line_start = text.rfind("\n", 0, header.start()) + 1
        line = text[line_start : header.start()]
        stripped = line.lstrip(" ")
        base = len(line) - len(stripped)
        dashes = _SEQUENCE_DASHES.match(stripped)
        if dashes is not None:
            if dashes.end() == len(stripped):
                # "- |": the block belongs to the sequence at the last dash.
                base += stripped.rstrip(" \t").rfind("-")
            else:
                base += dashes.end()
        if not _has_indented_line_after(text, header.end(), base):
            return False
    return True


def _has_indented_line_after(text: str, position: int, base: int) -> bool:
    """Whether the next non-blank line after ``position`` is indented past ``base``."""
    start = text.find("\n", position)
    while start != -1:
        start += 1
        end = text.find("\n", start)
        line = text[start:] if end == -1 else text[start:end]
        if line.strip(" \t\r"):
            return len(line) - len(line.lstrip(" ")) > base
        start = end
    return False


def _dates_read_alike(text: str) -> bool:
    """Whether both parsers read every date-looking piece of ``text`` alike.

    That is: a valid date, not right after a quote, not the first thing on
    its line (block scalar content or a continuation line), and no escapes
    in the text that could spell one inside a double-quoted string.
    """
    if _DIGIT_ESCAPE.search(text):
        return False
    for match in _DATE.finditer(text):
        start = match.start()
        if start > 0 and text[start - 1] in "\"'":
            return False
        line_start = text.rfind("\n", 0, start) + 1
        if not text[line_start:start].strip(" \t"):
            return False
        try:
            datetime.date.fromisoformat(match.group())
        except ValueError:
            return False
    return True
