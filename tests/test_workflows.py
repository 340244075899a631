"""The pull-request plan workflow: triggers, permissions, the sticky comment, and
the guard on ``pulumi preview``."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "plan.yml"
MARKER = "<!-- ztkit-plan -->"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    """The parsed workflow."""
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _triggers(workflow: dict[str, Any]) -> Any:
    # YAML 1.1 reads the key `on` as the boolean true.
    return workflow.get("on", workflow.get(True))


def _steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return steps


def _uses(workflow: dict[str, Any], job: str, action: str) -> list[dict[str, Any]]:
    return [
        step
        for step in _steps(workflow, job)
        if str(step.get("uses", "")).startswith(f"{action}@")
    ]


def _conditions(node: Any) -> list[str]:
    """Every ``if`` in the workflow, at any depth."""
    if isinstance(node, dict):
        found = [str(node["if"])] if "if" in node else []
        return found + [c for value in node.values() for c in _conditions(value)]
    if isinstance(node, list):
        return [c for item in node for c in _conditions(item)]
    return []


def test_runs_on_pull_requests_with_minimal_permissions(
    workflow: dict[str, Any],
) -> None:
    triggers = _triggers(workflow)

    assert "pull_request" in triggers
    assert "pull_request_target" not in triggers
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert all("permissions" not in job for job in workflow["jobs"].values())


def test_every_action_is_pinned_to_a_major_version(workflow: dict[str, Any]) -> None:
    actions = [
        str(step["uses"])
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "uses" in step
    ]

    assert actions
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", action) for action in actions)
    assert any(action.startswith("astral-sh/setup-uv@") for action in actions)


def test_plan_renders_base_and_head_and_diffs_them(workflow: dict[str, Any]) -> None:
    checkouts = _uses(workflow, "plan", "actions/checkout")
    render = next(s for s in _steps(workflow, "plan") if s.get("id") == "render")
    script = render["run"]

    assert {c["with"]["path"] for c in checkouts} == {"head", "base"}
    base = next(c for c in checkouts if c["with"]["path"] == "base")
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert "head/stacks base/stacks" in script
    assert re.search(r"ztkit plan --stack \"\$stack\" --out \"\$out\"", script)
    assert re.search(
        r"ztkit diff \"\$plans/base/\$stack\" \"\$plans/head/\$stack\" "
        r"--format markdown",
        script,
    )


def test_one_sticky_comment_found_by_its_marker(workflow: dict[str, Any]) -> None:
    [comment] = _uses(workflow, "plan", "actions/github-script")
    script = comment["with"]["script"]

    assert workflow["env"]["COMMENT_MARKER"] == MARKER
    render = next(s for s in _steps(workflow, "plan") if s.get("id") == "render")
    assert 'echo "$COMMENT_MARKER"' in render["run"]
    assert "process.env.COMMENT_MARKER" in script
    assert "includes(marker)" in script
    assert "updateComment" in script and "createComment" in script
    assert "pull_request.head.repo.full_name == github.repository" in comment["if"]


def test_preview_runs_only_when_a_backend_is_configured(
    workflow: dict[str, Any],
) -> None:
    backend = workflow["jobs"]["backend"]
    preview = workflow["jobs"]["preview"]
    [check] = [s for s in backend["steps"] if s.get("id") == "check"]

    # Secrets are unusable in `if`: the secret becomes an environment variable,
    # a step tests it, and the preview job reads the answer.
    assert backend["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    assert backend["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert '-n "$PULUMI_ACCESS_TOKEN"' in check["run"]
    assert '-n "$PULUMI_BACKEND_URL"' in check["run"]
    assert backend["outputs"]["configured"] == "${{ steps.check.outputs.configured }}"
    assert preview["needs"] == "backend"
    assert "needs.backend.outputs.configured == 'true'" in preview["if"]
    assert not [c for c in _conditions(workflow) if "secrets." in c]


def test_preview_uses_the_pulumi_action_per_stack(workflow: dict[str, Any]) -> None:
    [pulumi] = _uses(workflow, "preview", "pulumi/actions")
    preview = workflow["jobs"]["preview"]

    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["diff"] is True
    assert pulumi["with"]["comment-on-pr"] is True
    assert "matrix.stack" in pulumi["with"]["stack-name"]
    assert preview["strategy"]["matrix"]["stack"] == (
        "${{ fromJSON(needs.backend.outputs.stacks) }}"
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_every_shell_script_parses(workflow: dict[str, Any]) -> None:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" not in step:
                continue
            # Expressions are filled in by the runner before bash sees the text.
            script = re.sub(r"\$\{\{.*?\}\}", "x", step["run"])
            checked = subprocess.run(
                ["bash", "-n"],
                input=script,
                capture_output=True,
                text=True,
                check=False,
            )
            assert checked.returncode == 0, (step.get("name"), checked.stderr)
