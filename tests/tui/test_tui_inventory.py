"""The inventory screen: filtering as you type, sorting, and editing controls."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import SelectionList, Static

from assessment.inventory import load_inventory
from tests.tui.tui_helpers import SIZE, press, settle, workbench
from tui.app_table import ApplicationTable


def comment_lines(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


def test_the_table_filters_as_you_type(organisation: Path) -> None:
    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await press(pilot, "i", "slash")
            table = app.screen.query_one(ApplicationTable)
            total = len(table.shown)
            assert total == 51

            seen = []
            for key in "fin":
                await pilot.press(key)
                seen.append(len(table.shown))
            assert seen[0] > seen[1] >= seen[2] > 0
            assert all("fin" in row.search_text for row in table.shown)
            status = str(app.screen.query_one("#table-status", Static).render())
            assert status.startswith(f"{seen[2]} of 51 apps")

            # A second word narrows further; a word nobody has empties the table.
            await pilot.press(*" payable")
            assert [row.app_id for row in table.shown] == ["accounts-payable"]
            assert (
                app.screen.query_one("#app-facts", Static)
                .render()
                .plain.startswith("accounts-payable · ")
            )
            await pilot.press(*"zzz")
            assert table.shown == []

            # Escape leaves the filter; a second escape clears it.
            await press(pilot, "escape")
            assert table.has_focus
            await press(pilot, "escape")
            assert len(table.shown) == total

    asyncio.run(scenario())


def test_the_table_sorts_by_key_and_by_header_click(organisation: Path) -> None:
    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await press(pilot, "i")
            table = app.screen.query_one(ApplicationTable)
            risks = [row.risk for row in table.shown]
            assert risks == sorted(risks, reverse=True)

            await press(pilot, "s")
            assert table.sort_column == "id"
            ids = [row.app_id for row in table.shown]
            assert ids == sorted(ids)
            await press(pilot, "r")
            assert [row.app_id for row in table.shown] == sorted(ids, reverse=True)

            users_x = next(
                x for x in range(table.size.width) if table._column_at(x) == "users"
            )
            await pilot.click(ApplicationTable, offset=(users_x, 0))
            await settle(pilot)
            assert table.sort_column == "users"
            users = [table.shown[i].sort_keys["users"] for i in range(len(table.shown))]
            assert users == sorted(users, reverse=True)

            # Clicking a row moves the cursor there; the header is line 0.
            await press(pilot, "home")
            await pilot.click(ApplicationTable, offset=(4, 3))
            await settle(pilot)
            assert table.cursor == 2
            assert table.current_app_id == table.shown[2].app_id

    asyncio.run(scenario())


def test_toggling_a_control_writes_the_inventory(organisation: Path) -> None:
    inventory_path = organisation / "inventory.yaml"
    before = inventory_path.read_text()

    async def scenario() -> None:
        app = workbench(organisation)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.assessment is not None
            old_risk = next(r.risk for r in app.assessment.risks if r.app.id == "hris")

            await press(pilot, "i")
            table = app.screen.query_one(ApplicationTable)
            assert table.current_app_id == "hris"
            await press(pilot, "e", "down", "space")

            after = inventory_path.read_text()
            assert (
                "    controls: {sso: true, mfa: true, access_logging: true}\n" in after
            )
            assert comment_lines(after) == comment_lines(before)
            assert len(after.splitlines()) == len(before.splitlines())
            assert load_inventory(inventory_path).apps_by_id["hris"].controls.mfa

            new_risk = next(r.risk for r in app.assessment.risks if r.app.id == "hris")
            assert new_risk < old_risk
            controls: SelectionList[str] = app.screen.query_one(
                "#app-controls", SelectionList
            )
            assert controls.selected == ["sso", "mfa", "access_logging"]
            assert controls.highlighted == 1

            # And off again: the file is back to what it was, but for 'mfa: false'.
            await press(pilot, "space")
            assert "    controls: {sso: true, mfa: false, access_logging: true}\n" in (
                inventory_path.read_text()
            )
            assert (
                next(r.risk for r in app.assessment.risks if r.app.id == "hris")
                == old_risk
            )

    asyncio.run(scenario())
