"""Bad input files: an error screen naming file, line and field; never a crash."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from textual.widgets import Static

from tests.tui.conftest import TUI_DATA
from tests.tui.tui_helpers import SIZE, press, settle, workbench
from tui.dashboard import DashboardScreen
from tui.error_screen import ErrorScreen


def test_a_bad_inventory_opens_the_error_screen_until_fixed(organisation: Path) -> None:
    inventory = organisation / "inventory.yaml"
    shutil.copy(TUI_DATA / "bad-inventory.yaml", inventory)
    (organisation / "answers.yaml").unlink()

    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ErrorScreen)
            report = app.screen.query_one("#error-report", Static).render().plain
            assert "The inventory cannot be used" in report
            assert "File     org/inventory.yaml" in report
            assert "Line     24, column 15" in report
            assert "Field    applications[0].readers[0]" in report
            assert "'staf' is not a declared group; did you mean 'staff'?" in report
            assert "→ 24 │     readers: [staf]" in report

            # The other screens stay shut while the file is bad.
            await press(pilot, "i")
            assert isinstance(app.screen, ErrorScreen)

            # Still bad after a reload; then fixed, and the dashboard appears.
            await press(pilot, "ctrl+r")
            assert isinstance(app.screen, ErrorScreen)
            inventory.write_text(inventory.read_text().replace("[staf]", "[staff]"))
            await press(pilot, "ctrl+r")
            assert isinstance(app.screen, DashboardScreen)
            assert app.assessment is not None
            assert app.assessment.inventory.organisation.name == "Broken Ltd"

    asyncio.run(scenario())


def test_a_bad_answers_file_names_its_line(organisation: Path) -> None:
    answers = organisation / "answers.yaml"
    answers.write_text(
        answers.read_text().replace(
            "data-access: {stage: traditional}", "data-access: {stage: sometimes}"
        )
    )

    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ErrorScreen)
            report = app.screen.query_one("#error-report", Static).render().plain
            assert "The answers file cannot be used" in report
            assert "File     org/answers.yaml" in report
            assert "Field    data.data-access.stage" in report
            assert "'sometimes' is not a stage" in report

    asyncio.run(scenario())


def test_an_edit_the_file_refuses_changes_nothing(organisation: Path) -> None:
    answers = organisation / "answers.yaml"

    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            assessment = app.assessment

            # Someone breaks the file behind the workbench's back.
            broken = answers.read_text().replace(
                "{stage: traditional}", "{stage: nope}", 1
            )
            answers.write_text(broken)
            await press(pilot, "a", "4")

            assert answers.read_text() == broken
            assert app.assessment is assessment
            assert any(
                "Answer not saved" in (notification.title or "")
                for notification in app._notifications
            )

    asyncio.run(scenario())
