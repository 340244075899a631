"""Changing an application's controls in the inventory file, keeping its comments.

The inventory is written by hand, so an edit goes through a round-trip parse
that keeps comments, key order, quoting and flow style. The edited text is
validated with :func:`assessment.inventory.load_inventory` before it replaces
the file, so an edit never leaves an invalid inventory behind.

The round-trip helpers here are shared with :mod:`assessment.answers_edit`.
"""

from __future__ import annotations

import copy
import io
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from assessment.atomic_file import write_atomic
from assessment.document import did_you_mean, read_text
from assessment.errors import InputError, InventoryError
from assessment.inventory import CONTROL_NAMES, Inventory, load_inventory

LoadedT = TypeVar("LoadedT")

_SEQUENCE_ITEM = re.compile(r"^( *)- \S")
_MAPPING_KEY = re.compile(r"^( *)[^\s#-][^:#]*:\s*(#.*)?$")
_SECTION = re.compile(r"^applications:\s*(#.*)?$")


class InventoryEditError(InventoryError):
    """An edit cannot be applied to the inventory file."""


def set_controls(path: Path, app_id: str, changes: Mapping[str, bool]) -> Inventory:
    """Turn some of an application's controls on or off in the inventory file.

    A control already written in the file keeps its place and gets the new
    value; a control switched on that is not written yet is added in the
    usual order (sso, mfa, access_proxy, segmented, device_posture,
    access_logging); switching off a control that is not written changes
    nothing, since absent means off. An application without a ``controls``
    mapping gets one, in flow style like the bundled sample.

    Returns:
        The inventory as it now reads, validated.

    Raises:
        InventoryEditError: when the application or a control is unknown, or
            the file changed on disk while it was being edited.
        InventoryError: when the file, or the file as edited, is invalid.
    """
    unknown = [name for name in changes if name not in CONTROL_NAMES]
    if unknown:
        raise InventoryEditError(
            path,
            f"unknown control {unknown[0]!r}; {did_you_mean(unknown[0], CONTROL_NAMES)}",
        )

    text = read_text(path, InventoryError)
    edited = _edit_block(path, text, app_id, changes)
    if edited is None:
        edited = _edit_document(path, text, app_id, changes)
    inventory = validate_before_write(path, edited, load_inventory)
    replace_if_unchanged(path, text, edited, InventoryEditError)
    return inventory


def set_control(path: Path, app_id: str, control: str, enabled: bool) -> Inventory:
    """Turn one control of one application on or off; see :func:`set_controls`."""
    return set_controls(path, app_id, {control: enabled})


def _edit_document(
    path: Path, text: str, app_id: str, changes: Mapping[str, bool]
) -> str:
    """Apply ``changes`` through a round-trip parse of the whole file."""
    # TODO: this path takes about a minute on a 5,000-app inventory (ruamel's
    # round-trip parser); it is only taken for layouts _edit_block declines,
    # such as a flow-style applications list.
    yaml = round_trip_yaml(text)
    document = load_round_trip(path, yaml, text, InventoryError)
    app, index = _find_application(path, document, app_id)
    _apply(path, app, index, changes)
    return dump_round_trip(yaml, document)


def _edit_block(
    path: Path, text: str, app_id: str, changes: Mapping[str, bool]
) -> str | None:
    """Apply ``changes`` by round-tripping only the application's own lines.

    The round-trip parser is slow (a minute for 5,000 applications), so the
    application's item is cut out of the ``applications`` list, parsed under
    a stand-in ``applications:`` key so it keeps its indentation, edited and
    spliced back. ``None`` when the file is laid out in a way this cannot
    handle safely (a flow-style list, an id not on its own line, odd
    indentation): the caller then edits the whole document.
    """
    lines = text.splitlines(keepends=True)
    span = _application_span(lines, app_id)
    if span is None:
        return None
    start, end, index = span
    snippet = "applications:\n" + "".join(lines[start:end])
    yaml = round_trip_yaml(snippet)
    try:
        document = yaml.load(snippet)
    except YAMLError:
        return None
    if dump_round_trip(yaml, document) != snippet:
        return None
    items = document.get("applications") if isinstance(document, dict) else None
    if not (isinstance(items, CommentedSeq) and len(items) == 1):
        return None
    app = items[0]
    if not (isinstance(app, CommentedMap) and app.get("id") == app_id):
        return None
    _apply(path, app, index, changes)
    edited = dump_round_trip(yaml, document).split("\n", 1)[1]
    return "".join(lines[:start]) + edited + "".join(lines[end:])


