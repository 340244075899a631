"""Benchmark: the workbench's first paint and filter keystrokes, big and small.

Runs the workbench headless (Textual's test driver) twice in one process: on
a generated 5,000-application inventory (bench/generate.py) and on the
bundled 50-app sample, and prints for each:

- first paint: from building the app to the first frame drawn (the loading
  screen; the files are read afterwards, in a worker);
- files read: from building the app until the assessment is on screen;
- inventory shown: switching to the inventory screen with every app loaded;
- keystroke: typing into the inventory filter, from the key until the frame
  that shows the filtered table (median and worst), checked to be filtering;

then the big/small ratios. A separate interpreter also measures first paint
from process start, imports included (``ztkit.cli`` first, as the console
script does). Targets: first paint under 1.5 s, a keystroke under 100 ms.

Run: ``uv run python bench/tui.py [--apps N] [--keystrokes K]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import generate_inventory

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample"
SIZE = (120, 40)
FILTER_TEXT = "app-01 fin"
"""What is typed: it narrows the big inventory step by step, then empties it."""
FIRST_PAINT_TARGET = 1.5
KEYSTROKE_TARGET = 0.100

CHILD = """
import asyncio, sys, time
start = float(sys.argv[1])
if sys.argv[3] == "cli":
    import ztkit.cli  # what the `ztkit` console script imports first
from pathlib import Path
from tui.app import build_app

async def main():
    app = build_app(Path(sys.argv[2]))
    painted = []
    display = app._display
    def record(screen, renderable):
        if renderable is not None and not painted:
            painted.append(time.time())
        display(screen, renderable)
    app._display = record
    async with app.run_test(size=(120, 40)) as pilot:
        while not painted:
            await pilot.pause(0.01)
        print(painted[0] - start)
        app.workers.cancel_all()

