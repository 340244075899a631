"""The trend: every saved assessment, its overall score as a bar, pillar by pillar."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Sparkline, Static

from assessment.errors import InputError
from tui.paths import display_path
from tui.stage_bars import RICH_STAGE_COLOURS, bar
from tui.workbench_screen import WorkbenchScreen

if TYPE_CHECKING:
    from assessment.assess import Assessment

BAR_WIDTH = 8
PILLAR_SHORT_NAMES = {
    "identity": "Ident",
    "devices": "Devic",
    "networks": "Netw",
    "applications-workloads": "Apps",
    "data": "Data",
}


class HistoryScreen(WorkbenchScreen):
    """Saved assessments, oldest first, with the overall score drawn as bars."""

    MODE = "history"
    AUTO_FOCUS = "#history-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "save", "Save this assessment"),
    ]

    def compose_body(self) -> ComposeResult:
        """The trend line, the sparkline and the table."""
        yield Static(id="trend-summary")
        yield Sparkline([], id="trend")
        table: DataTable[Any] = DataTable(id="history-table", cursor_type="row")
        yield table

    def on_mount(self) -> None:
        """Also follow the history (Textual runs the base class's handler too)."""
        self.watch(self.app, "history", self._history_changed, init=True)

    def _history_changed(self, entries: list[dict[str, Any]]) -> None:
        problem = self.workbench.history_problem
        scores = [float(entry["overall"].get("score", 0)) for entry in entries]
        sparkline = self.query_one("#trend", Sparkline)
        sparkline.data = scores
        sparkline.display = len(scores) >= 2
        self.query_one("#trend-summary", Static).update(
            trend_summary(entries, problem, display_path(self.workbench.paths.history))
        )
        self._fill_table(entries)

    def _fill_table(self, entries: list[dict[str, Any]]) -> None:
        table: DataTable[Any] = self.query_one("#history-table", DataTable)
        table.clear(columns=True)
        table.display = bool(entries)
        if not entries:
            return
        pillar_ids = [pillar["id"] for pillar in entries[-1]["pillars"]]
        table.add_columns(
            "Assessed",
            "Overall",
            "",
            "Stage",
            *(
                PILLAR_SHORT_NAMES.get(pillar_id, pillar_id[:5])
                for pillar_id in pillar_ids
            ),
            "Next phase",
            "Conflicts",
        )
        for entry in reversed(entries):
            overall = entry["overall"]
            score = float(overall.get("score", 0))
            stage_id = str(overall.get("stage", ""))
            pillars = {pillar["id"]: pillar for pillar in entry["pillars"]}
            next_phase = entry.get("next_phase") or {}
            colour = RICH_STAGE_COLOURS.get(stage_id, "")
            table.add_row(
                entry["assessed_on"],
                Text(f"{score:.2f}", justify="right"),
                Text(bar(score, BAR_WIDTH).plain, colour),
                Text(stage_id.capitalize(), colour),
                *(_pillar_cell(pillars.get(pillar_id)) for pillar_id in pillar_ids),
                f"{next_phase.get('phase', '?')} {next_phase.get('name', '')}".strip(),
                str(entry.get("conflicts", "")),
            )

    def action_save(self) -> None:
        """Add the current assessment to the history file."""
        assessment = self.workbench.assessment
        if assessment is not None:
            self._save(assessment)

    @work(thread=True, exclusive=True, group="history-save")
    def _save(self, assessment: Assessment) -> None:
        from assessment.history import append, summary

        path = self.workbench.paths.history
        entry = summary(assessment.as_json(), datetime.datetime.now(datetime.UTC))
        try:
            count = append(path, entry)
        except (InputError, OSError) as error:
            self.app.call_from_thread(
                self.notify, str(error), title="Not saved", severity="error"
            )
            return
        self.app.call_from_thread(
            self.notify, f"{count} assessments in {display_path(path)}", title="Saved"
        )
        self.app.call_from_thread(self.workbench.read_history)


def _pillar_cell(pillar: dict[str, Any] | None) -> Text:
    if pillar is None:
        return Text("")
    colour = RICH_STAGE_COLOURS.get(str(pillar.get("stage")), "")
    return Text(f"{float(pillar.get('score', 0)):.2f}", colour, justify="right")


def trend_summary(
    entries: list[dict[str, Any]], problem: str | None, history_path: str
) -> Content:
    """One or two lines on the trend, or on why there is none."""
    if problem:
        return Content.styled(f"The history cannot be read: {problem}", "$text-error")
    if not entries:
        return Content.assemble(
            ("No saved assessments yet", "bold"),
            f" in {history_path}.\nPress s to save this one, or run "
            "`ztkit assess --save`; the trend appears from the second.",
        )
    first = float(entries[0]["overall"].get("score", 0))
    last = float(entries[-1]["overall"].get("score", 0))
    change = last - first
    return Content.assemble(
        (f"{len(entries)} saved assessments", "bold"),
        f" from {entries[0]['assessed_on']} to {entries[-1]['assessed_on']}: overall ",
        f"{first:.2f} → {last:.2f} ",
        (
            f"({change:+.2f})",
            "$text-success" if change > 0 else "$text-error" if change < 0 else "",
        ),
        Content.styled(f" · {history_path}", "dim"),
    )