def _application_span(lines: list[str], app_id: str) -> tuple[int, int, int] | None:
    """First line, end line and list index of ``app_id``'s item, or ``None``.

    The item runs from its ``- `` line to its last line of content; comment
    and blank lines after it stay where they are.
    """
    try:
        section = next(
            number for number, line in enumerate(lines) if _SECTION.match(line)
        )
    except StopIteration:
        return None
    starts: list[int] = []
    dash_indent: int | None = None
    last_content = section
    section_end = len(lines)
    for number in range(section + 1, len(lines)):
        line = lines[number]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        item = _SEQUENCE_ITEM.match(line)
        if dash_indent is None:
            if not item:
                return None
            dash_indent = indent
        if indent < dash_indent or (indent == dash_indent and not item):
            section_end = number
            break
        if indent == dash_indent:
            starts.append(number)
        last_content = number
    else:
        section_end = len(lines)

    wanted = re.compile(rf"^\s*(- )?id:\s*(['\"]?){re.escape(app_id)}\2\s*(#.*)?$")
    for index, start in enumerate(starts):
        following = starts[index + 1] if index + 1 < len(starts) else section_end
        end = start
        for number in range(start, following):
            stripped = lines[number].strip()
            if stripped and not stripped.startswith("#"):
                end = number + 1
        block = lines[start:end]
        if not any(wanted.match(line) for line in block):
            continue
        assert dash_indent is not None
        if any(
            line.strip() and len(line) - len(line.lstrip(" ")) < dash_indent
            for line in block
        ):
            return None
        return start, min(end, last_content + 1), index
    return None


def _apply(
    path: Path, app: CommentedMap, index: int, changes: Mapping[str, bool]
) -> None:
    """Set ``changes`` in the round-trip mapping of one application."""
    controls = app.get("controls")
    if controls is None:
        controls = CommentedMap()
        controls.fa.set_flow_style()
        if "controls" in app:
            replace_value(app, "controls", controls)
        else:
            insert_after(app, _last_simple_key(app), "controls", controls)
    if not isinstance(controls, CommentedMap):
        raise InventoryEditError(
            path,
            f"{controls!r} is not a mapping of controls",
            field=f"applications[{index}].controls",
        )
    for name, enabled in changes.items():
        if name in controls:
            controls[name] = enabled
        elif enabled:
            controls.insert(_control_position(controls, name), name, enabled)


def _find_application(
    path: Path, document: Any, app_id: str
) -> tuple[CommentedMap, int]:
    applications = document.get("applications") if isinstance(document, dict) else None
    if not isinstance(applications, CommentedSeq):
        raise InventoryEditError(path, "no 'applications' list", field="applications")
    known: list[str] = []
    for index, app in enumerate(applications):
        if isinstance(app, CommentedMap):
            if app.get("id") == app_id:
                return app, index
            known.append(str(app.get("id")))
    raise InventoryEditError(
        path, f"no application {app_id!r}; {did_you_mean(app_id, known)}"
    )


def _control_position(controls: CommentedMap, name: str) -> int:
    """Where ``name`` goes among the controls written, in the usual order."""
    rank = CONTROL_NAMES.index(name)
    position = 0
    for index, key in enumerate(controls):
        if key in CONTROL_NAMES and CONTROL_NAMES.index(key) < rank:
            position = index + 1
    return position


def _last_simple_key(mapping: CommentedMap) -> Any:
    """The last key whose value sits on its own line (a scalar or flow value).

    A new key goes after it: the comments that follow such a key belong to
    it alone, so they can be split cleanly, which is not true of a block
    list whose last item carries the comments of whatever comes next.
    """
    anchor = None
    for key, value in mapping.items():
        if not _is_block(value):
            anchor = key
    return anchor


# --- round-trip YAML helpers, shared with answers_edit -------------------------


