"""The plan: the next phase and wave, why, what it costs, and writing it to a stack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from assessment.errors import InputError
from tui.confirm_dialog import ConfirmDialog
from tui.paths import display_path
from tui.resource_plan import ResourcePlan, render_resource_plan
from tui.workbench_screen import WorkbenchScreen

if TYPE_CHECKING:
    from assessment.assess import Assessment

DEFAULT_STACK = "dev"
RICH_CLASSIFICATION_STYLES = {
    "restricted": "red",
    "confidential": "yellow",
    "internal": "",
    "public": "dim",
}
"""The wave table's cells are Rich text, so they name plain colours."""
STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PlanScreen(WorkbenchScreen):
    """The recommended next phase and wave, with a key to write them to a stack."""

    MODE = "plan"
    AUTO_FOCUS = "#plan"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "write_stack", "Write to stack"),
        Binding("k", "focus_stack", "Stack name"),
        Binding("r", "render_resources", "Render resources"),
    ]

    class ResourcesRendered(Message):
        """``ztkit plan`` finished: the counts, or why there are none."""

        def __init__(self, phase: int, result: ResourcePlan | str) -> None:
            super().__init__()
            self.phase = phase
            self.result = result

    class StackRead(Message):
        """The stack file was read: what it says now, and what it would say."""

        def __init__(
            self, path: Path, old: tuple[Any, Any], new: tuple[int, list[str]]
        ) -> None:
            super().__init__()
            self.path = path
            self.old = old
            self.new = new

    def compose_body(self) -> ComposeResult:
        """The phase, its wave, the rationale, the effort and the stack row."""
        with VerticalScroll(id="plan"):
            yield Static(id="plan-heading")
            wave: DataTable[Any] = DataTable(
                id="wave", cursor_type="none", zebra_stripes=True
            )
            wave.can_focus = False
            wave.border_title = "Wave"
            wave.border_subtitle = "◆ crown jewel"
            yield wave
            rationale = Static(id="rationale", classes="plan-box")
            rationale.border_title = "Why this phase and wave"
            yield rationale
            effort = Static(id="effort", classes="plan-box")
            effort.border_title = "Effort"
            yield effort
            deploys = Static(id="deploys", classes="plan-box")
            deploys.border_title = "What it deploys"
            yield deploys
        with Horizontal(id="stack-row"):
            yield Label("Stack ", id="stack-label")
            yield Input(DEFAULT_STACK, id="stack", compact=True, max_length=60)
            yield Static(id="stack-hint")

    def show_assessment(self, assessment: Assessment) -> None:
        """Fill the plan in from ``assessment``."""
        from assessment.planning import PHASES

        next_phase = assessment.next_phase
        phase = PHASES[next_phase.phase]
        self.query_one("#plan-heading", Static).update(
            Content.assemble(
                (f"Phase {phase.number} · {phase.name}", "bold $text-accent"),
                f" — deploys {phase.deploys}.",
            )
        )
        self._fill_wave(assessment)
        self.query_one("#rationale", Static).update(
            Content("\n").join(Content(f"• {line}") for line in next_phase.rationale)
        )
        self.query_one("#effort", Static).update(effort_text(assessment))
        self.query_one("#deploys", Static).update(deploys_text(next_phase.phase))
        self._update_hint()

    def action_render_resources(self) -> None:
        """Render the phase and wave with ``ztkit plan`` against the chosen stack."""
        assessment = self.workbench.assessment
        if assessment is None:
            return
        phase = assessment.next_phase.phase
        self.query_one("#deploys", Static).update(
            deploys_text(
                phase, f"Rendering stack {self._stack_name()!r} with ztkit plan…"
            )
        )
        self._render_resources(
            self._stack_name(), phase, list(assessment.next_phase.wave)
        )

    @work(thread=True, exclusive=True, group="resources")
    def _render_resources(self, stack: str, phase: int, wave: list[str]) -> None:
        result = render_resource_plan(
            self.workbench.paths.stacks_dir, stack, phase, wave
        )
        self.post_message(self.ResourcesRendered(phase, result))

    def on_plan_screen_resources_rendered(self, message: ResourcesRendered) -> None:
        """Show what the render holds."""
        self.query_one("#deploys", Static).update(
            deploys_text(message.phase, message.result)
        )

    def _fill_wave(self, assessment: Assessment) -> None:
        table: DataTable[Any] = self.query_one("#wave", DataTable)
        table.clear(columns=True)
        table.add_columns("App", "Class", "Users", "Risk", "Name")
        risks = {risk.app.id: risk for risk in assessment.risks}
        for app_id in assessment.next_phase.wave:
            risk = risks[app_id]
            app = risk.app
            table.add_row(
                Text.assemble(("◆ " if risk.crown_jewel else "  ", "yellow"), app.id),
                Text(
                    app.classification, RICH_CLASSIFICATION_STYLES[app.classification]
                ),
                Text(f"{app.users:,}", justify="right"),
                Text(
                    f"{risk.risk:.1f}",
                    "bold" if risk.risk >= 60 else "",
                    justify="right",
                ),
                app.name,
                key=app.id,
            )

    def on_input_changed(self, event: Input.Changed) -> None:
        """Say which file the stack name stands for."""
        self._update_hint()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the stack name writes to it."""
        self.action_write_stack()

    def action_focus_stack(self) -> None:
        """Move to the stack name."""
        self.query_one("#stack", Input).focus()

    def action_write_stack(self) -> None:
        """Read the stack file, then ask before writing phase and wave into it."""
        assessment = self.workbench.assessment
        if assessment is None:
            return
        name = self._stack_name()
        if not STACK_NAME.match(name):
            self.notify(
                f"{name!r} is not a stack name: use letters, digits, '-', '_' and '.'",
                severity="error",
            )
            return
        path = self.workbench.paths.stacks_dir / f"Pulumi.{name}.yaml"
        new = (assessment.next_phase.phase, list(assessment.next_phase.wave))
        self._read_stack(path, new)

    @work(thread=True, exclusive=True, group="stack")
    def _read_stack(self, path: Path, new: tuple[int, list[str]]) -> None:
        try:
            old = current_phase_and_wave(path)
        except InputError as error:
            self.app.call_from_thread(
                self.notify, str(error), title="Stack not written", severity="error"
            )
            return
        self.post_message(self.StackRead(path, old, new))

    def on_plan_screen_stack_read(self, message: StackRead) -> None:
        """Show the change and write it if the user agrees."""
        phase, wave = message.new

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._write_stack(message.path, phase, wave)

        self.app.push_screen(
            ConfirmDialog(
                f"Write {display_path(message.path)}?",
                stack_change(message.old, message.new, message.path.exists()),
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="stack")
    def _write_stack(self, path: Path, phase: int, wave: list[str]) -> None:
        from assessment.stack_file import set_phase_and_wave

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            set_phase_and_wave(path, phase, wave)
        except (InputError, OSError) as error:
            self.app.call_from_thread(
                self.notify, str(error), title="Stack not written", severity="error"
            )
            return
        self.app.call_from_thread(
            self.notify,
            f"ztkit:phase {phase} and a wave of {len(wave)} apps",
            title=f"Wrote {display_path(path)}",
        )

    def _stack_name(self) -> str:
        return self.query_one("#stack", Input).value.strip() or DEFAULT_STACK

    def _update_hint(self) -> None:
        path = self.workbench.paths.stacks_dir / f"Pulumi.{self._stack_name()}.yaml"
        self.query_one("#stack-hint", Static).update(
            Content.styled(f" w writes phase and wave to {display_path(path)}", "dim")
        )


def current_phase_and_wave(path: Path) -> tuple[Any, Any]:
    """``ztkit:phase`` and ``ztkit:wave`` as the stack file has them now.

    Raises:
        StackFileError: when the file exists but is not a stack file.
    """
    from assessment.document import parse_yaml, read_text
    from assessment.errors import StackFileError
    from assessment.stack_file import PROJECT

    if not path.exists():
        return None, None
    data = parse_yaml(path, read_text(path, StackFileError), StackFileError)
    config = data.get("config") if isinstance(data, dict) else None
    if data is not None and not isinstance(data, dict):
        raise StackFileError(path, "a stack file must be a mapping with a 'config' key")
    if not isinstance(config, dict):
        return None, None
    return config.get(f"{PROJECT}:phase"), config.get(f"{PROJECT}:wave")


def stack_change(
    old: tuple[Any, Any], new: tuple[int, list[str]], exists: bool
) -> Content:
    """The change to a stack file, old value to new, one key a line."""
    old_phase, old_wave = old
    new_phase, new_wave = new

    def wave_text(wave: Any) -> str:
        if wave is None:
            return "unset"
        if isinstance(wave, list):
            return "[" + ", ".join(str(item) for item in wave) + "]"
        return repr(wave)

    lines = [
        Content.assemble(
            ("ztkit:phase  ", "bold"),
            ("unset" if old_phase is None else str(old_phase), "$text-muted"),
            " → ",
            (str(new_phase), "bold $text-success"),
        ),
        Content.assemble(
            ("ztkit:wave   ", "bold"),
            (wave_text(old_wave), "$text-muted"),
            "\n          → ",
            (wave_text(new_wave), "bold $text-success"),
        ),
        Content.styled(
            "Every other key and comment stays as it is."
            if exists
            else "The file does not exist yet; it is created with these two keys.",
            "dim",
        ),
    ]
    return Content("\n").join(lines)


def effort_text(assessment: Assessment) -> Content:
    """The wave's hours and cost, then the whole rollout against budget and time."""
    rollout = assessment.rollout
    rate = assessment.inventory.organisation.hourly_rate_usd
    budget = "within" if rollout.within_budget else "over"
    timeline = "within" if rollout.within_timeline else "beyond"
    lines = [
        Content.assemble(
            ("This wave ", "bold"),
            f"≈ {rollout.wave_hours:,.0f} engineering hours, "
            f"${rollout.wave_hours * rate:,.0f} at ${rate:,.0f}/h",
        ),
        Content.assemble(
            ("The rest of the rollout ", "bold"),
            f"≈ {rollout.hours:,.0f} h, ${rollout.cost_usd:,.0f} ",
            (
                f"({budget} the ${rollout.budget_usd:,.0f} budget)",
                "$text-success" if rollout.within_budget else "$text-error",
            ),
            f", {rollout.months:.1f} months ",
            (
                f"({timeline} the {rollout.target_months}-month target)",
                "$text-success" if rollout.within_timeline else "$text-error",
            ),
        ),
    ]
    if rollout.finish is not None:
        lines.append(Content(f"Finishes around {rollout.finish.isoformat()}"))
    for item in rollout.by_phase:
        if item.apps:
            lines.append(
                Content(
                    f"  phase {item.phase} {item.name:<9} {item.apps:>5,} apps "
                    f"{item.hours:>9,.0f} h"
                )
            )
    return Content("\n").join(lines)


def deploys_text(
    phase_number: int, resources: ResourcePlan | str | None = None
) -> Content:
    """What the phase deploys: its description, then the rendered objects when
    ``ztkit plan`` has run (or why it could not)."""
    from assessment.planning import PHASES

    phase = PHASES[phase_number]
    controls = ", ".join(phase.controls) or "none"
    lines = [
        Content(
            f"Phase {phase.number} deploys {phase.deploys}; each app in the wave "
            f"gains the controls: {controls}."
        )
    ]
    if resources is None:
        lines.append(
            Content.styled(
                "Press r to render every Kubernetes object it adds "
                "(ztkit plan on the stack below).",
                "italic $text-muted",
            )
        )
    elif isinstance(resources, str):
        lines.append(Content.styled(resources, "italic $text-warning"))
    else:
        kinds = ", ".join(
            f"{count} {kind}" for kind, count in resources.by_kind.items()
        )
        lines.append(
            Content(f"Stack {resources.stack}: {resources.total} objects: {kinds}.")
        )
        for app, count in resources.by_app.items():
            lines.append(Content(f"  {app:<28} {count:>4} objects"))
        lines += [
            Content.styled(f"warning: {w}", "$text-warning") for w in resources.warnings
        ]
    return Content("\n").join(lines)
