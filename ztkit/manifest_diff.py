"""Comparing two rendered plans: which objects a change adds, removes and changes.

A plan directory is what ``ztkit plan --out DIR`` writes: a ``plan.json`` index
and Kubernetes objects as YAML below it. Every ``*.yaml`` and ``*.yml`` file
is read, with any number of documents per file, so the layout of the files
does not matter, only the objects in them.

Objects are keyed ``kind/namespace/name``; a cluster-scoped object has an
empty namespace, so its key has two slashes in a row: ``Namespace//identity``.

Changed fields are named by paths in JavaScript style: a key that is an
identifier follows a dot, any other key is a JSON string in brackets, a list
position is a number in brackets::

    spec.template.spec.containers[0].args[3]
    metadata.labels["ztkit.io/phase"]

Lists are aligned before they are compared, so one inserted item is one
addition rather than a change of every item after it. An index is the item's
position in the new list, except for a removed item, whose index is its
position in the old list. A non-text mapping key is written as the JSON string
of its text. When both sides of a text value are JSON documents (a realm
export inside a Secret, say), the comparison goes on inside them, and the path
marks the step into the document with ``(json)``:
``stringData["ztkit-realm.json"](json).clients[3].redirectUris[0]``.

Secret values are redacted in a default render, so ``<redacted>`` compares
equal to anything, and inside a longer text it stands for any run of
characters. The values of a Secret's ``data`` and ``stringData`` are never
reported, only their paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Literal

import yaml

from assessment.errors import InputError
from assessment.yaml_loader import InputLoader

INDEX_FILE = "plan.json"
REDACTED = "<redacted>"
APP_LABEL = "ztkit.io/app"
PHASE_LABEL = "ztkit.io/phase"
SHARED_APP = "shared"
"""The app of an object without an app label: the identity provider, say."""
SECRET_FIELDS = frozenset({"data", "stringData"})
MANIFEST_SUFFIXES = (".yaml", ".yml")

Change = Literal["added", "removed", "changed"]


class PlanDirectoryError(InputError):
    """A plan directory is missing, is not a plan, or holds a malformed file."""


class _JsonText:
    """A path step from a text value into the JSON document it holds."""

    def __repr__(self) -> str:
        return "(json)"


JSON_TEXT = _JsonText()
PathPart = str | int | _JsonText


@dataclass(frozen=True)
class PlanObject:
    """One Kubernetes object of a plan directory."""

    kind: str
    namespace: str
    """Empty for a cluster-scoped object."""
    name: str
    manifest: dict[str, Any]
    file: str
    """Where it was read, relative to the plan directory."""

    @property
    def key(self) -> str:
        """``kind/namespace/name``; ``kind//name`` when cluster-scoped."""
        return object_key(self.kind, self.namespace, self.name)

    @property
    def labels(self) -> Mapping[str, Any]:
        """The object's labels; empty when it has none."""
        labels = self.manifest.get("metadata", {}).get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def app(self) -> str:
        """The app the object serves, from its label, or ``shared``."""
        app = self.labels.get(APP_LABEL)
        return str(app) if app else SHARED_APP

    @property
    def phase(self) -> str | None:
        """The phase that deploys the object, from its label, if labelled."""
        phase = self.labels.get(PHASE_LABEL)
        return None if phase is None else str(phase)


@dataclass(frozen=True)
class Plan:
    """A plan directory's objects and what its index says about the render."""

    directory: Path
    objects: dict[str, PlanObject]
    stack: str | None = None
    phase: int | None = None


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between the old and the new object."""

    path: str
    change: Change
    old: Any = None
    new: Any = None
    sensitive: bool = False
    """A Secret's value: report the path, never ``old`` or ``new``."""

    def as_json(self) -> dict[str, Any]:
        """The change as JSON: path and kind, and values unless sensitive."""
        result: dict[str, Any] = {"path": self.path, "change": self.change}
        if self.sensitive:
            result["sensitive"] = True
            return result
        if self.change != "added":
            result["old"] = self.old
        if self.change != "removed":
            result["new"] = self.new
        return result


@dataclass(frozen=True)
class ObjectChange:
    """An object in both plans whose fields differ."""

    old: PlanObject
    new: PlanObject
    fields: tuple[FieldChange, ...]

    @property
    def key(self) -> str:
        """The object's ``kind/namespace/name``."""
        return self.new.key


@dataclass(frozen=True)
class DiffGroup:
    """The differences of one app in one phase."""

    app: str
    phase: str | None
    added: list[PlanObject] = field(default_factory=list)
    removed: list[PlanObject] = field(default_factory=list)
    changed: list[ObjectChange] = field(default_factory=list)


