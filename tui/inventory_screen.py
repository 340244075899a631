"""The inventory: every application in a table, filtered as you type, and one in detail."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.app_table import CONTROLS_LEGEND, ApplicationTable, application_rows
from tui.application_detail import ApplicationDetail
from tui.workbench_screen import WorkbenchScreen

if TYPE_CHECKING:
    from assessment.assess import Assessment
    from assessment.risk import AppRisk


class InventoryScreen(WorkbenchScreen):
    """Applications with their classification, users, owner, controls and risk."""

    MODE = "inventory"
    AUTO_FOCUS = "#apps"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("r", "reverse", "Reverse"),
        Binding("e", "edit_controls", "Controls"),
        Binding("escape", "back_to_table", "Back to the table", show=False),
    ]

    def __init__(self) -> None:
        """Create the screen, empty until the first assessment arrives."""
        super().__init__()
        self._assessment: Assessment | None = None
        self._risks: dict[str, AppRisk] = {}

    def compose_body(self) -> ComposeResult:
        """The filter, the table with its status line, and the detail pane."""
        with Vertical(id="inventory-main"):
            yield Input(
                placeholder="/ to filter by id, name, owner, department or class",
                id="filter",
                compact=True,
            )
            yield ApplicationTable(id="apps")
            yield Static(id="table-status")
        yield ApplicationDetail(id="detail")

    @property
    def table(self) -> ApplicationTable:
        """The applications table."""
        return self.query_one(ApplicationTable)

    def show_assessment(self, assessment: Assessment) -> None:
        """Refill the table and the detail pane from ``assessment``."""
        self._assessment = assessment
        self._risks = {risk.app.id: risk for risk in assessment.risks}
        self.table.set_rows(application_rows(assessment.risks))
        self._show_detail(self.table.current_app_id)
        self._update_status()

    def show_app(self, app_id: str) -> None:
        """Put the cursor on ``app_id``, clearing the filter if it hides the app."""
        if not self.table.show_app(app_id):
            self.query_one("#filter", Input).value = ""
            self.table.filter_text = ""
            self.table.show_app(app_id)
        self.table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter the table as the user types."""
        self.table.filter_text = event.value
        self._update_status()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter moves to the table."""
        self.table.focus()

    def on_application_table_highlighted(
        self, event: ApplicationTable.Highlighted
    ) -> None:
        """Show the application under the cursor in the detail pane."""
        self._show_detail(event.app_id)

    def on_application_table_chosen(self, event: ApplicationTable.Chosen) -> None:
        """Enter on an application moves to its controls."""
        self.query_one(ApplicationDetail).focus_controls()

    def action_focus_filter(self) -> None:
        """Move to the filter."""
        self.query_one("#filter", Input).focus()

    def action_back_to_table(self) -> None:
        """Leave the filter or the controls for the table; a second press clears it."""
        filter_input = self.query_one("#filter", Input)
        if not self.table.has_focus:
            self.table.focus()
        elif filter_input.value:
            filter_input.value = ""

    def action_sort(self) -> None:
        """Sort by the next column."""
        keys = [column.key for column, _width in self.table.column_layout()]
        current = (
            keys.index(self.table.sort_column) if self.table.sort_column in keys else -1
        )
        self.table.sort_by(keys[(current + 1) % len(keys)])
        self._update_status()

    def action_reverse(self) -> None:
        """Reverse the order."""
        self.table.sort_by(self.table.sort_column, not self.table.sort_reverse)
        self._update_status()

    def action_edit_controls(self) -> None:
        """Move to the controls of the application under the cursor."""
        self.query_one(ApplicationDetail).focus_controls()

    def _show_detail(self, app_id: str | None) -> None:
        if self._assessment is None:
            return
        risk = self._risks.get(app_id) if app_id else None
        self.query_one(ApplicationDetail).show(risk, self._assessment.inventory)

    def _update_status(self) -> None:
        table = self.table
        order = "▼" if table.sort_reverse else "▲"
        self.query_one("#table-status", Static).update(
            f"{len(table.shown):,} of {len(self._risks):,} apps · "
            f"by {table.sort_column} {order} · {CONTROLS_LEGEND}"
        )