def round_trip_yaml(text: str) -> YAML:
    """A comment-keeping YAML parser set to the indentation ``text`` uses.

    Without the right indentation a dump would re-indent the whole file.
    """
    mapping_indent, sequence_indent, offset = _indentation(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    # Keep ``[{target: db}]`` as written rather than the terser ``[target: db]``.
    yaml.brace_single_entry_mapping_in_flow_sequence = True
    yaml.indent(mapping=mapping_indent, sequence=sequence_indent, offset=offset)
    return yaml


def _indentation(text: str) -> tuple[int, int, int]:
    mapping_indent, offset = 0, -1
    parent_indent: int | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        item = _SEQUENCE_ITEM.match(line)
        if parent_indent is not None and indent > parent_indent:
            if item and offset < 0:
                offset = indent - parent_indent
            elif not item and not mapping_indent:
                mapping_indent = indent - parent_indent
        if mapping_indent and offset >= 0:
            break
        parent_indent = indent if _MAPPING_KEY.match(line) else None
    mapping_indent = mapping_indent or 2
    offset = max(offset, 0)
    return mapping_indent, offset + 2, offset


def load_round_trip(
    path: Path, yaml: YAML, text: str, error_class: type[InputError]
) -> Any:
    """Parse ``text`` keeping comments; a syntax error names the line."""
    try:
        return yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error_class(
            path,
            "malformed YAML",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None


def dump_round_trip(yaml: YAML, document: Any) -> str:
    """Render a round-trip document back to text."""
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def validate_before_write(
    path: Path, text: str, loader: Callable[[Path], LoadedT]
) -> LoadedT:
    """Load ``text`` as if it were ``path``, so it can be checked before writing.

    Raises:
        InputError: of the loader's kind, naming ``path`` and prefixed to say
            that the edit, not the file on disk, is at fault.
    """
    with tempfile.TemporaryDirectory(prefix="ztkit-edit-") as folder:
        candidate = Path(folder) / path.name
        candidate.write_text(text, encoding="utf-8")
        try:
            return loader(candidate)
        except InputError as exc:
            raise type(exc)(
                path,
                f"the edit would make the file invalid: {exc.detail}",
                line=exc.line,
                column=exc.column,
                field=exc.field,
            ) from None


def replace_if_unchanged(
    path: Path, original: str | None, edited: str, error_class: type[InputError]
) -> None:
    """Write ``edited`` over ``path`` atomically, unless someone else changed it.

    ``original`` is the text the edit started from (``None``: the file did
    not exist). Another editor saving in between would otherwise lose its
    work without a word.
    """
    current = read_text(path, error_class) if path.exists() else None
    if current != original:
        raise error_class(path, "changed on disk during the edit; reload and try again")
    write_atomic(path, edited)


def insert_after(mapping: CommentedMap, anchor: Any, key: str, value: Any) -> None:
    """Insert ``key`` right after ``anchor`` (first when ``anchor`` is None).

    Comment lines and blank lines that followed the anchor's value belong to
    whatever came next, so they move below the new key; a comment on the
    anchor's own line stays there.
    """
    position = list(mapping).index(anchor) + 1 if anchor is not None else 0
    mapping.insert(position, key, value)
    if anchor is None:
        return

    token = _trailing_comment(*_trailing_holder(mapping, anchor))
    if token is None:
        return
    first, newline, rest = token.value.partition("\n")
    if not rest:
        return
    token.value = first + newline
    moved = copy.copy(token)
    moved.value = "\n" + rest
    _set_trailing_comment(*_trailing_holder(mapping, key), moved)


def replace_value(mapping: CommentedMap, key: Any, value: Any) -> None:
    """Give ``key`` a new value, keeping the comment that followed the old one."""
    holder, holder_key = _trailing_holder(mapping, key)
    token = _trailing_comment(holder, holder_key)
    if token is not None:
        holder.ca.items[holder_key][2] = None
    mapping[key] = value
    if token is not None:
        _set_trailing_comment(*_trailing_holder(mapping, key), token)


def _is_block(value: Any) -> bool:
    return (
        isinstance(value, CommentedMap | CommentedSeq)
        and len(value) > 0
        and not value.fa.flow_style()
    )


def _trailing_holder(mapping: CommentedMap, key: Any) -> tuple[CommentedMap, Any]:
    """The mapping and key whose comment ends the text of ``mapping[key]``."""
    value = mapping[key]
    while isinstance(value, CommentedMap) and _is_block(value):
        mapping, key = value, list(value)[-1]
        value = mapping[key]
    return mapping, key


def _trailing_comment(mapping: CommentedMap, key: Any) -> Any:
    entry = mapping.ca.items.get(key)
    if entry is None or len(entry) < 3:
        return None
    return entry[2]


def _set_trailing_comment(mapping: CommentedMap, key: Any, token: Any) -> None:
    entry = mapping.ca.items.setdefault(key, [None, None, None, None])
    entry[2] = token
