"""Reading the answers file."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from assessment.answers import load_answers
from assessment.errors import AnswersError
from assessment.maturity_model import Stage, load_model
from tests.conftest import SAMPLE


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return path


def test_sample_answers_cover_every_function() -> None:
    model = load_model()

    answers = load_answers(SAMPLE / "answers.yaml", model)

    assert set(answers.by_function) == set(model.function_keys())
    assert answers.date == datetime.date(2026, 11, 30)
    assert answers.by_function["identity/authentication"].stage is Stage.ADVANCED


def test_short_and_long_forms(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "identity:\n  authentication: initial\n"
        "  governance: {stage: Advanced, note: reviewed yearly}\n"
        "cross_cutting:\n  governance: {stage: optimal}\n",
    )

    answers = load_answers(path, load_model()).by_function

    assert answers["identity/authentication"].stage is Stage.INITIAL
    assert answers["identity/governance"].note == "reviewed yearly"
    assert answers["identity/governance"].stage is Stage.ADVANCED
    assert answers["cross_cutting/governance"].stage is Stage.OPTIMAL


def test_empty_file_means_nothing_answered(tmp_path: Path) -> None:
    assert (
        load_answers(_write(tmp_path, "# nothing yet\n"), load_model()).by_function
        == {}
    )


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "identiy:\n  authentication: initial\n",
            ":1:1: identiy",
            "unknown pillar 'identiy'; did you mean 'identity'?",
        ),
        (
            "identity:\n  authentcation: initial\n",
            ":2:3: identity.authentcation",
            "unknown function of identity 'authentcation'; did you mean 'authentication'?",
        ),
        (
            "identity:\n  authentication: {stage: expert}\n",
            ":2:27: identity.authentication.stage",
            "'expert' is not a stage; expected one of traditional, initial, advanced, optimal",
        ),
        (
            "identity:\n  authentication: {note: x}\n",
            ":2:19: identity.authentication",
            "required field 'stage' is missing",
        ),
        (
            "identity:\n  authentication: {stage: initial, notes: x}\n",
            ":2:36: identity.authentication.notes",
            "did you mean 'note'?",
        ),
        ("date: next week\n", ":1:7: date", "'next week' is not a date"),
        ("identity: [initial]\n", ":1:11: identity", "is not a mapping"),
    ],
)
def test_errors_point_at_the_answer(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(AnswersError) as caught:
        load_answers(path, load_model())

    assert str(caught.value).startswith(f"{path}{where}: ")
    assert message in str(caught.value)
