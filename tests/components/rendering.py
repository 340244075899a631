"""Rendering the sample stacks under the mock monitor, once per configuration."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from components.render import Render, render_program
from tests.conftest import ROOT
from ztkit.plan_command import stack_config

SAMPLE_WAVE = ("hris", "general-ledger", "treasury-payments", "ci", "timesheets")
PUSH_KEY = "push-key-for-tests-0123456789abcdefghij"
"""The gate's push key (``ztkit:gatePushKey``) renders get from phase 4 on."""


def config_of(
    stack: str, phase: int, wave: tuple[str, ...] | str = SAMPLE_WAVE
) -> dict[str, str]:
    """The stack file's ``ztkit:`` config with the phase and wave replaced."""
    values, _ = stack_config(ROOT / "stacks", stack)
    values["ztkit:phase"] = str(phase)
    values["ztkit:wave"] = json.dumps(wave if isinstance(wave, str) else list(wave))
    if stack == "prod":
        apps = list(wave) if not isinstance(wave, str) else []
        values["ztkit:oidcClientSecrets"] = json.dumps(
            {app: f"prod-secret-{app}" for app in apps}
        )
    if phase >= 4:
        values["ztkit:gatePushKey"] = PUSH_KEY
    return values


def secret_keys_of(stack: str, phase: int) -> tuple[str, ...]:
    """The config keys a render of ``stack`` at ``phase`` treats as secret."""
    keys = ("ztkit:oidcClientSecrets",) if stack == "prod" else ()
    return (*keys, "ztkit:gatePushKey") if phase >= 4 else keys


@cache
def rendered(
    stack: str, phase: int, wave: tuple[str, ...] | str = SAMPLE_WAVE
) -> Render:
    """The render of a sample stack at ``phase`` (cached: renders are read-only)."""
    return render_program(
        config_of(stack, phase, wave), ROOT, stack, secret_keys_of(stack, phase)
    )


def by_kind(render: Render, kind: str) -> list[dict[str, object]]:
    """The rendered objects of one kind."""
    return [m for m in render.manifests() if m["kind"] == kind]


def project_path(*parts: str) -> Path:
    """A path inside the project."""
    return ROOT.joinpath(*parts)
