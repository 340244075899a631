"""Reading hand-written YAML and JSON files into validated models.

Files are parsed with ``yaml_loader.load_yaml``, which takes the compiled
yaml_rs fast path where that reads the text exactly as PyYAML would.
Positions are only needed when something is wrong, so the slower round-trip
parse that records them runs on the error path alone.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from assessment.errors import InputError
from assessment.yaml_loader import load_yaml

ModelT = TypeVar("ModelT", bound=BaseModel)
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_:.-]+")
FieldPath = Sequence[str | int]


def did_you_mean(value: object, known: Iterable[str]) -> str:
    """A hint naming the closest known value, or listing them when none is close."""
    choices = sorted(known)
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"expected one of {', '.join(choices)}"


def format_path(path: FieldPath) -> str:
    """Render a field path the way a reader of the file would write it.

    ``("applications", 3, "controls", "mfa")`` becomes
    ``applications[3].controls.mfa``.
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{str(part)!r}]"
    return text


class Document:
    """One input file: its text, parsed data and a way to point into it."""

    def __init__(
        self, path: Path, text: str, data: Any, error_class: type[InputError]
    ) -> None:
        self.path = path
        self.text = text
        self.data = data
        self.error_class = error_class
        self._tree: Any = None

    @classmethod
    def read(cls, path: Path | str, error_class: type[InputError]) -> Document:
        """Read and parse a YAML (or JSON) file.

        Raises:
            InputError: of ``error_class``, when the file is missing, not
                UTF-8, or not well-formed YAML.
        """
        path = Path(path)
        text = read_text(path, error_class)
        return cls(path, text, parse_yaml(path, text, error_class), error_class)

    def error(
        self, field: FieldPath, message: str, *, at_key: bool = False
    ) -> InputError:
        """Build an error for ``field``, located at its value (or its key)."""
        line, column = self.locate(field, at_key=at_key)
        return self.error_class(
            self.path, message, line=line, column=column, field=format_path(field)
        )

    def locate(
        self, field: FieldPath, *, at_key: bool = False
    ) -> tuple[int | None, int | None]:
        """The 1-based line and column of ``field``, or of its nearest parent."""
        if self._tree is None:
            self._tree = _parse_with_positions(self.text)
        return locate_in(self._tree, field, at_key=at_key)

    def validate(self, model: type[ModelT], data: Any = None) -> ModelT:
        """Validate the document (or ``data`` taken from it) against ``model``.

        Raises:
            InputError: of the document's error class, for the first problem
                in file order.
        """
        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            raise self._error_from(model, exc) from None

    def _error_from(self, model: type[BaseModel], exc: ValidationError) -> InputError:
        errors = exc.errors(include_url=False)
        located = [(self.locate(error["loc"]), error) for error in errors]
        located.sort(key=lambda item: (item[0][0] or 0, item[0][1] or 0))
        _, first = located[0]
        return self.error(
            first["loc"],
            describe_error(model, first),
            at_key=first["type"] == "extra_forbidden",
        )


def locate_in(
    node: Any, field: FieldPath, *, at_key: bool = False
) -> tuple[int | None, int | None]:
    """The 1-based line and column of ``field`` inside a round-trip parsed
    ``node``, or of its nearest parent that exists."""
    line, column = _start_of(node)
    for depth, part in enumerate(field):
        last = depth == len(field) - 1
        if isinstance(node, CommentedMap) and part in node:
            position = node.lc.key(part) if (last and at_key) else node.lc.value(part)
            node = node[part]
        elif (
            isinstance(node, CommentedSeq)
            and isinstance(part, int)
            and 0 <= part < len(node)
        ):
            position = node.lc.item(part)
            node = node[part]
        else:
            break
        line, column = position[0] + 1, position[1] + 1
    return line, column


