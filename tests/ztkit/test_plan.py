"""``ztkit plan`` on the sample stacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from ztkit.cli import main


def _plan(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ztkit", "plan", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_plan_writes_one_file_per_object_and_an_index(tmp_path: Path) -> None:
    out = tmp_path / "plan"

    completed = _plan("--stack", "dev", "--out", str(out), "--format", "json")

    assert completed.returncode == 0, completed.stderr
    index = json.loads((out / "plan.json").read_text())
    assert index == json.loads(completed.stdout)
    assert index["phase"] == 2 and "hris" in index["wave"]
    for entry in index["objects"]:
        manifest = yaml.safe_load((out / entry["file"]).read_text())
        assert (manifest["kind"], manifest["metadata"]["name"]) == (
            entry["kind"],
            entry["name"],
        )
    assert index["counts_by_kind"]["SecurityPolicy"] == len(index["wave"])
    secrets = [yaml.safe_load(p.read_text()) for p in out.rglob("Secret-*.yaml")]
    values = [
        v
        for s in secrets
        for k, v in s["stringData"].items()
        if k != "ztkit-realm.json"
    ]
    assert values and set(values) == {"<redacted>"}


def test_show_secrets_writes_the_generated_values(tmp_path: Path) -> None:
    out = tmp_path / "plan"

    assert (
        main(
            [
                "plan",
                "--phase",
                "2",
                "--wave",
                "hris",
                "--out",
                str(out),
                "--show-secrets",
            ]
        )
        == 0
    )

    secret = yaml.safe_load(
        (out / "hris" / "Secret-hris-oauth2-proxy.yaml").read_text()
    )
    assert len(secret["stringData"]["cookie-secret"]) == 32
    assert secret["stringData"]["client-secret"] != "<redacted>"


def test_phase_and_wave_override_the_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["plan", "--phase", "1", "--wave", "all", "--out", str(tmp_path / "p")])
        == 0
    )

    output = capsys.readouterr().out
    assert "phase 1, wave: all" in output
    assert not list((tmp_path / "p").rglob("Deployment-*-oauth2-proxy.yaml"))


def test_a_rerun_replaces_the_plan_whole(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert (
        main(["plan", "--phase", "2", "--wave", "hris", "ci", "--out", str(out)]) == 0
    )
    assert (out / "ci").is_dir()

    assert main(["plan", "--phase", "2", "--wave", "hris", "--out", str(out)]) == 0

    assert not (out / "ci").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_plan_refuses_to_overwrite_a_directory_that_is_not_a_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")

    assert main(["plan", "--out", str(out)]) == 2

    assert "is not a ztkit plan" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--stack", "staging"], "Pulumi.staging.yaml: file not found"),
        (["--wave", "nope"], "ztkit:wave: 'nope' is not an application"),
    ],
)
def test_bad_stack_or_wave_is_one_line_and_exit_two(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    completed = _plan(*arguments, "--out", str(tmp_path / "p"))

    assert completed.returncode == 2
    assert message in completed.stderr
    assert completed.stderr.count("\n") == 1


def test_no_secret_reaches_the_terminal(tmp_path: Path) -> None:
    out = tmp_path / "shown"
    assert main(["plan", "--wave", "hris", "--out", str(out), "--show-secrets"]) == 0
    secret = yaml.safe_load(
        (out / "hris" / "Secret-hris-oauth2-proxy.yaml").read_text()
    )

    completed = _plan(
        "--wave", "hris", "--out", str(tmp_path / "p"), "--format", "json"
    )

    # Each render draws fresh values, so check the shape: no 32-character
    # cookie secret or 40-character client secret is printed.
    printed = completed.stdout + completed.stderr
    assert secret["stringData"]["cookie-secret"] not in printed
    assert "<redacted>" not in printed
    assert all(
        len(token) < 32
        for token in printed.replace('"', " ").split()
        if token.isalnum()
    )


def test_a_stack_with_encrypted_client_secrets_renders_for_every_app(
    tmp_path: Path,
) -> None:
    completed = _plan("--stack", "prod", "--wave", "all", "--out", str(tmp_path / "p"))

    assert completed.returncode == 0, completed.stderr
    assert "wave: all" in completed.stdout
