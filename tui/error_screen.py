"""The screen shown instead of the workbench when an input file is bad."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from assessment.errors import (
    AnswersError,
    EvidenceError,
    HistoryError,
    InputError,
    InventoryError,
    StackFileError,
)
from tui.paths import display_path

EXCERPT_CONTEXT = 2
"""Lines of the file shown before and after the one at fault."""

_KINDS: tuple[tuple[type[InputError], str], ...] = (
    (InventoryError, "inventory"),
    (AnswersError, "answers file"),
    (EvidenceError, "evidence file"),
    (HistoryError, "history"),
    (StackFileError, "stack file"),
)


def source_excerpt(error: InputError) -> list[tuple[int, str]]:
    """The numbered lines around the one ``error`` points at (none if it names none).

    Reads the file, so call it from a worker.
    """
    if error.line is None:
        return []
    try:
        lines = error.path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    first = max(1, error.line - EXCERPT_CONTEXT)
    last = min(len(lines), error.line + EXCERPT_CONTEXT)
    return [(number, lines[number - 1]) for number in range(first, last + 1)]


def describe(error: InputError, excerpt: list[tuple[int, str]]) -> Content:
    """The error as a short report: what, file, line, field, problem, source."""
    kind = next((name for cls, name in _KINDS if isinstance(error, cls)), "input file")
    rows: list[tuple[str, str]] = [("File", display_path(error.path))]
    if error.line is not None:
        where = f"{error.line}"
        if error.column is not None:
            where += f", column {error.column}"
        rows.append(("Line", where))
    if error.field:
        rows.append(("Field", error.field))
    rows.append(("Problem", error.detail))

    parts: list[Content | str] = [
        Content.styled(f"The {kind} cannot be used\n\n", "bold $text-error"),
    ]
    for label, value in rows:
        parts += [Content.styled(f"{label:<8} ", "bold"), Content(value), "\n"]
    if excerpt:
        parts.append("\n")
        width = len(str(excerpt[-1][0]))
        for number, text in excerpt:
            at_fault = number == error.line
            marker = "→" if at_fault else " "
            line = Content(f"{marker} {number:>{width}} │ {text}\n")
            parts.append(line.stylize("bold $text-warning") if at_fault else line)
    parts.append(
        Content.styled(
            "\nFix the file and press Ctrl+R to read it again, or q to quit.", "dim"
        )
    )
    return Content.assemble(*parts)


class ErrorScreen(Screen[None]):
    """What is wrong with which file, line and field, and how to go on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "app.reload", "Reload", tooltip="Read every file again"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, error: InputError, excerpt: list[tuple[int, str]]) -> None:
        """Create the screen for ``error``, with the lines around it."""
        super().__init__()
        self.error = error
        self.excerpt = excerpt

    def compose(self) -> ComposeResult:
        """The report in a scrolling box, and the keys."""
        yield Static(" ztkit ", id="error-title")
        with VerticalScroll(id="error-body"):
            yield Static(describe(self.error, self.excerpt), id="error-report")
        yield Footer(compact=True)

    def show_error(self, error: InputError, excerpt: list[tuple[int, str]]) -> None:
        """Show another error (the file was read again and is still bad)."""
        self.error, self.excerpt = error, excerpt
        self.query_one("#error-report", Static).update(describe(error, excerpt))
