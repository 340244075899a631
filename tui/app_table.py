"""A table of applications that stays fast with thousands of them.

Textual's DataTable builds a row object per application; on a 5,000-app
inventory clearing and refilling it takes seconds, far too slow to do on
every keystroke of a filter. This table keeps the applications as a plain
list, filters and sorts that list, and draws only the lines on screen (the
Line API), so a keystroke costs a list comprehension and one repaint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

if TYPE_CHECKING:
    from assessment.risk import AppRisk

CONTROL_LETTERS = (
    ("sso", "S"),
    ("mfa", "M"),
    ("access_proxy", "P"),
    ("segmented", "N"),
    ("device_posture", "D"),
    ("access_logging", "L"),
)
"""The letter each control has in the Controls column; ``·`` when missing."""
CONTROLS_LEGEND = "S sso M mfa P proxy N segmented D device L logging"


@dataclass(frozen=True)
class Column:
    """One column: its key, header, width and how its cells line up."""

    key: str
    label: str
    width: int
    """Cells, or the minimum for a flexible column."""
    flexible: bool = False
    right: bool = False
    wide_only: bool = False
    """Shown only when the table is wider than :data:`WIDE`."""


COLUMNS: tuple[Column, ...] = (
    Column("id", "Application", 12, flexible=True),
    Column("name", "Name", 16, flexible=True, wide_only=True),
    Column("classification", "Class", 12),
    Column("users", "Users", 6, right=True),
    Column("owner", "Owner", 10, flexible=True),
    Column("controls", "Controls", 8),
    Column("risk", "Risk", 5, right=True),
)
WIDE = 100
MARKER_WIDTH = 2
"""Room for the crown-jewel marker before the id."""
ID_WIDTH_LIMIT = 28


@dataclass(frozen=True)
class ApplicationRow:
    """One application as the table shows, filters and sorts it."""

    app_id: str
    cells: dict[str, str]
    sort_keys: dict[str, Any]
    search_text: str
    """Lower-case id, name, owner, department, classification and namespace."""
    classification: str
    risk: float
    crown_jewel: bool


def controls_cell(controls: object) -> str:
    """The Controls column: a letter per control the app has, ``·`` per missing."""
    return "".join(
        letter if getattr(controls, name) else "·" for name, letter in CONTROL_LETTERS
    )


def application_rows(risks: Sequence[AppRisk]) -> list[ApplicationRow]:
    """A row per application, in the order given."""
    rows = []
    for risk in risks:
        app = risk.app
        controls = controls_cell(app.controls)
        rows.append(
            ApplicationRow(
                app_id=app.id,
                cells={
                    "id": app.id,
                    "name": app.name,
                    "classification": app.classification,
                    "users": f"{app.users:,}",
                    "owner": app.owner,
                    "controls": controls,
                    "risk": f"{risk.risk:.1f}",
                },
                sort_keys={
                    "id": app.id,
                    "name": app.name.lower(),
                    "classification": _CLASSIFICATION_ORDER.get(app.classification, 0),
                    "users": app.users,
                    "owner": app.owner.lower(),
                    "controls": controls.count("·"),
                    "risk": risk.risk,
                },
                search_text=" ".join(
                    (
                        app.id,
                        app.name,
                        app.owner,
                        app.department,
                        app.classification,
                        app.namespace,
                    )
                ).lower(),
                classification=app.classification,
                risk=risk.risk,
                crown_jewel=risk.crown_jewel,
            )
        )
    return rows


_CLASSIFICATION_ORDER = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


def matches(row: ApplicationRow, words: Sequence[str]) -> bool:
    """Whether every word of the filter occurs in the row's text."""
    return all(word in row.search_text for word in words)


