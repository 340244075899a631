"""Reading an organisation's files and assessing them, away from the screen.

Everything here is slow on a large inventory (YAML parsing above all), so the
app calls it from worker threads. Nothing here imports Textual.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Any

from assessment.answers import Answers, load_answers
from assessment.assess import Assessment, run_assessment
from assessment.evidence import CollectedEvidence, load_evidence_file
from assessment.history import load_history
from assessment.inventory import Inventory, load_inventory
from assessment.maturity_model import MaturityModel, load_model
from tui.paths import WorkspacePaths


@dataclass(frozen=True)
class Workspace:
    """An organisation's files, read and validated."""

    paths: WorkspacePaths
    model: MaturityModel
    inventory: Inventory
    answers: Answers
    evidence: list[CollectedEvidence]

    def with_answers(self, answers: Answers) -> Workspace:
        """The same workspace after the answers file changed."""
        return replace(self, answers=answers)

    def with_inventory(self, inventory: Inventory) -> Workspace:
        """The same workspace after the inventory file changed."""
        return replace(self, inventory=inventory)

    def assess(self, today: datetime.date | None = None) -> Assessment:
        """Run the assessment on what was read."""
        return run_assessment(
            self.inventory, self.model, self.answers, self.evidence, today=today
        )


def load_workspace(paths: WorkspacePaths) -> Workspace:
    """Read and validate every file of the workspace.

    Raises:
        InputError: for the first file that is missing, malformed or invalid.
    """
    model = load_model()
    inventory = load_inventory(paths.inventory)
    answers = (
        load_answers(paths.answers, model) if paths.answers.exists() else Answers()
    )
    evidence = [load_evidence_file(path, model) for path in paths.evidence_files()]
    return Workspace(paths, model, inventory, answers, evidence)


def read_history(paths: WorkspacePaths) -> list[dict[str, Any]]:
    """The saved assessments, oldest first.

    Raises:
        HistoryError: when the history file is not a ztkit history.
    """
    return load_history(paths.history)
