"""``ztkit`` with no command, and ``ztkit tui``, open the workbench on the right files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE
from tui.app import Workbench
from ztkit import cli


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Workbench]:
    """The workbenches the command line would have run, instead of running them."""
    apps: list[Workbench] = []

    def record(self: Workbench) -> None:
        apps.append(self)

    monkeypatch.setattr(Workbench, "run", record)
    return apps


def test_no_command_opens_the_sample(opened: list[Workbench]) -> None:
    assert cli.main([]) == 0

    [app] = opened
    assert app.paths.inventory == SAMPLE / "inventory.yaml"
    assert app.paths.answers == SAMPLE / "answers.yaml"
    assert app.paths.history == SAMPLE / "history.json"
    assert app.paths.stacks_dir == ROOT / "stacks"


def test_tui_takes_the_files_like_assess(
    opened: list[Workbench], tmp_path: Path
) -> None:
    inventory = tmp_path / "inventory.yaml"
    answers = tmp_path / "elsewhere" / "answers.yaml"

    assert (
        cli.main(
            [
                "tui",
                "--inventory",
                str(inventory),
                "--answers",
                str(answers),
                "--stacks-dir",
                str(tmp_path / "stacks"),
            ]
        )
        == 0
    )

    [app] = opened
    assert app.paths.inventory == inventory
    assert app.paths.answers == answers
    assert app.paths.history == tmp_path / "history.json"
    assert app.paths.evidence_files() == []
    assert app.paths.stacks_dir == tmp_path / "stacks"


def test_help_still_works_and_other_commands_do_not_import_textual() -> None:
    script = (
        "import sys, contextlib, io\n"
        "from ztkit import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, "
        "contextlib.suppress(SystemExit):\n"
        "    cli.main(['--help'])\n"
        "assert 'tui' in out.getvalue(), out.getvalue()\n"
        "cli.main(['inventory', 'validate'])\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"
