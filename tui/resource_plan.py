"""What a phase and wave would deploy, from ``ztkit plan`` run as a command.

The workbench asks the command line rather than importing the Pulumi
components: the command line is where the assessment and the deployment
halves meet. Nothing here imports Textual.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RENDER_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class ResourcePlan:
    """The objects a render holds, counted by kind and by app."""

    stack: str
    total: int
    by_kind: dict[str, int]
    by_app: dict[str, int]
    warnings: list[str]


def render_resource_plan(
    stacks_dir: Path, stack: str, phase: int, wave: list[str]
) -> ResourcePlan | str:
    """Render ``stack`` at ``phase`` for ``wave``; a one-line reason when it cannot."""
    stack_file = stacks_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        return f"no stack file {stack_file}; the resource plan needs a Pulumi stack"
    if not wave:
        return "the wave is empty: nothing new to deploy"
    with tempfile.TemporaryDirectory(prefix="ztkit-plan-") as directory:
        command = [
            sys.executable,
            "-m",
            "ztkit",
            "plan",
            "--stack",
            stack,
            "--stacks-dir",
            str(stacks_dir),
            "--phase",
            str(phase),
            "--wave",
            *wave,
            "--out",
            str(Path(directory) / "plan"),
            "--format",
            "json",
        ]
        try:
            completed = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=False,
                timeout=RENDER_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            return f"ztkit plan took longer than {RENDER_TIMEOUT_SECONDS} s"
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines()
        return lines[-1] if lines else f"ztkit plan failed ({completed.returncode})"
    index: dict[str, Any] = json.loads(completed.stdout)
    return ResourcePlan(
        stack=stack,
        total=len(index["objects"]),
        by_kind=index["counts_by_kind"],
        by_app=index["counts_by_app"],
        warnings=index["warnings"],
    )
