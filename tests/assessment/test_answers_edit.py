"""Saving one answer at a time to the answers file."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from assessment import answers_edit
from assessment.answers import load_answers
from assessment.answers_edit import AnswersEditError, save_answer
from assessment.errors import AnswersError
from assessment.maturity_model import Stage, load_model
from tests.conftest import SAMPLE


def changed_lines(before: str, after: str) -> list[str]:
    """The lines removed and added, as a unified diff without its headers."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
    return [
        line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


@pytest.fixture
def answers_path(tmp_path: Path) -> Path:
    target = tmp_path / "answers.yaml"
    shutil.copy(SAMPLE / "answers.yaml", target)
    return target


def test_a_new_stage_changes_one_line(answers_path: Path) -> None:
    before = answers_path.read_text()

    answers = save_answer(answers_path, "devices/governance", Stage.ADVANCED, None)

    assert changed_lines(before, answers_path.read_text()) == [
        "-  governance: {stage: initial}",
        "+  governance: {stage: advanced}",
    ]
    assert answers.by_function["devices/governance"].stage is Stage.ADVANCED
    assert comments(answers_path.read_text()) == comments(before)


def test_a_note_turns_a_flow_entry_into_a_block(answers_path: Path) -> None:
    before = answers_path.read_text()

    save_answer(answers_path, "identity/governance", Stage.ADVANCED, "Board: monthly")

    assert changed_lines(before, answers_path.read_text()) == [
        "-  governance: {stage: initial}",
        "+  governance:",
        "+    stage: advanced",
        '+    note: "Board: monthly"',
    ]
    # The blank line before the next pillar stays after the new block.
    assert '    note: "Board: monthly"\n\ndevices:\n' in answers_path.read_text()


def test_the_note_is_replaced_and_a_blank_note_removes_it(answers_path: Path) -> None:
    save_answer(answers_path, "identity/authentication", Stage.ADVANCED, "Reviewed")
    text = answers_path.read_text()
    assert '  authentication:\n    stage: advanced\n    note: "Reviewed"\n' in text

    answers = save_answer(answers_path, "identity/authentication", Stage.OPTIMAL, "  ")

    assert "  authentication:\n    stage: optimal\n  identity-stores:" in (
        answers_path.read_text()
    )
    assert answers.by_function["identity/authentication"].note is None


def test_a_bare_stage_name_stays_bare(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("identity:\n  governance: initial   # from the workshop\n")

    save_answer(path, "identity/governance", Stage.ADVANCED, None)

    # The comment keeps its column.
    assert (
        path.read_text() == "identity:\n  governance: advanced  # from the workshop\n"
    )


def test_a_comment_after_an_entry_survives_its_new_note(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "identity:\n"
        "  governance: {stage: initial}   # agreed in March\n"
        "  # devices next\n"
        "\n"
        "devices:\n"
        "  governance: {stage: initial}\n"
    )

    save_answer(path, "identity/governance", Stage.INITIAL, "Quarterly review")

    assert path.read_text() == (
        "identity:\n"
        "  governance:\n"
        "    stage: initial\n"
        '    note: "Quarterly review"     # agreed in March\n'
        "  # devices next\n"
        "\n"
        "devices:\n"
        "  governance: {stage: initial}\n"
    )


def test_missing_entries_and_pillars_go_in_model_order(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "# Our answers.\n"
        "assessed_by: Security lead\n"
        "identity:\n"
        "  governance: {stage: initial}\n"
        "data:\n"
        "  governance: {stage: initial}\n"
    )

    save_answer(path, "identity/authentication", Stage.INITIAL, None)
    save_answer(path, "networks/governance", Stage.TRADITIONAL, None)
    save_answer(path, "cross_cutting/governance", Stage.ADVANCED, None)

    assert path.read_text() == (
        "# Our answers.\n"
        "assessed_by: Security lead\n"
        "identity:\n"
        "  authentication: {stage: initial}\n"
        "  governance: {stage: initial}\n"
        "networks:\n"
        "  governance: {stage: traditional}\n"
        "data:\n"
        "  governance: {stage: initial}\n"
        "cross_cutting:\n"
        "  governance: {stage: advanced}\n"
    )


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"

    save_answer(path, "devices/resource-access", Stage.INITIAL, "Posture on VPN")

    answers = load_answers(path, load_model())
    assert answers.by_function["devices/resource-access"].note == "Posture on VPN"


def test_an_unknown_function_is_named_with_a_suggestion(answers_path: Path) -> None:
    with pytest.raises(AnswersEditError, match=r"did you mean 'identity/governance'"):
        save_answer(answers_path, "identity/governanse", Stage.INITIAL, None)


def test_an_invalid_answers_file_is_left_as_it_was(answers_path: Path) -> None:
    broken = answers_path.read_text().replace(
        "risk-assessments: {stage: traditional}", "risk-assessments: {stage: expert}"
    )
    answers_path.write_text(broken)

    with pytest.raises(AnswersError) as caught:
        save_answer(answers_path, "identity/governance", Stage.ADVANCED, None)

    assert "the edit would make the file invalid" in str(caught.value)
    assert caught.value.path == answers_path
    assert caught.value.field == "identity.risk-assessments.stage"
    assert caught.value.line == 12
    assert answers_path.read_text() == broken


def test_a_file_changed_during_the_edit_is_not_overwritten(
    answers_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    someone_else = answers_path.read_text() + "# saved by someone else\n"
    real_load = answers_edit.load_answers

    def load_while_someone_saves(path: Path, model: object) -> object:
        answers_path.write_text(someone_else)
        return real_load(path, load_model())

    monkeypatch.setattr(answers_edit, "load_answers", load_while_someone_saves)

    with pytest.raises(AnswersEditError, match="changed on disk"):
        save_answer(answers_path, "identity/governance", Stage.ADVANCED, None)
    assert answers_path.read_text() == someone_else
