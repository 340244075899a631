"""The ztkit command line on the bundled sample and on broken input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE
from ztkit.cli import main

PILLARS = ["identity", "devices", "networks", "applications-workloads", "data"]


def _run(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ztkit", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_assess_json_has_the_documented_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["assess", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)

    assert [p["id"] for p in result["pillars"]] == PILLARS
    for pillar in result["pillars"]:
        assert pillar["stage"] in {"traditional", "initial", "advanced", "optimal"}
        assert 1 <= pillar["score"] <= 4
        assert all({"id", "stage"} <= set(f) for f in pillar["functions"])
    assert [c["id"] for c in result["cross_cutting"]] == [
        "visibility-analytics",
        "automation-orchestration",
        "governance",
    ]
    assert set(result["overall"]) == {"stage", "score"}
    assert len(result["apps"]) == 51
    assert {"id", "classification", "risk", "crown_jewel"} <= set(result["apps"][0])
    nxt = result["next_phase"]
    assert isinstance(nxt["phase"], int) and 0 <= nxt["phase"] <= 5
    assert (
        nxt["name"]
        and nxt["wave"]
        and all(isinstance(r, str) for r in nxt["rationale"])
    )


def test_sample_answers_conflict_with_the_inventory_and_the_output_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["assess", "--format", "json"])
    result = json.loads(capsys.readouterr().out)

    conflicts = {c["function"]: c for c in result["conflicts"]}
    authentication = conflicts["identity/authentication"]
    assert (authentication["answered"], authentication["stage"]) == (
        "advanced",
        "traditional",
    )
    assert "restricted apps lack MFA" in authentication["message"]


@pytest.mark.parametrize(
    ("form", "marker"),
    [
        ("text", "Next: phase"),
        ("markdown", "## Maturity by pillar"),
        ("html", "<!DOCTYPE html>"),
    ],
)
def test_each_format_writes_to_output(tmp_path: Path, form: str, marker: str) -> None:
    output = tmp_path / f"assessment.{form}"

    assert main(["assess", "--format", form, "--output", str(output)]) == 0

    assert marker in output.read_text()


def test_save_appends_to_history_beside_the_inventory(sample_copy: Path) -> None:
    inventory = sample_copy / "inventory.yaml"
    history = sample_copy / "history.json"
    before = json.loads(history.read_text())["assessments"]

    for _ in range(2):
        assert (
            main(
                [
                    "assess",
                    "--inventory",
                    str(inventory),
                    "--save",
                    "--output",
                    str(sample_copy / "out.txt"),
                ]
            )
            == 0
        )

    after = json.loads(history.read_text())["assessments"]
    assert after[: len(before)] == before
    assert len(after) == len(before) + 2
    assert after[-1]["assessed_on"] == "2026-11-30"


def test_write_stack_sets_phase_and_wave_and_keeps_the_rest(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(
        "# Development stack on the bundled sample.\n"
        "config:\n"
        "  ztkit:domain: internal.example  # the apps' parent domain\n"
        "  ztkit:phase: 0\n"
        "  kubernetes:context: kind-dev\n"
    )

    code = main(
        [
            "assess",
            "--write-stack",
            "dev",
            "--stacks-dir",
            str(tmp_path),
            "--output",
            str(tmp_path / "out.txt"),
        ]
    )

    text = stack.read_text()
    assert code == 0
    assert text.startswith("# Development stack on the bundled sample.\n")
    assert "ztkit:domain: internal.example  # the apps' parent domain" in text
    assert "kubernetes:context: kind-dev" in text
    assert "ztkit:phase: 1\n" in text
    assert "  ztkit:wave:\n    - hris\n" in text


def test_write_stack_rejects_a_path_as_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "assess",
            "--write-stack",
            "../x",
            "--stacks-dir",
            str(tmp_path),
            "--output",
            str(tmp_path / "out.txt"),
        ]
    )

    assert code == 2
    assert "is not a stack name" in capsys.readouterr().err


def test_report_writes_one_html_file(tmp_path: Path) -> None:
    output = tmp_path / "report.html"

    assert main(["report", "--output", str(output)]) == 0

    html = output.read_text()
    assert "Fernhollow Instruments Ltd" in html
    assert "<script src" not in html and "<link" not in html


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["inventory", "validate", "missing.yaml"], "missing.yaml: file not found"),
        (
            ["assess", "--answers", "tests/data/small-inventory.yaml"],
            "unknown pillar 'organisation'",
        ),
        (
            ["assess", "--evidence", "sample/inventory.yaml"],
            "collector: required field is missing",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_two(
    arguments: list[str], message: str
) -> None:
    completed = _run(*arguments)

    assert completed.returncode == 2
    assert message in completed.stderr
    assert completed.stderr.count("\n") == 1
    assert "Traceback" not in completed.stderr


def test_validate_accepts_the_sample() -> None:
    completed = _run("inventory", "validate", str(SAMPLE / "inventory.yaml"))

    assert completed.returncode == 0
    assert "valid: 51 applications" in completed.stdout
