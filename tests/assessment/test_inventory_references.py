"""The column-wise reference check agrees with the entry-by-entry one."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from assessment.inventory import Inventory, _reference_problems, _references_hold
from tests.conftest import DATA

BASE: Any = YAML(typ="safe").load((DATA / "small-inventory.yaml").read_text())
APP_COUNT = len(BASE["applications"])
STORE_COUNT = len(BASE["data_stores"])
REFERENCES = ["hr", "payroll", "payroll-db", "hr-staff", "all-staff", "wiki", "ghost"]


@st.composite
def rereferenced(draw: st.DrawFn) -> dict[str, Any]:
    """The small inventory with one to four references or counts changed."""
    data = copy.deepcopy(BASE)
    name = st.sampled_from(REFERENCES)
    for _ in range(draw(st.integers(1, 4))):
        app = data["applications"][draw(st.integers(0, APP_COUNT - 1))]
        store = data["data_stores"][draw(st.integers(0, STORE_COUNT - 1))]
        group = data["groups"][draw(st.integers(0, len(data["groups"]) - 1))]
        change = draw(
            st.sampled_from(
                [
                    "app id",
                    "store id",
                    "host",
                    "department",
                    "store department",
                    "group department",
                    "group id",
                    "reader",
                    "writer",
                    "target",
                    "self",
                    "users",
                    "members",
                ]
            )
        )
        if change == "app id":
            app["id"] = draw(name)
        elif change == "store id":
            store["id"] = draw(name)
        elif change == "host":
            app["host"] = draw(
                st.sampled_from(["payroll.internal.example.org", "x.org"])
            )
        elif change == "department":
            app["department"] = draw(name)
        elif change == "store department":
            store["department"] = draw(name)
        elif change == "group department":
            group["department"] = draw(name)
        elif change == "group id":
            group["id"] = draw(name)
        elif change == "reader":
            app["readers"] = [*app["readers"], draw(name)]
        elif change == "writer":
            app["writers"] = [*app.get("writers", []), draw(name)]
        elif change == "target":
            app["depends_on"] = [*app.get("depends_on", []), {"target": draw(name)}]
        elif change == "self":
            app["depends_on"] = [*app.get("depends_on", []), {"target": app["id"]}]
        elif change == "users":
            app["users"] = draw(st.integers(0, 2 * data["organisation"]["users"]))
        else:
            group["members"] = draw(st.integers(0, 2 * data["organisation"]["users"]))
    return data


@settings(max_examples=400, deadline=None)
@given(rereferenced())
def test_both_checks_find_the_same_inventories_sound(data: dict[str, Any]) -> None:
    inventory = Inventory.model_validate(data)

    problems = list(_reference_problems(inventory))

    assert _references_hold(inventory) == (not problems), problems


def test_the_small_inventory_holds() -> None:
    inventory = Inventory.model_validate(BASE)

    assert _references_hold(inventory)
    assert not list(_reference_problems(inventory))
