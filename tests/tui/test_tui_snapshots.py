"""How each screen looks, at the smallest supported size and at a large one.

Regenerate after a deliberate change with ``pytest tests/tui --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import TUI_DATA
from tests.tui.tui_helpers import LARGE, SIZE, press, settle, workbench

SnapCompare = Callable[..., bool]


def keys(*pressed: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Wait for the files to be read, then press ``pressed``, settling after each."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await press(pilot, *pressed)

    return run_before


@pytest.mark.parametrize("size", [SIZE, LARGE], ids=["80x24", "160x50"])
def test_dashboard(
    snap_compare: SnapCompare, organisation: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(workbench(organisation), terminal_size=size, run_before=keys())


def test_inventory_filtered(snap_compare: SnapCompare, organisation: Path) -> None:
    assert snap_compare(
        workbench(organisation),
        terminal_size=SIZE,
        run_before=keys("i", "slash", *"fin", "enter"),
    )


def test_inventory_large(snap_compare: SnapCompare, organisation: Path) -> None:
    assert snap_compare(
        workbench(organisation), terminal_size=LARGE, run_before=keys("i", "down")
    )


@pytest.mark.parametrize("size", [SIZE, LARGE], ids=["80x24", "160x50"])
def test_assessment(
    snap_compare: SnapCompare, organisation: Path, size: tuple[int, int]
) -> None:
    assert snap_compare(
        workbench(organisation), terminal_size=size, run_before=keys("a")
    )


def test_plan_confirmation(snap_compare: SnapCompare, dev_stack: Path) -> None:
    organisation = dev_stack.parent.parent / "org"
    assert snap_compare(
        workbench(organisation), terminal_size=SIZE, run_before=keys("p", "w")
    )


def test_history(snap_compare: SnapCompare, with_history: Path) -> None:
    assert snap_compare(
        workbench(with_history), terminal_size=SIZE, run_before=keys("h")
    )


def test_error_screen(snap_compare: SnapCompare, organisation: Path) -> None:
    (organisation / "inventory.yaml").write_text(
        (TUI_DATA / "bad-inventory.yaml").read_text()
    )
    assert snap_compare(workbench(organisation), terminal_size=SIZE, run_before=keys())
