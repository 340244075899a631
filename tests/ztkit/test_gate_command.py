"""``ztkit gate``: serve hands over to the gate's own command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from ztkit.cli import main


def test_gate_serve_passes_every_argument_to_the_gate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["gate", "serve", "--help"])

    assert exited.value.code == 0
    assert "--config" in capsys.readouterr().out


def test_gate_serve_with_a_missing_configuration_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.yaml"

    code = main(["gate", "serve", "--config", str(missing), "--port", "0"])

    error = capsys.readouterr().err
    assert code == 2
    assert str(missing) in error
    assert "Traceback" not in error


def test_python_dash_m_gate_runs_the_same_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gate", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "--metrics-port" in result.stdout


def test_gate_demo_is_listed_with_its_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["gate", "demo", "--help"])

    out = capsys.readouterr().out
    assert "--port" in out and "--workdir" in out
