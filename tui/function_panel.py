"""One maturity function: its four stages to choose from, its evidence and a note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.stage_bars import stage_style

if TYPE_CHECKING:
    from assessment.evidence import EvidenceItem
    from assessment.maturity_model import StageDescriptions
    from assessment.scoring import FunctionResult

STAGE_IDS = ("traditional", "initial", "advanced", "optimal")


@dataclass(frozen=True)
class FunctionInfo:
    """What the maturity model says about one function."""

    key: str
    title: str
    """``1.1 Authentication · Identity``, or the capability's name."""
    stages: StageDescriptions


class FunctionPanel(VerticalScroll):
    """The selected function: pick its stage, read its evidence, write a note.

    Choosing a stage, or finishing a note, posts :class:`AnswerChosen`; the
    app saves it to the answers file and assesses again.
    """

    class AnswerChosen(Message):
        """The user chose a stage for a function, or changed its note."""

        def __init__(self, key: str, stage: str, note: str | None) -> None:
            super().__init__()
            self.key = key
            self.stage = stage
            self.note = note

    def __init__(self, *, id: str | None = None) -> None:
        """Create the panel, empty until :meth:`show` is called."""
        super().__init__(id=id)
        self.info: FunctionInfo | None = None
        self.result: FunctionResult | None = None

    def compose(self) -> ComposeResult:
        """Title, status, stages, evidence and the note."""
        yield Static(id="function-title")
        yield Static(id="function-status")
        stages = OptionList(id="stages")
        stages.border_title = "Stage: 1-4, or ↑↓ and Enter"
        yield stages
        evidence = Static(id="evidence")
        evidence.border_title = "Evidence"
        yield evidence
        note = Input(
            placeholder="A note on this answer; Enter saves it",
            id="note",
        )
        note.border_title = "Note"
        yield note

    def show(self, info: FunctionInfo, result: FunctionResult) -> None:
        """Show ``info`` with its assessed ``result``."""
        same_function = self.info is not None and self.info.key == info.key
        self.info, self.result = info, result
        self.query_one("#function-title", Static).update(
            Content.styled(info.title, "bold")
        )
        self.query_one("#function-status", Static).update(status(result))

        stages = self.query_one("#stages", OptionList)
        highlighted = stages.highlighted if same_function else None
        stages.set_options(stage_options(info, result))
        if highlighted is None:
            chosen = result.answered or result.stage
            highlighted = STAGE_IDS.index(chosen.id)
        stages.highlighted = highlighted

        self.query_one("#evidence", Static).update(evidence_text(result.evidence))
        note = self.query_one("#note", Input)
        if not (same_function and note.has_focus):
            note.value = result.note or ""

    def choose(self, index: int) -> None:
        """Answer the function with the stage at ``index`` (0 is Traditional)."""
        if self.info is None:
            return
        note = self.query_one("#note", Input).value
        self.post_message(self.AnswerChosen(self.info.key, STAGE_IDS[index], note))

    def focus_stages(self) -> None:
        """Put the keyboard on the stage list."""
        self.query_one("#stages").focus()

    def focus_note(self) -> None:
        """Put the keyboard on the note."""
        self.query_one("#note").focus()

    @on(OptionList.OptionSelected, "#stages")
    def _stage_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(event.option_index)

    @on(Input.Submitted, "#note")
    def _note_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save_note()

    @on(Input.Blurred, "#note")
    def _note_left(self, event: Input.Blurred) -> None:
        self._save_note()

    def _save_note(self) -> None:
        if self.info is None or self.result is None:
            return
        note = self.query_one("#note", Input).value.strip()
        if note == (self.result.note or ""):
            return
        if self.result.answered is None:
            self.notify(
                "Choose a stage first; the note is saved with it.",
                severity="warning",
            )
            return
        self.post_message(
            self.AnswerChosen(self.info.key, self.result.answered.id, note)
        )


def status(result: FunctionResult) -> Content:
    """Answered and assessed stages, and the conflict between answer and evidence."""
    answered = (
        Content.styled(result.answered.label, stage_style(result.answered.id))
        if result.answered
        else Content.styled("not answered", "$text-muted")
    )
    parts: list[Content | str] = [
        "Your answer ",
        answered,
        " · assessed ",
        Content.styled(result.stage.label, f"bold {stage_style(result.stage.id)}"),
    ]
    if result.conflict:
        parts += ["\n", Content.styled(f"⚠ {result.conflict}", "$text-warning")]
    return Content.assemble(*parts)


def stage_options(info: FunctionInfo, result: FunctionResult) -> list[Option]:
    """The four stages, each with its description and marks for answer and result."""
    options = []
    for number, stage_id in enumerate(STAGE_IDS, 1):
        marks = []
        if result.answered is not None and result.answered.id == stage_id:
            marks.append("● your answer")
        if result.stage.id == stage_id:
            marks.append("◆ assessed")
        heading = Content.assemble(
            (f"{number} {stage_id.capitalize()}", f"bold {stage_style(stage_id)}"),
            ("  " + " · ".join(marks) if marks else "", "italic"),
        )
        description = getattr(info.stages, stage_id)
        options.append(
            Option(Content.assemble(heading, "\n", Content(description)), id=stage_id)
        )
    return options


def evidence_text(items: list[EvidenceItem]) -> Content:
    """Each piece of evidence: pass or fail, the stage, the finding and its source."""
    if not items:
        return Content.styled(
            "No evidence for this function: the answer stands on its own.",
            "$text-muted",
        )
    lines = []
    for item in items:
        if item.status == "pass":
            verdict = Content.styled(f"✓ shows {item.stage.label}", "$text-success")
        else:
            verdict = Content.styled(f"✗ caps at {item.stage.label}", "$text-error")
        lines.append(
            Content.assemble(
                verdict,
                f" · {item.finding} ",
                Content.styled(f"[{item.source}]", "$text-muted"),
            )
        )
    return Content("\n").join(lines)
