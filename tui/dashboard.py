"""The dashboard: maturity per pillar, the top risks and the next phase at a glance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from tui.stage_bars import BarRow, StageBars, stage_style
from tui.workbench_screen import WorkbenchScreen

if TYPE_CHECKING:
    from assessment.assess import Assessment
    from assessment.risk import AppRisk

TOP_RISKS = 30
"""How many of the riskiest apps the dashboard lists (as many as fit are shown)."""
CLASSIFICATION_STYLES = {
    "restricted": "$text-error",
    "confidential": "$text-warning",
    "internal": "",
    "public": "$text-muted",
}


SHORT_CLASSIFICATIONS = {
    "restricted": "restr",
    "confidential": "conf",
    "internal": "int",
    "public": "pub",
}
NARROW_RISKS = 44
"""Below this width the risk list abbreviates classifications."""


def risk_style(risk: float) -> str:
    """The colour of a risk score: red from 60, amber from 40."""
    if risk >= 60:
        return "bold $text-error"
    if risk >= 40:
        return "$text-warning"
    return "$text-success"


class TopRisks(Widget):
    """The riskiest applications, one line each, as many as fit."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the list, empty until :meth:`show` is called."""
        super().__init__(id=id)
        self.risks: list[AppRisk] = []

    def show(self, risks: list[AppRisk]) -> None:
        """List ``risks`` (already ordered, highest first)."""
        self.risks = risks[:TOP_RISKS]
        self.refresh()

    def render(self) -> Content:
        """Marker, id, classification and risk, fitted to the width."""
        narrow = self.size.width < NARROW_RISKS
        class_width = 6 if narrow else 13
        id_width = max(6, self.size.width - class_width - 8)
        lines = []
        for risk in self.risks[: max(1, self.size.height)]:
            app = risk.app
            classification = (
                SHORT_CLASSIFICATIONS[app.classification]
                if narrow
                else app.classification
            )
            lines.append(
                Content.assemble(
                    ("◆ " if risk.crown_jewel else "  ", "$text-accent"),
                    app.id[:id_width].ljust(id_width),
                    (
                        f" {classification:<{class_width - 1}}",
                        CLASSIFICATION_STYLES.get(app.classification, ""),
                    ),
                    (f"{risk.risk:6.1f}", risk_style(risk.risk)),
                )
            )
        return Content("\n").join(lines)


class DashboardScreen(WorkbenchScreen):
    """Stage per pillar and capability, overall stage, top risks, next phase."""

    MODE = "dashboard"

    def compose_body(self) -> ComposeResult:
        """The summary, the maturity bars, then the top risks beside the next phase."""
        yield Static(id="summary")
        with Vertical(id="maturity-panel", classes="panel") as maturity:
            maturity.border_title = "Maturity by pillar"
            yield StageBars(id="maturity-bars")
        with Horizontal(id="lower-panels"):
            with Vertical(id="risk-panel", classes="panel") as risks:
                risks.border_title = "Top risks"
                risks.border_subtitle = "◆ crown jewel"
                yield TopRisks(id="top-risks")
            with VerticalScroll(id="next-panel", classes="panel") as next_phase:
                next_phase.border_title = "Next phase"
                yield Static(id="next-phase")

    def show_assessment(self, assessment: Assessment) -> None:
        """Fill every panel in from ``assessment``."""
        self.query_one("#summary", Static).update(summary(assessment))
        self.query_one(StageBars).show(
            maturity_rows(assessment), float(assessment.target_stage)
        )
        self.query_one(TopRisks).show(assessment.risks)
        next_phase = assessment.next_phase
        self.query_one(
            "#next-panel"
        ).border_title = f"Next: phase {next_phase.phase} · {next_phase.name}"
        self.query_one("#next-phase", Static).update(next_phase_text(assessment))


def summary(assessment: Assessment) -> Content:
    """Two lines: where the organisation stands overall, and what was assessed when."""
    inventory = assessment.inventory
    scores = assessment.scores
    stage = scores.overall_stage
    conflicts = len(scores.conflicts())
    unanswered = len(assessment.unanswered)
    parts: list[Content | str] = [
        Content.styled("Overall ", "bold"),
        Content.styled(stage.label, f"bold {stage_style(stage.id)}"),
        f" {scores.overall_score:.2f} of 4 · target {assessment.target_stage.label}",
    ]
    if conflicts:
        parts.append(Content.styled(f" · {conflicts} conflicts", "$text-warning"))
    if unanswered:
        parts.append(f" · {unanswered} unanswered")
    facts = (
        f"{len(inventory.applications):,} apps · "
        f"{inventory.organisation.users:,} users · "
        f"assessed {assessment.assessed_on.isoformat()}"
    )
    if assessment.answers.assessed_by:
        facts += f" by {assessment.answers.assessed_by}"
    parts += ["\n", Content.styled(facts, "$text-muted")]
    return Content.assemble(*parts)


def maturity_rows(assessment: Assessment) -> list[BarRow]:
    """A bar per pillar, then a heading and a bar per cross-cutting capability."""
    rows = [
        BarRow(
            short_name(pillar.name), pillar.score, pillar.stage.id, pillar.stage.label
        )
        for pillar in assessment.scores.pillars
    ]
    rows.append(BarRow("Cross-cutting", 0.0, "", "", heading=True))
    rows += [
        BarRow(short_name(item.name), item.score, item.stage.id, item.stage.label)
        for item in assessment.scores.cross_cutting
    ]
    return rows


def short_name(name: str) -> str:
    """A model name shortened for a bar label: ``and`` becomes ``&``."""
    return name.replace(" and ", " & ")


def next_phase_text(assessment: Assessment) -> Content:
    """The next phase's wave and what it and the whole rollout cost."""
    next_phase = assessment.next_phase
    rollout = assessment.rollout
    wave = ", ".join(next_phase.wave) or "no apps"
    rate = assessment.inventory.organisation.hourly_rate_usd
    return Content.assemble(
        (f"Wave of {len(next_phase.wave)}: ", "bold"),
        f"{wave}\n",
        ("Wave ", "bold"),
        f"≈ {rollout.wave_hours:,.0f} h, ${rollout.wave_hours * rate:,.0f}\n",
        ("Rollout ", "bold"),
        f"≈ {rollout.hours:,.0f} h, ${rollout.cost_usd:,.0f} "
        f"(budget ${rollout.budget_usd:,.0f}), "
        f"{rollout.months:.1f} of {rollout.target_months} months",
    )