def read_text(path: Path, error_class: type[InputError]) -> str:
    """Read a UTF-8 file, turning OS and decoding failures into one-line errors."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_class(path, "file not found") from None
    except IsADirectoryError:
        raise error_class(path, "is a directory, expected a file") from None
    except PermissionError:
        raise error_class(path, "permission denied") from None
    except UnicodeDecodeError as exc:
        raise error_class(path, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error_class(path, f"cannot read: {exc.strerror}") from None


def parse_yaml(path: Path, text: str, error_class: type[InputError]) -> Any:
    """Parse YAML with the input loader, turning syntax errors into one line."""
    try:
        return load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        if mark is None:
            raise error_class(path, f"malformed YAML: {problem}") from None
        raise error_class(
            path,
            f"malformed YAML: {problem}",
            line=mark.line + 1,
            column=mark.column + 1,
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        first_line = (
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        raise error_class(path, f"malformed YAML: {first_line}") from None


def parse_json(path: Path, text: str, error_class: type[InputError]) -> Any:
    """Parse JSON, reporting the line and column of a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error_class(
            path, f"malformed JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        raise error_class(path, "malformed JSON: nested too deeply") from None


def _parse_with_positions(text: str) -> Any:
    loader = YAML(typ="rt")
    try:
        return loader.load(text)
    except (YAMLError, ValueError, TypeError, RecursionError):
        return None


def _start_of(node: Any) -> tuple[int | None, int | None]:
    if isinstance(node, CommentedMap | CommentedSeq):
        return node.lc.line + 1, node.lc.col + 1
    return None, None


def describe_error(model: type[BaseModel], error: ErrorDetails) -> str:
    """Turn one pydantic error into a sentence naming the bad value and the rule."""
    kind = error["type"]
    value = error.get("input")
    context = error.get("ctx", {})
    loc = error["loc"]

    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        key = loc[-1]
        return f"unknown field {key!r}; {did_you_mean(key, allowed_fields(model, loc[:-1]))}"
    if kind == "union_tag_invalid":
        return (
            f"{context.get('tag')!r} is not allowed for {context.get('discriminator')}; "
            f"expected {context.get('expected_tags')}"
        )
    if kind == "union_tag_not_found":
        return f"{context.get('discriminator')} is missing; it says which kind this is"
    if kind in ("literal_error", "enum"):
        return f"{_short(value)} is not allowed; expected {context.get('expected', '')}"
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        if pattern.startswith("^[a-z0-9]"):
            return (
                f"{_short(value)} is not a valid name: use lower-case letters, digits "
                "and '-', starting and ending with a letter or digit (host names: "
                "such labels joined by '.')"
            )
        return f"{_short(value)} does not match {pattern!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{_short(value)} is not a whole number"
    if kind in ("float_type", "float_parsing"):
        return f"{_short(value)} is not a number"
    if kind in ("bool_type", "bool_parsing"):
        return f"{_short(value)} is not true or false"
    if kind in ("string_type",):
        return f"{_short(value)} is not text"
    if kind in ("list_type",):
        return f"{_short(value)} is not a list"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{_short(value)} is not a mapping of fields"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {
            "greater_than": f"greater than {context.get('gt')}",
            "greater_than_equal": f"at least {context.get('ge')}",
            "less_than": f"less than {context.get('lt')}",
            "less_than_equal": f"at most {context.get('le')}",
        }[kind]
        return f"{_short(value)} is out of range; must be {bound}"
    if kind in ("string_too_short", "too_short"):
        return f"{_short(value)} is empty; a value is required"
    if kind in ("string_too_long", "too_long"):
        return f"{_short(value)} is too long; at most {context.get('max_length')}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return f"{_short(value)} is not a date (YYYY-MM-DD)"
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    return f"{_short(value)}: {error['msg']}"


def _short(value: Any) -> str:
    if value is None:
        return "an empty value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def allowed_fields(model: type[BaseModel], loc: Sequence[str | int]) -> set[str]:
    """The field names accepted at ``loc`` inside ``model``."""
    annotation: Any = model
    for part in loc:
        annotation = _step_into(annotation, part)
        if annotation is None:
            return set()
    target = _model_in(annotation)
    if target is None:
        return set()
    return {field.alias or name for name, field in target.model_fields.items()}


def _step_into(annotation: Any, part: str | int) -> Any:
    tagged = _tagged_member(annotation, part)
    if tagged is not None:
        return tagged
    model = _model_in(annotation)
    if model is not None and isinstance(part, str):
        field = model.model_fields.get(part)
        return field.annotation if field else None
    for candidate in _alternatives(annotation):
        origin = typing.get_origin(candidate)
        arguments = typing.get_args(candidate)
        if origin in (list, tuple, Sequence) and arguments and isinstance(part, int):
            return arguments[0]
        if origin is dict and len(arguments) == 2 and isinstance(part, str):
            return arguments[1]
    return None


def _tagged_member(annotation: Any, tag: str | int) -> type[BaseModel] | None:
    """The member of a tagged union that pydantic names ``tag`` in an error location."""
    members = [
        candidate
        for candidate in _alternatives(annotation)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel)
    ]
    if len(members) < 2:
        return None
    for member in members:
        for field in member.model_fields.values():
            if typing.get_origin(
                field.annotation
            ) is typing.Literal and tag in typing.get_args(field.annotation):
                return member
    return None


def _alternatives(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(annotation)
    if origin is typing.Annotated:
        return (typing.get_args(annotation)[0],)
    return (annotation,)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in _alternatives(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None
