"""The risk formula and the crown-jewel rule."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from assessment.inventory import (
    CLASSIFICATIONS,
    CONTROL_NAMES,
    Inventory,
    load_inventory,
)
from assessment.planning import app_phase
from assessment.risk import assess_risk, likelihood
from bench.generate import generate_inventory
from tests.assessment.builders import ALL_CONTROLS, small, with_apps


def test_payroll_risk_follows_the_documented_formula() -> None:
    # Restricted, 10 of 200 users, one app depends on it, lacks proxy,
    # segmentation and device posture (weights 2 + 1.5 + 1.5 of 11).
    impact = 0.6 * 1.0 + 0.25 * math.log10(11) / math.log10(201) + 0.15 * (1 / 5)
    likelihood = 0.25 + 0.75 * 5 / 11

    risks = {risk.app.id: risk for risk in assess_risk(small())}

    assert risks["payroll"].risk == round(100 * impact * likelihood, 1) == 43.9
    assert risks["payroll"].dependents == 1


def test_ranking_is_highest_first_and_flags_crown_jewels() -> None:
    risks = assess_risk(small())

    assert [r.risk for r in risks] == sorted((r.risk for r in risks), reverse=True)
    assert {r.app.id for r in risks if r.crown_jewel} == {"payroll", "leave", "ci"}


def test_every_control_leaves_a_quarter_of_the_impact() -> None:
    inventory = with_apps(small(), status={"controls": ALL_CONTROLS})

    status = next(r for r in assess_risk(inventory) if r.app.id == "status")

    assert status.likelihood == 0.25
    assert status.risk == round(25 * status.impact, 1)


def test_crown_jewel_field_overrides_the_rule() -> None:
    inventory = with_apps(
        small(), payroll={"crown_jewel": False}, wiki={"crown_jewel": True}
    )

    jewels = {r.app.id for r in assess_risk(inventory) if r.crown_jewel}

    assert jewels == {"leave", "ci", "wiki"}


def test_confidential_app_is_a_crown_jewel_only_when_widely_used_or_depended_on() -> (
    None
):
    quiet = with_apps(small(), leave={"users": 49}, ci={"users": 50})

    jewels = {r.app.id for r in assess_risk(quiet) if r.crown_jewel}

    assert "leave" not in jewels
    assert "ci" in jewels


@given(
    classification=st.sampled_from(CLASSIFICATIONS),
    users=st.integers(min_value=0, max_value=200),
    controls=st.sets(st.sampled_from(CONTROL_NAMES)),
    extra=st.sampled_from(CONTROL_NAMES),
)
def test_a_control_never_raises_risk_and_a_higher_class_never_lowers_it(
    classification: str, users: int, controls: set[str], extra: str
) -> None:
    base = {
        "classification": classification,
        "users": users,
        "controls": {name: True for name in controls},
    }
    more = dict(base, controls={name: True for name in controls | {extra}})
    stricter = dict(
        base,
        classification=CLASSIFICATIONS[
            min(3, CLASSIFICATIONS.index(classification) + 1)
        ],
    )

    def risk_of(changes: dict[str, object]) -> float:
        inventory = with_apps(small(), wiki=changes)
        return next(r for r in assess_risk(inventory) if r.app.id == "wiki").risk

    assert risk_of(more) <= risk_of(base) <= risk_of(stricter)
    assert 0 <= risk_of(base) <= 100


@given(controls=st.sets(st.sampled_from(CONTROL_NAMES)))
def test_each_app_carries_its_phase_and_missing_controls(controls: set[str]) -> None:
    inventory = with_apps(small(), wiki={"controls": {name: True for name in controls}})

    for risk in assess_risk(inventory):
        assert risk.phase == app_phase(risk.app)
        assert risk.missing_controls == risk.app.controls.missing()
        assert risk.likelihood == likelihood(risk.app)


def test_equal_risks_are_ranked_by_id(tmp_path: Path) -> None:
    # The generated inventory repeats a few shapes of app, so many risks tie.
    path = tmp_path / "inventory.yaml"
    path.write_text(generate_inventory(300))
    inventory: Inventory = load_inventory(path)

    ranking = [(-r.risk, r.app.id) for r in assess_risk(inventory)]

    assert len({risk for risk, _ in ranking}) < len(ranking)
    assert ranking == sorted(ranking)