@dataclass(frozen=True)
class PlanDiff:
    """Everything that differs between two plans, each list sorted by key."""

    old: Plan
    new: Plan
    added: tuple[PlanObject, ...]
    removed: tuple[PlanObject, ...]
    changed: tuple[ObjectChange, ...]
    unchanged: int

    @property
    def is_empty(self) -> bool:
        """Whether the two plans hold the same objects with the same fields."""
        return not (self.added or self.removed or self.changed)

    def summary(self) -> dict[str, int]:
        """How many objects are added, removed, changed and left as they were."""
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
        }

    def as_json(self) -> dict[str, Any]:
        """The diff as JSON, in the shape ``ztkit diff --format json`` prints."""
        return {
            "old": _plan_json(self.old),
            "new": _plan_json(self.new),
            "summary": self.summary(),
            "added": [item.key for item in self.added],
            "removed": [item.key for item in self.removed],
            "changed": [
                {
                    "object": item.key,
                    "app": item.new.app,
                    "phase": item.new.phase,
                    "fields": [change.path for change in item.fields],
                    "changes": [change.as_json() for change in item.fields],
                }
                for item in self.changed
            ],
        }


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {"directory": str(plan.directory), "stack": plan.stack, "phase": plan.phase}


def object_key(kind: str, namespace: str, name: str) -> str:
    """The key of an object: ``kind/namespace/name``, namespace empty if none."""
    return f"{kind}/{namespace}/{name}"


def load_plan(directory: Path) -> Plan:
    """Read every object of a plan directory.

    Raises:
        PlanDirectoryError: the directory is missing or has no ``plan.json``, or
            a file in it is unreadable, malformed, or repeats an object.
    """
    if not directory.exists():
        raise PlanDirectoryError(directory, "no such directory")
    if not directory.is_dir():
        raise PlanDirectoryError(directory, "not a directory")
    index_path = directory / INDEX_FILE
    if not index_path.is_file():
        raise PlanDirectoryError(
            directory,
            f"not a plan directory: no {INDEX_FILE} (write one with "
            "'ztkit plan --out DIR')",
        )

    index = _read_index(index_path)
    objects: dict[str, PlanObject] = {}
    files = sorted(
        path
        for path in directory.rglob("*")
        if path.suffix in MANIFEST_SUFFIXES and path.is_file()
    )
    for path in files:
        for item in _read_objects(path, path.relative_to(directory).as_posix()):
            earlier = objects.get(item.key)
            if earlier is not None:
                raise PlanDirectoryError(
                    path, f"{item.key} is already declared in {earlier.file}"
                )
            objects[item.key] = item

    stack = index.get("stack")
    phase = index.get("phase")
    return Plan(
        directory=directory,
        objects=objects,
        stack=stack if isinstance(stack, str) else None,
        phase=phase if isinstance(phase, int) and not isinstance(phase, bool) else None,
    )


