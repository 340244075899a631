"""Horizontal bars of maturity scores, one per pillar or capability."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

MAX_SCORE = 4.0
PARTIAL_BLOCKS = " ▏▎▍▌▋▊▉"
"""Eighths of a cell, for the end of a bar."""
STAGE_STYLES = {
    "traditional": "$text-error",
    "initial": "$text-warning",
    "advanced": "$text-success",
    "optimal": "$text-primary",
}
RICH_STAGE_COLOURS = {
    "traditional": "red",
    "initial": "yellow",
    "advanced": "green",
    "optimal": "cyan",
}
"""Stage colours for Rich text (tree labels, table cells), which has no theme."""
LABEL_WIDTH_LIMIT = 27
SCORE_WIDTH = 18
"""Room for `` 2.14  Traditional`` after the bar."""


@dataclass(frozen=True)
class BarRow:
    """One bar: what it measures, its score and the stage that score reached."""

    label: str
    score: float
    stage_id: str
    stage_label: str
    heading: bool = False
    """A heading row has no bar: it names the rows below it."""


def stage_style(stage_id: str) -> str:
    """The colour a stage is drawn in."""
    return STAGE_STYLES.get(stage_id, "")


def bar(score: float, width: int, target: float | None = None) -> Content:
    """A bar ``width`` cells wide filled to ``score`` out of 4.

    The target score, when given and not yet reached, is marked with ``┊``.
    """
    if width <= 0:
        return Content("")
    filled = max(0.0, min(score, MAX_SCORE)) / MAX_SCORE * width
    full = int(filled)
    eighths = int((filled - full) * 8)
    cells = "█" * full
    if full < width and eighths:
        cells += PARTIAL_BLOCKS[eighths]
    track = ["·"] * (width - len(cells))
    if target is not None and target > score:
        position = min(width - 1, round(target / MAX_SCORE * width) - 1)
        if position >= len(cells):
            track[position - len(cells)] = "┊"
    return Content.assemble((cells, ""), ("".join(track), "$text-muted"))


class StageBars(Widget):
    """Maturity bars that fit the width they are given."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the widget, empty until :meth:`show` is called."""
        super().__init__(id=id)
        self.rows: list[BarRow] = []
        self.target: float | None = None

    def show(self, rows: list[BarRow], target: float | None = None) -> None:
        """Draw ``rows``, marking ``target`` on every bar."""
        self.rows = rows
        self.target = target
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One line per row."""
        return max(1, len(self.rows))

    def render(self) -> Content:
        """Every row: label, bar, score and stage."""
        if not self.rows:
            return Content("")
        label_width = min(
            LABEL_WIDTH_LIMIT, max(len(row.label) for row in self.rows) + 1
        )
        bar_width = max(4, self.size.width - label_width - SCORE_WIDTH)
        lines: list[Content] = []
        for row in self.rows:
            label = row.label[: label_width - 1].ljust(label_width)
            if row.heading:
                lines.append(Content.styled(row.label, "bold $text-muted"))
                continue
            style = stage_style(row.stage_id)
            lines.append(
                Content.assemble(
                    label,
                    bar(row.score, bar_width, self.target).stylize_before(style),
                    (f" {row.score:4.2f}  ", "bold"),
                    (row.stage_label, style),
                )
            )
        return Content("\n").join(lines)
