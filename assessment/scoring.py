"""Stages and scores per function, per pillar, per capability and overall.

The rules are written up in docs/assessment.md; in short:

- A function starts at its answered stage (Traditional when unanswered).
  Failing evidence caps it, passing evidence raises it, and any disagreement
  with the answer is recorded as a conflict, never dropped.
- A function scores its stage's value: Traditional 1, Initial 2, Advanced 3,
  Optimal 4. A pillar's score is the mean over all its rows; its stage is the
  stage that score has fully reached (2.9 is Initial).
- A model-wide capability takes its own answer; unanswered, it takes the mean
  of the matching rows in the five pillars.
- The overall score is the mean of the five pillar scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import fmean

from assessment.answers import Answers
from assessment.evidence import EvidenceItem
from assessment.maturity_model import CROSS_CUTTING, MaturityModel, Stage


@dataclass(frozen=True)
class FunctionResult:
    """The assessed stage of one function, with how it was reached."""

    key: str
    id: str
    name: str
    stage: Stage
    answered: Stage | None
    note: str | None
    evidence: list[EvidenceItem] = field(default_factory=list)
    conflict: str | None = None

    @property
    def score(self) -> float:
        """The function's score, the value of its stage."""
        return float(self.stage)


@dataclass(frozen=True)
class PillarResult:
    """One pillar, or one model-wide capability."""

    id: str
    name: str
    score: float
    functions: list[FunctionResult]

    @property
    def stage(self) -> Stage:
        """The stage the pillar's score has fully reached."""
        return Stage.from_score(self.score)


@dataclass(frozen=True)
class Scores:
    """Every score of one assessment."""

    pillars: list[PillarResult]
    cross_cutting: list[PillarResult]
    overall_score: float

    @property
    def overall_stage(self) -> Stage:
        """The stage the overall score has fully reached."""
        return Stage.from_score(self.overall_score)

    def conflicts(self) -> list[FunctionResult]:
        """Functions whose answer the evidence contradicts, in model order."""
        rows = [f for p in self.pillars for f in p.functions]
        rows += [f for c in self.cross_cutting for f in c.functions]
        return [row for row in rows if row.conflict]


def judge(
    key: str,
    id: str,
    name: str,
    answered: Stage | None,
    note: str | None,
    evidence: list[EvidenceItem],
) -> FunctionResult:
    """Combine one function's answer with its evidence."""
    floor_items = [item for item in evidence if item.status == "pass"]
    cap_items = [item for item in evidence if item.status == "fail"]
    floor = max((item.stage for item in floor_items), default=None)
    cap = min((item.stage for item in cap_items), default=None)
    start = answered or Stage.TRADITIONAL
    said = f"answered {answered.label}" if answered else "unanswered"

    if cap is not None and floor is not None and floor > cap:
        stage = min(start, cap)
        conflict = (
            f"evidence disagrees: {_first(floor_items, floor)} shows {floor.label}, "
            f"{_first(cap_items, cap)} caps it at {cap.label}; {said}, "
            f"scored {stage.label}"
        )
        return FunctionResult(key, id, name, stage, answered, note, evidence, conflict)

    if cap is not None and start > cap:
        conflict = (
            f"{said}, but evidence caps it at {cap.label}: {_first(cap_items, cap)}"
        )
        return FunctionResult(key, id, name, cap, answered, note, evidence, conflict)

    if floor is not None and start < floor:
        if answered is None:
            return FunctionResult(key, id, name, floor, answered, note, evidence)
        conflict = (
            f"{said}, but evidence shows at least {floor.label}: "
            f"{_first(floor_items, floor)}"
        )
        return FunctionResult(key, id, name, floor, answered, note, evidence, conflict)

    return FunctionResult(key, id, name, start, answered, note, evidence)


def _first(items: Iterable[EvidenceItem], stage: Stage) -> str:
    for item in items:
        if item.stage == stage:
            return f"{item.finding} [{item.source}]"
    return ""


def score(
    model: MaturityModel, answers: Answers, evidence: Iterable[EvidenceItem]
) -> Scores:
    """Score every function, pillar and capability of ``model``."""
    by_function: dict[str, list[EvidenceItem]] = defaultdict(list)
    for item in evidence:
        by_function[item.function].append(item)

    pillars: list[PillarResult] = []
    rows_by_capability: dict[str, list[float]] = defaultdict(list)
    for pillar in model.pillars:
        functions = []
        for function in pillar.functions:
            key = f"{pillar.id}/{function.id}"
            answer = answers.by_function.get(key)
            result = judge(
                key,
                function.id,
                function.name,
                answer.stage if answer else None,
                answer.note if answer else None,
                by_function[key],
            )
            functions.append(result)
            if function.kind == "cross_cutting":
                rows_by_capability[function.id].append(result.score)
        pillars.append(
            PillarResult(
                pillar.id,
                pillar.name,
                round(fmean(f.score for f in functions), 2),
                functions,
            )
        )

    capabilities: list[PillarResult] = []
    for capability in model.cross_cutting:
        key = f"{CROSS_CUTTING}/{capability.id}"
        answer = answers.by_function.get(key)
        result = judge(
            key,
            capability.id,
            capability.name,
            answer.stage if answer else None,
            answer.note if answer else None,
            by_function[key],
        )
        rows = rows_by_capability.get(capability.id, [])
        value = result.score if (answer or result.evidence or not rows) else fmean(rows)
        capabilities.append(
            PillarResult(capability.id, capability.name, round(value, 2), [result])
        )

    overall = round(fmean(p.score for p in pillars), 2)
    return Scores(pillars, capabilities, overall)