def _read_index(path: Path) -> dict[str, Any]:
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanDirectoryError(path, f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PlanDirectoryError(
            path, f"not JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    if not isinstance(index, dict):
        raise PlanDirectoryError(path, "expected a JSON object (a ztkit plan index)")
    return index


def _read_objects(path: Path, relative: str) -> list[PlanObject]:
    try:
        text = path.read_text(encoding="utf-8")
        documents = list(yaml.load_all(text, Loader=InputLoader))
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanDirectoryError(path, f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise PlanDirectoryError(
            path,
            f"malformed YAML: {problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None

    objects = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        where = f"document {number}" if len(documents) > 1 else None
        objects.append(_plan_object(document, path, relative, where))
    return objects


def _plan_object(
    document: Any, path: Path, relative: str, where: str | None
) -> PlanObject:
    if not isinstance(document, dict):
        raise PlanDirectoryError(
            path,
            f"expected a Kubernetes object (a mapping), got {type(document).__name__}",
            field=where,
        )
    kind = document.get("kind")
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if not isinstance(kind, str) or not kind:
        raise PlanDirectoryError(
            path, f"kind: expected the object's kind, got {kind!r}", field=where
        )
    if not isinstance(name, str) or not name:
        raise PlanDirectoryError(
            path,
            f"metadata.name: expected the object's name, got {name!r}",
            field=where,
        )
    if namespace is not None and not isinstance(namespace, str):
        raise PlanDirectoryError(
            path, f"metadata.namespace: expected text, got {namespace!r}", field=where
        )
    return PlanObject(kind, namespace or "", name, document, relative)


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    """What differs between two plans, object by object."""
    added = [new.objects[key] for key in sorted(new.objects.keys() - old.objects)]
    removed = [old.objects[key] for key in sorted(old.objects.keys() - new.objects)]
    changed = []
    unchanged = 0
    for key in sorted(old.objects.keys() & new.objects.keys()):
        before, after = old.objects[key], new.objects[key]
        fields = diff_manifests(before.manifest, after.manifest, before.kind)
        if fields:
            changed.append(ObjectChange(before, after, tuple(fields)))
        else:
            unchanged += 1
    return PlanDiff(old, new, tuple(added), tuple(removed), tuple(changed), unchanged)


def diff_directories(old: Path, new: Path) -> PlanDiff:
    """Read two plan directories and compare them."""
    return diff_plans(load_plan(old), load_plan(new))


def diff_manifests(
    old: Mapping[str, Any], new: Mapping[str, Any], kind: str = ""
) -> list[FieldChange]:
    """The fields that differ between two versions of one object."""
    changes: list[FieldChange] = []
    _diff(old, new, (), changes)
    if kind != "Secret":
        return changes
    return [
        FieldChange(change.path, change.change, sensitive=True)
        if _starts_in(change.path, SECRET_FIELDS)
        else change
        for change in changes
    ]


def _starts_in(path: str, fields: Iterable[str]) -> bool:
    return any(
        path == name or path.startswith((f"{name}.", f"{name}[")) for name in fields
    )


def values_equal(old: Any, new: Any) -> bool:
    """Whether two values are the same, a redaction matching anything."""
    changes: list[FieldChange] = []
    _diff(old, new, (), changes)
    return not changes


def _diff(
    old: Any, new: Any, path: tuple[PathPart, ...], out: list[FieldChange]
) -> None:
    if _is_redacted(old) or _is_redacted(new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys(), key=str):
            # A key is text in the path, even a number: [7] is a list position.
            step = (*path, str(key))
            if key not in new:
                out.append(FieldChange(format_path(step), "removed", old=old[key]))
            elif key not in old:
                out.append(FieldChange(format_path(step), "added", new=new[key]))
            else:
                _diff(old[key], new[key], step, out)
        return
    if isinstance(old, list) and isinstance(new, list):
        _diff_lists(old, new, path, out)
        return
    if isinstance(old, str) and isinstance(new, str):
        if not _texts_equal(old, new):
            _diff_texts(old, new, path, out)
        return
    if not _scalars_equal(old, new):
        out.append(FieldChange(format_path(path), "changed", old=old, new=new))


def _diff_lists(
    old: list[Any], new: list[Any], path: tuple[PathPart, ...], out: list[FieldChange]
) -> None:
    matcher = SequenceMatcher(
        None,
        [_canonical(item) for item in old],
        [_canonical(item) for item in new],
        autojunk=False,
    )
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(old_end - old_start, new_end - new_start)
        for offset in range(paired):
            _diff(
                old[old_start + offset],
                new[new_start + offset],
                (*path, new_start + offset),
                out,
            )
        for index in range(old_start + paired, old_end):
            out.append(
                FieldChange(format_path((*path, index)), "removed", old=old[index])
            )
        for index in range(new_start + paired, new_end):
            out.append(
                FieldChange(format_path((*path, index)), "added", new=new[index])
            )


def _diff_texts(
    old: str, new: str, path: tuple[PathPart, ...], out: list[FieldChange]
) -> None:
    # A JSON document inside a text (a realm export, say) is compared field by
    # field: one changed redirect URI is one change, not a different blob.
    old_document, new_document = _json_document(old), _json_document(new)
    if old_document is not None and new_document is not None:
        _diff(old_document, new_document, (*path, JSON_TEXT), out)
        return
    out.append(FieldChange(format_path(path), "changed", old=old, new=new))


def _json_document(text: str) -> dict[str, Any] | list[Any] | None:
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, dict | list) else None


def _is_redacted(value: Any) -> bool:
    return isinstance(value, str) and value == REDACTED


def _texts_equal(old: str, new: str) -> bool:
    if old == new:
        return True
    return (REDACTED in old and _matches_redacted(old, new)) or (
        REDACTED in new and _matches_redacted(new, old)
    )


def _matches_redacted(pattern: str, text: str) -> bool:
    """Whether ``text`` is ``pattern`` with anything in place of each redaction."""
    first, *middle, last = pattern.split(REDACTED)
    if len(first) + len(last) > len(text):
        return False
    if not (text.startswith(first) and text.endswith(last)):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _scalars_equal(old: Any, new: Any) -> bool:
    # True == 1 in Python, but a flag that became a number is a change.
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and bool(old == new)
    if _is_number(old) and _is_number(new):
        return bool(old == new)
    return type(old) is type(new) and bool(old == new)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def format_path(parts: Iterable[PathPart]) -> str:
    """A field path as text: ``spec.containers[0].env[2].name``, keys that are
    not identifiers as JSON strings in brackets, ``(json)`` into a document."""
    text = ""
    for part in parts:
        if isinstance(part, _JsonText):
            text += "(json)"
        elif isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier() and part.isascii():
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(str(part))}]"
    return text


def group_by_app_and_phase(diff: PlanDiff) -> list[DiffGroup]:
    """The differences per app and phase: the labels of the new object, of the
    old one when it is removed. Sorted by phase, then shared first, then app."""
    groups: dict[tuple[str, str | None], DiffGroup] = {}

    def group_of(item: PlanObject) -> DiffGroup:
        key = (item.app, item.phase)
        if key not in groups:
            groups[key] = DiffGroup(item.app, item.phase)
        return groups[key]

    for item in diff.added:
        group_of(item).added.append(item)
    for item in diff.removed:
        group_of(item).removed.append(item)
    for change in diff.changed:
        group_of(change.new).changed.append(change)
    return sorted(groups.values(), key=_group_order)


def _group_order(group: DiffGroup) -> tuple[bool, int, str, bool, str]:
    phase = group.phase
    number = int(phase) if phase is not None and phase.isdigit() else -1
    return (phase is None, number, phase or "", group.app != SHARED_APP, group.app)
