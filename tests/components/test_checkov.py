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


def _write_render(root: Path) -> None:
    for stack in ("dev", "prod"):
        for phase in range(6):
            for manifest in rendered(stack, phase).manifests():
                target = root / stack / f"phase-{phase}" / object_path(manifest)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(yaml.safe_dump(manifest, sort_keys=False))


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
    _write_render(tmp_path)

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkov.main",
            "--directory",
            str(tmp_path),
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
    reports = reports if isinstance(reports, list) else [reports]
    failures = [f for report in reports for f in report["results"]["failed_checks"]]
    passed = sum(report["summary"]["passed"] for report in reports)
    unexpected = sorted(
        {(f["check_id"], f["resource"]) for f in failures if not _skipped(f)}
    )
    assert passed > 500
    assert unexpected == []
    used = {skip["check"] for skip in SKIPS}
    assert used <= {f["check_id"] for f in failures}, "a skip no longer needed"
