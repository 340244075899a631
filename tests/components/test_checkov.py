"""Checkov over the rendered manifests of every phase of both sample stacks."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.components.rendering import rendered
from tests.conftest import DATA
from ztkit.plan_command import object_path

SKIPS: list[dict[str, str]] = yaml.safe_load((DATA / "checkov-skips.yaml").read_text())


def _write_render(root: Path, phase: int) -> None:
    for stack in ("dev", "prod"):
        for manifest in rendered(stack, phase).manifests():
            target = root / stack / object_path(manifest)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yaml.safe_dump(manifest, sort_keys=False))


def _checkov(directory: Path) -> list[dict[str, Any]]:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkov.main",
            "--directory",
            str(directory),
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    reports = json.loads(completed.stdout)
    return reports if isinstance(reports, list) else [reports]


def _skipped(failure: dict[str, Any]) -> bool:
    return any(
        skip["check"] == failure["check_id"]
        and fnmatch.fnmatch(failure["resource"], skip.get("resource", "*"))
        for skip in SKIPS
    )


def test_every_skip_has_a_reason() -> None:
    assert SKIPS
    assert all(len(skip["reason"]) > 40 for skip in SKIPS)


def test_no_checkov_check_fails_outside_the_listed_skips(tmp_path: Path) -> None:
    # Phases are cumulative, so phase 2 holds every object of phases 0-2 and
    # phase 5 every object there is. Each is scanned on its own: Checkov's
    # graph checks would otherwise see phase 5's policies cover phase 2's pods.
    reports = []
    for phase in (2, 5):
        _write_render(tmp_path / f"phase-{phase}", phase)
        reports += _checkov(tmp_path / f"phase-{phase}")

    failures = [f for report in reports for f in report["results"]["failed_checks"]]
    passed = sum(report["summary"]["passed"] for report in reports)
    unexpected = sorted(
        {(f["check_id"], f["resource"]) for f in failures if not _skipped(f)}
    )
    assert passed > 500
    assert unexpected == []
    used = {skip["check"] for skip in SKIPS}
    assert used <= {f["check_id"] for f in failures}, "a skip no longer needed"