asyncio.run(main())
"""


@dataclass
class Figures:
    """What one run measured, in seconds."""

    first_paint: float
    files_read: float
    inventory_shown: float
    keystrokes: list[float]

    @property
    def keystroke_median(self) -> float:
        """The median keystroke."""
        return statistics.median(self.keystrokes)

    @property
    def keystroke_worst(self) -> float:
        """The slowest keystroke."""
        return max(self.keystrokes)


async def measure(inventory: Path, keystrokes: int) -> Figures:
    """Run the workbench on ``inventory`` and time it."""
    from tui.app import build_app
    from tui.app_table import ApplicationTable

    frames: list[float] = []
    start = time.perf_counter()
    app = build_app(inventory)
    display = app._display

    def record(screen: Any, renderable: Any) -> None:
        # Textual hands every frame to _display; headless, it draws nothing.
        if renderable is not None:
            frames.append(time.perf_counter())
        display(screen, renderable)

    app._display = record  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        while not frames:
            await pilot.pause(0.001)
        first_paint = frames[0] - start
        assert app.screen.has_class("-loading") or app.assessment is not None

        while app.assessment is None:
            await pilot.pause(0.01)
        await pilot.pause()
        files_read = time.perf_counter() - start

        began = time.perf_counter()
        await pilot.press("i")
        await pilot.pause()
        inventory_shown = time.perf_counter() - began
        table = app.screen.query_one(ApplicationTable)
        assert len(table.shown) == len(app.assessment.inventory.applications)

        await pilot.press("slash")
        await pilot.pause()
        typed = (FILTER_TEXT * (keystrokes // len(FILTER_TEXT) + 1))[:keystrokes]
        times: list[float] = []
        for index, key in enumerate(typed):
            if index and index % len(FILTER_TEXT) == 0:
                await clear_filter(pilot)
            drawn = len(frames)
            began = time.perf_counter()
            await pilot.press("space" if key == " " else key)
            while len(frames) == drawn:
                await pilot.pause()
            times.append(frames[drawn] - began)
            expected = FILTER_TEXT[: index % len(FILTER_TEXT) + 1]
            assert table.filter_text == expected, (table.filter_text, expected)
    return Figures(first_paint, files_read, inventory_shown, times)


async def clear_filter(pilot: Any) -> None:
    """Empty the filter (not timed)."""
    await pilot.press(*["backspace"] * len(FILTER_TEXT))
    await pilot.pause()


def first_paint_from_process_start(inventory: Path, through_cli: bool) -> float:
    """Seconds from starting an interpreter to the first frame, imports included.

    ``through_cli``: import ``ztkit.cli`` first, as the ``ztkit`` command does.
    """
    started = time.time()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(started),
            str(inventory),
            "cli" if through_cli else "tui",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return float(result.stdout.strip().splitlines()[-1])


def report(
    big: Figures,
    small: Figures,
    apps: int,
    process: tuple[float, float],
    process_tui: tuple[float, float],
) -> None:
    """Print the figures and the ratios."""
    rows = [
        ("first paint (build app -> first frame)", big.first_paint, small.first_paint),
        ("first paint from process start, ztkit", process[0], process[1]),
        ("  the same without ztkit.cli's imports", process_tui[0], process_tui[1]),
        ("files read and assessed, on screen", big.files_read, small.files_read),
        ("inventory screen shown", big.inventory_shown, small.inventory_shown),
        ("filter keystroke, median", big.keystroke_median, small.keystroke_median),
        ("filter keystroke, worst", big.keystroke_worst, small.keystroke_worst),
    ]
    print(f"{'':42}{apps:>10,} apps{'50-app sample':>16}{'ratio':>8}")
    for label, large, sample in rows:
        ratio = large / sample if sample else float("inf")
        print(
            f"{label:42}{large * 1000:>12,.0f} ms{sample * 1000:>13,.0f} ms{ratio:>7.1f}x"
        )
    print()
    print(f"keystrokes timed: {len(big.keystrokes)} per run, typing {FILTER_TEXT!r}")
    paint_ok = big.first_paint < FIRST_PAINT_TARGET and process[0] < FIRST_PAINT_TARGET
    print(
        f"first paint target < {FIRST_PAINT_TARGET:.1f} s: "
        f"{'met' if paint_ok else 'NOT met'} (in process "
        f"{big.first_paint:.3f} s, from process start {process[0]:.3f} s)"
    )
    key_ok = big.keystroke_worst < KEYSTROKE_TARGET
    print(
        f"keystroke target < {KEYSTROKE_TARGET * 1000:.0f} ms: "
        f"{'met' if key_ok else 'NOT met'} (worst {big.keystroke_worst * 1000:.1f} ms)"
    )


def main() -> None:
    """Generate the big inventory, run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=5_000)
    parser.add_argument("--keystrokes", type=int, default=20)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ztkit-bench-") as folder:
        big_folder = Path(folder) / "big"
        big_folder.mkdir()
        inventory = big_folder / "inventory.yaml"
        inventory.write_text(generate_inventory(arguments.apps))
        shutil.copy(SAMPLE / "answers.yaml", big_folder / "answers.yaml")
        small_folder = Path(folder) / "small"
        small_folder.mkdir()
        shutil.copy(SAMPLE / "inventory.yaml", small_folder / "inventory.yaml")
        shutil.copy(SAMPLE / "answers.yaml", small_folder / "answers.yaml")
        size = inventory.stat().st_size
        print(f"generated {arguments.apps:,} apps, {size / 1e6:.1f} MB of YAML\n")

        # The small run first, so the big run does not get the imports for free
        # ahead of it; each run imports nothing the other has not.
        small = asyncio.run(
            measure(small_folder / "inventory.yaml", arguments.keystrokes)
        )
        big = asyncio.run(measure(inventory, arguments.keystrokes))
        process = (
            first_paint_from_process_start(inventory, through_cli=True),
            first_paint_from_process_start(small_folder / "inventory.yaml", True),
        )
        process_tui = (
            first_paint_from_process_start(inventory, through_cli=False),
            first_paint_from_process_start(small_folder / "inventory.yaml", False),
        )
    report(big, small, arguments.apps, process, process_tui)


if __name__ == "__main__":
    main()
