"""Driving the workbench in tests: building it on copies, and waiting for it."""

from __future__ import annotations

import datetime
from pathlib import Path

from textual.pilot import Pilot

from tui.app import Workbench, build_app

TODAY = datetime.date(2026, 12, 1)
"""The date an undated answers file is assessed on, in every test."""
SIZE = (80, 24)
LARGE = (160, 50)


def workbench(folder: Path, stacks_dir: Path | None = None) -> Workbench:
    """The workbench over the organisation copied into ``folder``."""
    return build_app(
        folder / "inventory.yaml",
        stacks_dir=stacks_dir or folder.parent / "stacks",
        today=TODAY,
    )


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every worker is done and every message handled."""
    await pilot.pause()
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            return


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press ``keys`` one by one, letting the app settle after each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
