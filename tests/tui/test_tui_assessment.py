"""Answering the questionnaire: the answers file changes and the scores follow."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Static

from assessment.answers import load_answers
from assessment.assess import run_assessment
from assessment.inventory import load_inventory
from assessment.maturity_model import Stage, load_model
from tests.tui.tui_helpers import SIZE, TODAY, press, settle, workbench


def comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def expected_overall(folder: Path) -> float:
    """The overall score of the files as they are on disk, assessed directly."""
    model = load_model()
    answers = load_answers(folder / "answers.yaml", model)
    inventory = load_inventory(folder / "inventory.yaml")
    return run_assessment(inventory, model, answers, today=TODAY).scores.overall_score


def test_answering_a_function_saves_it_and_updates_the_dashboard(
    organisation: Path,
) -> None:
    answers_path = organisation / "answers.yaml"
    before = answers_path.read_text()

    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.assessment is not None
            old_score = app.assessment.scores.overall_score

            # The first function shows its answer, the evidence and the conflict.
            await press(pilot, "a")
            status = str(app.screen.query_one("#function-status", Static).render())
            assert "Your answer Advanced · assessed Traditional" in status
            assert "evidence caps it at Traditional" in status
            evidence = str(app.screen.query_one("#evidence", Static).render())
            assert "✗ caps at Traditional" in evidence
            assert "[inventory]" in evidence

            # Down to Risk Assessments, answered Traditional, and answer Optimal.
            await press(pilot, "down", "down", "4")
            title = str(app.screen.query_one("#function-title", Static).render())
            assert title.startswith("1.3 Risk Assessments")

            after = answers_path.read_text()
            assert "  risk-assessments: {stage: optimal}\n" in after
            assert comment_lines(after) == comment_lines(before)
            assert len(after.splitlines()) == len(before.splitlines())
            answered = load_answers(answers_path, load_model())
            assert (
                answered.by_function["identity/risk-assessments"].stage is Stage.OPTIMAL
            )

            new_score = app.assessment.scores.overall_score
            assert new_score == expected_overall(organisation)
            assert new_score > old_score
            await press(pilot, "d")
            summary = str(app.screen.query_one("#summary", Static).render())
            assert f"{new_score:.2f} of 4" in summary

            # A note goes with the answer, which turns into a block.
            await press(pilot, "a", "n")
            await pilot.press(*"Board reviews it")
            await press(pilot, "enter")
            assert (
                "  risk-assessments:\n"
                "    stage: optimal\n"
                '    note: "Board reviews it"\n'
            ) in answers_path.read_text()
            answer = app.assessment.answers.by_function["identity/risk-assessments"]
            assert answer.note == "Board reviews it"

    asyncio.run(scenario())
