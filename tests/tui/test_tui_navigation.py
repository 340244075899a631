"""Getting around the workbench: keys, mouse, the command palette, loading."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from textual.widgets import Static

import tui.workspace
from tests.tui.tui_helpers import SIZE, press, settle, workbench
from tui.app_table import ApplicationTable
from tui.assessment_screen import AssessmentScreen
from tui.dashboard import DashboardScreen
from tui.inventory_screen import InventoryScreen
from tui.nav_bar import NavBar
from tui.workbench_screen import WorkbenchScreen


def test_keys_and_clicks_open_each_screen(organisation: Path) -> None:
    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)

            for key, mode in [
                ("i", "inventory"),
                ("a", "assessment"),
                ("p", "plan"),
                ("h", "history"),
                ("d", "dashboard"),
            ]:
                await press(pilot, key)
                assert app.current_mode == mode
                assert isinstance(app.screen, WorkbenchScreen)
                assert app.screen.query_one(NavBar).current == mode
                assert not app.screen.has_class("-loading")

            text = app.screen.query_one(NavBar).render().plain
            await pilot.click(NavBar, offset=(text.index("Plan") + 1, 0))
            await settle(pilot)
            assert app.current_mode == "plan"

    asyncio.run(scenario())


def test_the_first_screen_shows_before_the_files_are_read(
    organisation: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real_load = tui.workspace.load_workspace

    def slow_load(paths: object) -> object:
        release.wait(timeout=10)
        return real_load(paths)  # type: ignore[arg-type]

    monkeypatch.setattr(tui.workspace, "load_workspace", slow_load)

    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert screen.has_class("-loading")
            loading = screen.query_one("#loading", Static)
            assert "Reading org/inventory.yaml" in str(loading.render())
            assert not screen.query_one("#body").display

            release.set()
            await settle(pilot)
            assert not screen.has_class("-loading")
            assert app.assessment is not None

    try:
        asyncio.run(scenario())
    finally:
        release.set()


def test_the_palette_jumps_to_an_application_or_a_function(organisation: Path) -> None:
    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await press(pilot, "ctrl+p")
            await pilot.press(*"payroll")
            await asyncio.sleep(0.2)
            await press(pilot, "enter")

            assert isinstance(app.screen, InventoryScreen)
            table = app.screen.query_one(ApplicationTable)
            assert table.current_app_id == "payroll"
            assert table.has_focus

            await press(pilot, "ctrl+p")
            await pilot.press(*"segmentation")
            await asyncio.sleep(0.2)
            await press(pilot, "enter")

            assert isinstance(app.screen, AssessmentScreen)
            title = app.screen.query_one("#function-title", Static)
            assert "Network Segmentation" in str(title.render())
            assert app.screen.focused is not None
            assert app.screen.focused.id == "stages"

    asyncio.run(scenario())