class ApplicationTable(ScrollView, can_focus=True):
    """Applications in columns, with a cursor, filtering and sorting.

    The first line is the header; click a header to sort by that column,
    click it again to reverse the order.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "choose", "Edit controls", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "application-table--header",
        "application-table--sorted",
        "application-table--cursor",
        "application-table--cursor-blurred",
        "application-table--restricted",
        "application-table--confidential",
        "application-table--public",
        "application-table--high-risk",
        "application-table--medium-risk",
        "application-table--low-risk",
        "application-table--marker",
        "application-table--empty",
    }

    filter_text: reactive[str] = reactive("", init=False)
    """What the user typed: every word must occur in id, name, owner and so on."""
    cursor: reactive[int] = reactive(0, init=False)
    """Index of the highlighted row among the rows shown."""

    class Highlighted(Message):
        """The cursor moved to another application (``None``: nothing shown)."""

        def __init__(self, app_id: str | None) -> None:
            super().__init__()
            self.app_id = app_id

    class Chosen(Message):
        """Enter was pressed, or a row double-clicked, on an application."""

        def __init__(self, app_id: str) -> None:
            super().__init__()
            self.app_id = app_id

    def __init__(self, *, id: str | None = None) -> None:
        """Create an empty table; fill it with :meth:`set_rows`."""
        super().__init__(id=id)
        self._all: list[ApplicationRow] = []
        self.shown: list[ApplicationRow] = []
        """The rows that pass the filter, in the current order."""
        self.sort_column = "risk"
        self.sort_reverse = True
        self._announced: str | None = None
        self._id_width = 0
        self._layout: tuple[int, list[tuple[Column, int]]] | None = None

    # --- data ---------------------------------------------------------------

    def set_rows(self, rows: list[ApplicationRow]) -> None:
        """Show ``rows`` (sorted and filtered as before), keeping the cursor's app."""
        keep = self.current_app_id
        self._all = self._sorted(rows)
        self._id_width = max((cell_len(row.app_id) for row in rows), default=0)
        self._layout = None
        self._refilter(keep)

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        """Order the rows by ``column``; the default order is reversed on repeat."""
        if reverse is None:
            reverse = (
                not self.sort_reverse
                if column == self.sort_column
                else (column in ("risk", "users", "classification", "controls"))
            )
        self.sort_column, self.sort_reverse = column, reverse
        keep = self.current_app_id
        self._all = self._sorted(self._all)
        self._refilter(keep)

    def show_app(self, app_id: str) -> bool:
        """Move the cursor to ``app_id`` if it is shown; say whether it is."""
        for index, row in enumerate(self.shown):
            if row.app_id == app_id:
                self.cursor = index
                self._scroll_to_cursor(center=True)
                return True
        return False

    @property
    def current_app_id(self) -> str | None:
        """The application under the cursor."""
        if 0 <= self.cursor < len(self.shown):
            return self.shown[self.cursor].app_id
        return None

    def _sorted(self, rows: list[ApplicationRow]) -> list[ApplicationRow]:
        column = self.sort_column
        # Ties keep the id order, whichever way the column runs.
        by_id = sorted(rows, key=lambda row: row.app_id)
        return sorted(
            by_id, key=lambda row: row.sort_keys[column], reverse=self.sort_reverse
        )

    def watch_filter_text(self) -> None:
        self._refilter(self.current_app_id)

    def _refilter(self, keep: str | None) -> None:
        words = self.filter_text.lower().split()
        self.shown = (
            [row for row in self._all if matches(row, words)]
            if words
            else (list(self._all))
        )
        index = next((i for i, row in enumerate(self.shown) if row.app_id == keep), 0)
        self.set_reactive(ApplicationTable.cursor, index)
        self._resize_virtual()
        self._scroll_to_cursor()
        self.refresh()
        self._announce()

    def watch_cursor(self) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self._announce()

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self.shown) - 1))

    def _announce(self) -> None:
        current = self.current_app_id
        if current != self._announced:
            self._announced = current
            self.post_message(self.Highlighted(current))

    def _scroll_to_cursor(self, center: bool = False) -> None:
        visible = max(1, self.size.height - 1)
        top = round(self.scroll_y)
        if center:
            top = self.cursor - visible // 2
        elif self.cursor < top:
            top = self.cursor
        elif self.cursor >= top + visible:
            top = self.cursor - visible + 1
        self.scroll_to(y=max(0, top), animate=False, immediate=True)

    # --- actions and mouse ------------------------------------------------

    def action_cursor(self, step: int) -> None:
        """Move the cursor up or down."""
        self.cursor += step

    def action_page(self, direction: int) -> None:
        """Move the cursor a page up or down."""
        self.cursor += direction * max(1, self.size.height - 2)

    def action_first(self) -> None:
        """Move the cursor to the first row."""
        self.cursor = 0

    def action_last(self) -> None:
        """Move the cursor to the last row."""
        self.cursor = len(self.shown) - 1

    def action_choose(self) -> None:
        """Act on the application under the cursor."""
        if self.current_app_id is not None:
            self.post_message(self.Chosen(self.current_app_id))

    def on_click(self, event: events.Click) -> None:
        """Sort by a clicked header, or move the cursor to a clicked row."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                self.sort_by(column)
            return
        index = round(self.scroll_y) + offset.y - 1
        if 0 <= index < len(self.shown):
            self.cursor = index
            if event.chain == 2:
                self.action_choose()

    def on_resize(self) -> None:
        """Keep the virtual size in step with the width."""
        self._resize_virtual()
        self.refresh()

    def _resize_virtual(self) -> None:
        # As wide as the view, so the table never scrolls sideways; a line
        # per row plus the header.
        self.virtual_size = Size(
            self.scrollable_content_region.width, len(self.shown) + 1
        )

    def on_focus(self) -> None:
        """Show the cursor in its focused colours."""
        self.refresh()

    def on_blur(self) -> None:
        """Show the cursor in its unfocused colours."""
        self.refresh()

    # --- drawing ------------------------------------------------------------

    def column_layout(self) -> list[tuple[Column, int]]:
        """The columns shown at the current width, with the width of each."""
        width = self.scrollable_content_region.width
        if self._layout is None or self._layout[0] != width:
            self._layout = (width, self._fit_columns(width))
        return self._layout[1]

    def _fit_columns(self, width: int) -> list[tuple[Column, int]]:
        columns = [c for c in COLUMNS if not c.wide_only or width >= WIDE]
        fixed = sum(c.width for c in columns if not c.flexible)
        gaps = len(columns) - 1 + MARKER_WIDTH
        flexible = [c for c in columns if c.flexible]
        spare = max(0, width - fixed - gaps - sum(c.width for c in flexible))
        id_width = self._id_width
        widths: dict[str, int] = {}
        for column in flexible:
            widths[column.key] = column.width
        # The id column grows to its longest id first; the rest is shared.
        grow = min(spare, max(0, min(id_width, ID_WIDTH_LIMIT) - widths["id"]))
        widths["id"] += grow
        spare -= grow
        others = [c for c in flexible if c.key != "id"]
        for index, column in enumerate(others):
            share = spare // (len(others) - index)
            widths[column.key] += share
            spare -= share
        widths["id"] += spare
        return [(c, widths.get(c.key, c.width)) for c in columns]

    def _column_at(self, x: int) -> str | None:
        position = MARKER_WIDTH
        for column, width in self.column_layout():
            if position <= x < position + width + 1:
                return column.key
            position += width + 1
        return None

    def render_line(self, y: int) -> Strip:
        """The header on the first line, then the rows under the scroll offset."""
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base)
        index = round(self.scroll_y) + y - 1
        if index >= len(self.shown):
            if index == 0:
                message = f"  No application matches {self.filter_text!r}"
                style = base + self.get_component_rich_style("application-table--empty")
                return Strip([Segment(set_cell_size(message, width), style)], width)
            return Strip.blank(width, base)
        return self._row(self.shown[index], index == self.cursor, width, base)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("application-table--header")
        sorted_style = style + self.get_component_rich_style(
            "application-table--sorted"
        )
        segments = [Segment(" " * MARKER_WIDTH, style)]
        for column, column_width in self.column_layout():
            label = column.label
            if column.key == self.sort_column:
                label = ("▼" if self.sort_reverse else "▲") + label
            text = _fit(label, column_width, column.right)
            segments.append(
                Segment(text, sorted_style if column.key == self.sort_column else style)
            )
            segments.append(Segment(" ", style))
        return Strip(segments).adjust_cell_length(width, style)

    def _row(
        self, row: ApplicationRow, at_cursor: bool, width: int, base: Style
    ) -> Strip:
        if at_cursor:
            name = "cursor" if self.has_focus else "cursor-blurred"
            cursor = base + self.get_component_rich_style(f"application-table--{name}")
            segments = [Segment("◆ " if row.crown_jewel else "  ", cursor)]
            for column, column_width in self.column_layout():
                text = _fit(row.cells[column.key], column_width, column.right)
                segments += [Segment(text, cursor), Segment(" ", cursor)]
            return Strip(segments).adjust_cell_length(width, cursor)

        marker = base + self.get_component_rich_style("application-table--marker")
        segments = [Segment("◆ " if row.crown_jewel else "  ", marker)]
        for column, column_width in self.column_layout():
            text = _fit(row.cells[column.key], column_width, column.right)
            segments += [
                Segment(text, base + self._cell_style(row, column.key)),
                Segment(" ", base),
            ]
        return Strip(segments).adjust_cell_length(width, base)

    def _cell_style(self, row: ApplicationRow, column: str) -> Style:
        if column == "classification" and row.classification != "internal":
            return self.get_component_rich_style(
                f"application-table--{row.classification}"
            )
        if column == "risk":
            level = "high" if row.risk >= 60 else "medium" if row.risk >= 40 else "low"
            return self.get_component_rich_style(f"application-table--{level}-risk")
        return Style()


def _fit(text: str, width: int, right: bool) -> str:
    """``text`` cut or padded to exactly ``width`` cells."""
    if cell_len(text) > width:
        return set_cell_size(text[: max(0, width - 1)], width - 1) + "…"
    return text.rjust(width) if right else set_cell_size(text, width)
