"""Errors raised while reading and assessing an organisation's files."""

from __future__ import annotations

from pathlib import Path


class AssessmentError(Exception):
    """Base class for every error the assessment package raises on purpose."""


class InputError(AssessmentError):
    """A file given by the user is unreadable, malformed or inconsistent.

    The message is one line: where (file, line, column), which field, the bad
    value and what would have been accepted.
    """

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.field = field
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        """The error as one line: ``file:line:column: field: message``."""
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.field:
            return f"{where}: {self.field}: {self.detail}"
        return f"{where}: {self.detail}"


class InventoryError(InputError):
    """The inventory file breaks the schema or refers to something undeclared."""


class AnswersError(InputError):
    """The answers file names an unknown function or stage."""


class EvidenceError(InputError):
    """An evidence file is malformed or maps to an unknown function."""


class StackFileError(InputError):
    """A Pulumi stack file cannot be read or updated."""


class HistoryError(InputError):
    """The assessment history file is malformed."""
