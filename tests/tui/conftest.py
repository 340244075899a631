"""Fixtures for the workbench tests: an organisation in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, SAMPLE

TUI_DATA = DATA / "tui"


@pytest.fixture
def organisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample organisation (inventory and answers) in ``org/``.

    The working folder is the temporary folder, so paths on screen are short
    and the same on every run.
    """
    folder = tmp_path / "org"
    folder.mkdir()
    shutil.copy(SAMPLE / "inventory.yaml", folder)
    shutil.copy(SAMPLE / "answers.yaml", folder)
    (tmp_path / "stacks").mkdir()
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def with_history(organisation: Path) -> Path:
    """The sample organisation with three saved assessments."""
    shutil.copy(TUI_DATA / "history.json", organisation / "history.json")
    return organisation


@pytest.fixture
def dev_stack(organisation: Path) -> Path:
    """A dev stack file with comments and keys of its own."""
    path = organisation.parent / "stacks" / "Pulumi.dev.yaml"
    shutil.copy(TUI_DATA / "Pulumi.dev.yaml", path)
    return path
