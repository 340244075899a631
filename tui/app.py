"""The security lead's workbench: the Textual app and the factory that builds it.

The app owns the organisation's files. It reads them in a worker thread once
the first screen is on show, re-assesses after every edit (again in a
worker), and hands each new assessment to the screens through the
``assessment`` attribute they watch. Screens ask for edits with messages
that bubble up to the app, which serialises the writes.

Only light modules are imported before the first paint: the assessment
package (pydantic models, YAML) is imported by the loading worker, and every
screen but the dashboard is imported when first shown.
"""

from __future__ import annotations

import datetime
import importlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen

from assessment.errors import InputError
from tui.commands import WorkbenchCommands
from tui.dashboard import DashboardScreen
from tui.error_screen import ErrorScreen, source_excerpt
from tui.paths import WorkspacePaths

if TYPE_CHECKING:
    from assessment.assess import Assessment
    from tui.application_detail import ApplicationDetail
    from tui.function_panel import FunctionPanel
    from tui.workspace import Workspace

SCREEN_KEYS = Binding.Group("screens", compact=True)


def _screen_factory(module: str, name: str) -> Callable[[], Screen[Any]]:
    """Build a screen from ``module`` only when its mode is first shown."""

    def make() -> Screen[Any]:
        screen_class: type[Screen[Any]] = getattr(importlib.import_module(module), name)
        return screen_class()

    return make


