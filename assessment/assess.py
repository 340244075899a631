"""One assessment: scores, risk, the next phase and the rollout estimate."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assessment.answers import Answers
from assessment.effort import RolloutEstimate, estimate
from assessment.evidence import CollectedEvidence, EvidenceItem, inventory_evidence
from assessment.inventory import Inventory
from assessment.maturity_model import MaturityModel, Stage
from assessment.planning import NextPhase, next_phase
from assessment.risk import AppRisk, assess_risk
from assessment.scoring import FunctionResult, PillarResult, Scores, score


@dataclass(frozen=True)
class Assessment:
    """Everything one run of the assessment found."""

    inventory: Inventory
    model: MaturityModel
    answers: Answers
    scores: Scores
    risks: list[AppRisk]
    next_phase: NextPhase
    rollout: RolloutEstimate
    evidence_files: list[CollectedEvidence]
    assessed_on: datetime.date

    @property
    def target_stage(self) -> Stage:
        """The stage the organisation aims for in every pillar."""
        return Stage.from_id(self.inventory.organisation.target_stage)

    @property
    def warnings(self) -> list[str]:
        """What the evidence files say their collectors could not check."""
        return [
            warning
            for collected in self.evidence_files
            for warning in collected.warnings
        ]

    @property
    def unanswered(self) -> list[str]:
        """Keys of the functions the answers file leaves out."""
        return [
            key
            for key in self.model.function_keys()
            if key not in self.answers.by_function
        ]

    def as_json(self) -> dict[str, Any]:
        """The assessment as a JSON-ready dict (the ``--format json`` output)."""
        organisation = self.inventory.organisation
        return {
            "organisation": {
                "name": organisation.name,
                "users": organisation.users,
                "applications": len(self.inventory.applications),
                "data_stores": len(self.inventory.data_stores),
            },
            "assessed_on": self.assessed_on.isoformat(),
            "assessed_by": self.answers.assessed_by,
            "model": {"name": self.model.model, "version": self.model.version},
            "target_stage": self.target_stage.id,
            "pillars": [_pillar_json(pillar) for pillar in self.scores.pillars],
            "cross_cutting": [
                _pillar_json(capability) for capability in self.scores.cross_cutting
            ],
            "overall": {
                "stage": self.scores.overall_stage.id,
                "score": self.scores.overall_score,
            },
            "conflicts": [
                {
                    "function": row.key,
                    "answered": row.answered.id if row.answered else None,
                    "stage": row.stage.id,
                    "message": row.conflict,
                }
                for row in self.scores.conflicts()
            ],
            "unanswered": self.unanswered,
            "apps": [_app_json(risk) for risk in self.risks],
            "next_phase": {
                "phase": self.next_phase.phase,
                "name": self.next_phase.name,
                "wave": self.next_phase.wave,
                "rationale": self.next_phase.rationale,
            },
            "rollout": _rollout_json(self.rollout),
            "evidence_sources": [
                {
                    "path": str(collected.path),
                    "collector": collected.collector,
                    "collected_at": collected.collected_at.isoformat(),
                    "scope": collected.scope,
                    "items": len(collected.items),
                }
                for collected in self.evidence_files
            ],
            "warnings": self.warnings,
        }


def _function_json(row: FunctionResult) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "stage": row.stage.id,
        "score": row.score,
        "answered": row.answered.id if row.answered else None,
        "note": row.note,
        "conflict": row.conflict,
        "evidence": [item.as_json() for item in row.evidence],
    }


def _pillar_json(pillar: PillarResult) -> dict[str, Any]:
    return {
        "id": pillar.id,
        "name": pillar.name,
        "stage": pillar.stage.id,
        "score": pillar.score,
        "functions": [_function_json(row) for row in pillar.functions],
    }


def _app_json(risk: AppRisk) -> dict[str, Any]:
    app = risk.app
    return {
        "id": app.id,
        "name": app.name,
        "department": app.department,
        "classification": app.classification,
        "users": app.users,
        "legacy": app.legacy,
        "risk": risk.risk,
        "crown_jewel": risk.crown_jewel,
        "phase": risk.phase,
        "dependents": risk.dependents,
        "missing_controls": list(risk.missing_controls),
    }


def _rollout_json(rollout: RolloutEstimate) -> dict[str, Any]:
    return {
        "hours": rollout.hours,
        "cost_usd": rollout.cost_usd,
        "budget_usd": rollout.budget_usd,
        "within_budget": rollout.within_budget,
        "budget_reaches_phase": rollout.budget_reaches,
        "months": rollout.months,
        "target_months": rollout.target_months,
        "within_timeline": rollout.within_timeline,
        "start": rollout.start.isoformat() if rollout.start else None,
        "finish": rollout.finish.isoformat() if rollout.finish else None,
        "next_wave_hours": rollout.wave_hours,
        "by_phase": [
            {
                "phase": item.phase,
                "name": item.name,
                "apps": item.apps,
                "hours": item.hours,
            }
            for item in rollout.by_phase
        ],
    }


def run_assessment(
    inventory: Inventory,
    model: MaturityModel,
    answers: Answers,
    evidence_files: Sequence[CollectedEvidence] = (),
    today: datetime.date | None = None,
) -> Assessment:
    """Assess ``inventory`` against ``model`` with the given answers and evidence."""
    evidence: list[EvidenceItem] = inventory_evidence(inventory)
    for collected in evidence_files:
        evidence.extend(collected.items)

    scores = score(model, answers, evidence)
    risks = assess_risk(inventory)
    recommended = next_phase(risks, inventory.organisation.wave_size)
    rollout = estimate(inventory, recommended.wave, recommended.phase)
    return Assessment(
        inventory=inventory,
        model=model,
        answers=answers,
        scores=scores,
        risks=risks,
        next_phase=recommended,
        rollout=rollout,
        evidence_files=list(evidence_files),
        assessed_on=answers.date or today or datetime.date.today(),
    )
