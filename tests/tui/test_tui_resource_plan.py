"""The plan screen's resource-level plan, rendered by ``ztkit plan``."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from textual.widgets import Static

from tests.conftest import ROOT
from tests.tui.tui_helpers import LARGE, press, settle, workbench
from tui.resource_plan import ResourcePlan, render_resource_plan


def test_without_a_stack_file_it_says_so(tmp_path: Path) -> None:
    result = render_resource_plan(tmp_path, "dev", 2, ["hris"])

    assert isinstance(result, str)
    assert "no stack file" in result and "Pulumi.dev.yaml" in result


def test_it_counts_the_objects_of_the_phase_and_wave(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", tmp_path)

    result = render_resource_plan(tmp_path, "dev", 2, ["hris", "ci"])

    assert isinstance(result, ResourcePlan)
    assert result.by_kind["SecurityPolicy"] == 2
    assert result.by_app["hris"] == result.by_app["ci"] == 7
    assert result.total == sum(result.by_kind.values())


def test_r_on_the_plan_screen_shows_the_rendered_objects(organisation: Path) -> None:
    stacks = organisation.parent / "stacks"
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", stacks)
    app = workbench(organisation)
    seen: list[str] = []

    async def scenario() -> None:
        async with app.run_test(size=LARGE) as pilot:
            await settle(pilot)
            await press(pilot, "p")
            seen.append(str(app.screen.query_one("#deploys", Static).render()))
            await press(pilot, "r")
            seen.append(str(app.screen.query_one("#deploys", Static).render()))

    asyncio.run(scenario())
    before, after = seen

    assert "Press r" in before
    assert "Stack dev: 7 objects" in after and "1 Deployment" in after
