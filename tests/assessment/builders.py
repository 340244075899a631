"""Small inventories built in code, for tests that vary one thing at a time."""

from __future__ import annotations

from typing import Any

from assessment.inventory import Application, Controls, Inventory, load_inventory
from tests.conftest import DATA


def small() -> Inventory:
    """The five-app inventory of tests/data."""
    return load_inventory(DATA / "small-inventory.yaml")


def with_apps(inventory: Inventory, **changes: dict[str, Any]) -> Inventory:
    """A copy of ``inventory`` with fields of some apps replaced, keyed by app id."""
    apps: list[Application] = []
    for app in inventory.applications:
        update = dict(changes.get(app.id.replace("-", "_"), {}))
        if "controls" in update and isinstance(update["controls"], dict):
            update["controls"] = Controls(**update["controls"])
        apps.append(app.model_copy(update=update))
    return inventory.model_copy(update={"applications": apps})


ALL_CONTROLS = {name: True for name in Controls.model_fields}