class Workbench(App[None]):
    """The security lead's workbench over one organisation's files."""

    CSS_PATH = "ztkit.tcss"
    TITLE = "ztkit"
    DEFAULT_MODE = "dashboard"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "dashboard": DashboardScreen,
        "inventory": _screen_factory("tui.inventory_screen", "InventoryScreen"),
        "assessment": _screen_factory("tui.assessment_screen", "AssessmentScreen"),
        "plan": _screen_factory("tui.plan_screen", "PlanScreen"),
        "history": _screen_factory("tui.history_screen", "HistoryScreen"),
    }
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    # Textual types this as an instance variable, so it takes no ClassVar here.
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-narrow"),
        (120, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "switch_mode('dashboard')", "Dashboard", group=SCREEN_KEYS),
        Binding("i", "switch_mode('inventory')", "Inventory", group=SCREEN_KEYS),
        Binding("a", "switch_mode('assessment')", "Assessment", group=SCREEN_KEYS),
        Binding("p", "switch_mode('plan')", "Plan", group=SCREEN_KEYS),
        Binding("h", "switch_mode('history')", "History", group=SCREEN_KEYS),
        Binding("ctrl+r", "reload", "Reload", tooltip="Read every file again"),
        Binding("q", "quit", "Quit"),
    ]

    assessment: var[Assessment | None] = var(None, always_update=True)
    """The latest assessment; ``None`` until the files have been read."""
    history: var[list[dict[str, Any]]] = var(list, always_update=True)
    """The saved assessments, oldest first."""
    history_problem: var[str | None] = var(None)
    """Why the history could not be read, if it could not."""

    class Loaded(Message):
        """The files were read and assessed."""

        def __init__(self, assessment: Assessment, note: str | None = None) -> None:
            super().__init__()
            self.assessment = assessment
            self.note = note

    class LoadFailed(Message):
        """An input file is missing, malformed or invalid."""

        def __init__(self, error: InputError, excerpt: list[tuple[int, str]]) -> None:
            super().__init__()
            self.error = error
            self.excerpt = excerpt

    class EditFailed(Message):
        """An edit was refused; the files are as they were."""

        def __init__(self, title: str, error: InputError) -> None:
            super().__init__()
            self.title = title
            self.error = error

    class HistoryRead(Message):
        """The history file was read (or found broken)."""

        def __init__(self, entries: list[dict[str, Any]], problem: str | None) -> None:
            super().__init__()
            self.entries = entries
            self.problem = problem

    def __init__(
        self, paths: WorkspacePaths, today: datetime.date | None = None
    ) -> None:
        """Create the workbench over the files at ``paths``.

        Args:
            paths: The organisation's files.
            today: The date an undated assessment is made on (tests fix it).
        """
        super().__init__()
        self.paths = paths
        self.today = today
        self._workspace: Workspace | None = None
        """What was read; touched only by workers, under ``_files_lock``."""
        self._files_lock = threading.Lock()
        """One reader or writer of the organisation's files at a time."""

    def on_mount(self) -> None:
        """Read the files once the first screen is on show."""
        self.call_after_refresh(self.load)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keep to the error screen while the files cannot be read."""
        if action == "switch_mode" and isinstance(self.screen, ErrorScreen):
            return None
        return True

    def action_reload(self) -> None:
        """Read every file again."""
        self.load()

    @work(thread=True, exclusive=True, group="files")
    def load(self) -> None:
        """Read and assess the files, then the history."""
        from tui.workspace import load_workspace

        with self._files_lock:
            try:
                workspace = load_workspace(self.paths)
                assessment = workspace.assess(self.today)
            except InputError as error:
                self.post_message(self.LoadFailed(error, source_excerpt(error)))
                return
            self._workspace = workspace
            self.post_message(self.Loaded(assessment))
        self.read_history()

    @work(thread=True, exclusive=True, group="history")
    def read_history(self) -> None:
        """Read the saved assessments."""
        from tui.workspace import read_history

        try:
            entries = read_history(self.paths)
        except InputError as error:
            self.post_message(self.HistoryRead([], str(error)))
            return
        self.post_message(self.HistoryRead(entries, None))

    @work(thread=True, group="edits")
    def save_answer(self, key: str, stage: str, note: str | None) -> None:
        """Save one answer, then assess again."""
        # TODO: the answers file's `date` stays as written, so the assessment
        # keeps that date (and a history entry saved now would too); whether
        # answering here should set it to today is a product decision.
        from assessment.answers_edit import save_answer
        from assessment.maturity_model import Stage

        with self._files_lock:
            workspace = self._workspace
            if workspace is None:
                return
            try:
                answers = save_answer(
                    self.paths.answers, key, Stage.from_id(stage), note, workspace.model
                )
            except InputError as error:
                self.post_message(self.EditFailed("Answer not saved", error))
                return
            self._workspace = workspace.with_answers(answers)
            assessment = self._workspace.assess(self.today)
            label = workspace.model.name_of(key)
            self.post_message(self.Loaded(assessment, f"Saved {label}: {stage}"))

    @work(thread=True, group="edits")
    def set_control(self, app_id: str, control: str, enabled: bool) -> None:
        """Turn one control of one application on or off, then assess again."""
        from assessment.inventory_edit import set_control

        with self._files_lock:
            workspace = self._workspace
            if workspace is None:
                return
            try:
                inventory = set_control(self.paths.inventory, app_id, control, enabled)
            except InputError as error:
                self.post_message(self.EditFailed("Inventory not changed", error))
                return
            self._workspace = workspace.with_inventory(inventory)
            assessment = self._workspace.assess(self.today)
            state = "on" if enabled else "off"
            self.post_message(self.Loaded(assessment, f"{app_id}: {control} {state}"))

    def on_workbench_loaded(self, message: Loaded) -> None:
        """Show the new assessment everywhere."""
        if isinstance(self.screen, ErrorScreen):
            self.pop_screen()
        self.assessment = message.assessment
        if message.note:
            self.notify(message.note, timeout=3)

    def on_workbench_load_failed(self, message: LoadFailed) -> None:
        """Show what is wrong with which file, instead of the screens."""
        if isinstance(self.screen, ErrorScreen):
            self.screen.show_error(message.error, message.excerpt)
        else:
            self.push_screen(ErrorScreen(message.error, message.excerpt))

    def on_workbench_edit_failed(self, message: EditFailed) -> None:
        """Say why, and put the screens back to what the files say."""
        self.notify(str(message.error), title=message.title, severity="error")
        self.assessment = self.assessment

    def on_workbench_history_read(self, message: HistoryRead) -> None:
        """Hand the history to the screens that show it."""
        self.history_problem = message.problem
        self.history = message.entries
        if message.problem:
            self.notify(message.problem, title="History not read", severity="warning")

    def on_application_detail_control_toggled(
        self, message: ApplicationDetail.ControlToggled
    ) -> None:
        """Write a control switched in the inventory screen."""
        self.set_control(message.app_id, message.control_name, message.enabled)

    def on_function_panel_answer_chosen(
        self, message: FunctionPanel.AnswerChosen
    ) -> None:
        """Write an answer given in the assessment screen."""
        self.save_answer(message.key, message.stage, message.note)

    async def jump_to_app(self, app_id: str) -> None:
        """Show one application in the inventory screen."""
        from tui.inventory_screen import InventoryScreen

        await self.switch_mode("inventory")
        if isinstance(self.screen, InventoryScreen):
            self.screen.show_app(app_id)

    async def jump_to_function(self, key: str) -> None:
        """Show one function (``pillar/function``) in the assessment screen."""
        from tui.assessment_screen import AssessmentScreen

        await self.switch_mode("assessment")
        if isinstance(self.screen, AssessmentScreen):
            self.screen.show_function(key)


def build_app(
    inventory_path: Path,
    answers_path: Path | None = None,
    *,
    evidence_paths: Sequence[Path] | None = None,
    history_path: Path | None = None,
    stacks_dir: Path | None = None,
    today: datetime.date | None = None,
) -> Workbench:
    """The workbench over an inventory and the files beside it.

    Args:
        inventory_path: The inventory file.
        answers_path: The answers file (default: answers.yaml beside the
            inventory; created by the first answer saved).
        evidence_paths: Evidence files (default: evidence/*.json beside the
            inventory).
        history_path: The saved assessments (default: history.json beside the
            inventory).
        stacks_dir: Where the Pulumi stack files are (default: the project's
            stacks/).
        today: The date an undated answers file is assessed on.
    """
    paths = WorkspacePaths.beside(
        Path(inventory_path),
        answers=answers_path,
        evidence=evidence_paths,
        history=history_path,
        stacks_dir=stacks_dir,
    )
    return Workbench(paths, today=today)
