"""Where an object was read from, so that an error can point into its file."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assessment.document import FieldPath, format_path, locate_in
from assessment.reachability.errors import ManifestError, ReachabilityError


class ManifestFile:
    """One manifest file: its path, its text, and line numbers on demand.

    Files are parsed with the fast loader; the slower parse that records
    positions runs only when an error needs a line number.
    """

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._documents: list[Any] | None = None

    def locate(self, document: int, field: FieldPath) -> tuple[int | None, int | None]:
        """The 1-based line and column of ``field`` in the ``document``-th
        document, or of its nearest parent that exists."""
        if self._documents is None:
            self._documents = _parse_with_positions(self.text)
        if not 0 <= document < len(self._documents):
            return None, None
        return locate_in(self._documents[document], field)


@dataclass(frozen=True)
class ObjectSource:
    """One Kubernetes object inside a manifest file."""

    file: ManifestFile
    document: int
    """The object's document in the file, counting from 0."""
    prefix: tuple[str | int, ...] = ()
    """The object's path inside its document: ``("items", 3)`` in a List."""
    label: str = ""
    """The object as a reader names it, e.g. ``NetworkPolicy finance/allow-web``."""

    @property
    def path(self) -> Path:
        """The file the object came from."""
        return self.file.path

    def labelled(self, label: str) -> ObjectSource:
        """The same source, naming the object ``label`` in error messages."""
        return replace(self, label=label)

    def error(
        self,
        field: FieldPath,
        message: str,
        error_class: type[ReachabilityError] = ManifestError,
    ) -> ReachabilityError:
        """An error about ``field`` of this object, located in its file."""
        full = (*self.prefix, *field)
        line, column = self.file.locate(self.document, full)
        detail = f"{message} ({self.label})" if self.label else message
        return error_class(
            self.file.path,
            detail,
            line=line,
            column=column,
            field=format_path(full) or None,
        )


def _parse_with_positions(text: str) -> list[Any]:
    loader = YAML(typ="rt")
    try:
        return list(loader.load_all(text))
    except (YAMLError, ValueError, TypeError, RecursionError):
        return []
