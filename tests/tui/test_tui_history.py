"""The history screen: the trend of saved assessments, and saving another."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Sparkline, Static

from tests.tui.tui_helpers import SIZE, press, settle, workbench


def test_saved_assessments_are_listed_and_another_can_be_saved(
    with_history: Path,
) -> None:
    history = with_history / "history.json"

    async def scenario() -> None:
        app = workbench(with_history)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await press(pilot, "h")
            table: DataTable[Any] = app.screen.query_one(DataTable)
            assert table.row_count == 3
            assert app.screen.query_one(Sparkline).data == [1.19, 1.36, 1.54]
            summary = app.screen.query_one("#trend-summary", Static).render().plain
            assert "3 saved assessments from 2026-03-02 to 2026-11-30" in summary
            assert "1.19 → 1.54 (+0.35)" in summary

            await press(pilot, "s")
            assert table.row_count == 4

    asyncio.run(scenario())
    entries = json.loads(history.read_text())["assessments"]
    assert len(entries) == 4
    assert entries[-1]["overall"] == {"stage": "traditional", "score": 1.54}


def test_without_a_history_the_screen_says_how_to_start_one(organisation: Path) -> None:
    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await press(pilot, "h")
            summary = app.screen.query_one("#trend-summary", Static).render().plain
            assert "No saved assessments yet in org/history.json" in summary
            assert not app.screen.query_one(DataTable).display

    asyncio.run(scenario())
