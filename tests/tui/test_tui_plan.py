"""The plan screen: writing the next phase and wave to a stack, after confirming."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ruamel.yaml import YAML
from textual.widgets import Input, Static

from tests.tui.tui_helpers import SIZE, press, settle, workbench
from tui.confirm_dialog import ConfirmDialog
from tui.plan_screen import PlanScreen

WAVE = [
    "hris",
    "general-ledger",
    "treasury-payments",
    "benefits",
    "crm",
    "expenses",
    "ci",
    "recruiting",
]


def test_writing_the_stack_asks_first_and_keeps_the_rest(dev_stack: Path) -> None:
    organisation = dev_stack.parent.parent / "org"
    before = dev_stack.read_text()

    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await press(pilot, "p")
            screen = app.screen
            assert isinstance(screen, PlanScreen)
            deploys = str(screen.query_one("#deploys", Static).render())
            assert "Press r to render every Kubernetes object it adds" in deploys

            # The dialog shows old and new; saying no writes nothing.
            await press(pilot, "w")
            assert isinstance(app.screen, ConfirmDialog)
            change = app.screen.query_one("#dialog-change", Static).render().plain
            assert "ztkit:phase  0 → 1" in change
            assert "ztkit:wave   []" in change
            assert "→ [" + ", ".join(WAVE) + "]" in change
            await press(pilot, "n")
            assert app.screen is screen
            assert dev_stack.read_text() == before

            # Saying yes writes phase and wave, and nothing else changes.
            await press(pilot, "w", "y")
            assert app.screen is screen

            # Another stack, whose file does not exist yet, is created.
            await press(pilot, "k")
            name = screen.query_one("#stack", Input)
            assert name.has_focus
            name.value = "staging"
            await press(pilot, "enter")
            assert isinstance(app.screen, ConfirmDialog)
            change = app.screen.query_one("#dialog-change", Static).render().plain
            assert "ztkit:phase  unset → 1" in change
            assert "does not exist yet" in change
            await press(pilot, "y")

        after = dev_stack.read_text()
        config = YAML(typ="safe").load(after)["config"]
        assert config["ztkit:phase"] == 1
        assert config["ztkit:wave"] == WAVE
        assert config["ztkit:inventory"] == "sample/inventory.yaml"
        assert config["kubernetes:context"] == "kind-ztkit"
        for line in before.splitlines():
            if "#" in line:
                assert line in after.splitlines()
        staging = dev_stack.parent / "Pulumi.staging.yaml"
        assert YAML(typ="safe").load(staging.read_text())["config"]["ztkit:phase"] == 1

    asyncio.run(scenario())
