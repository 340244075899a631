"""The rollout estimate against budget and timeline."""

from __future__ import annotations

import datetime
from pathlib import Path

from assessment.effort import PLATFORM_HOURS, app_hours, estimate
from assessment.inventory import load_inventory
from assessment.planning import app_phase
from bench.generate import generate_inventory
from tests.assessment.builders import small, with_apps


def test_hours_per_app_follow_the_documented_table() -> None:
    apps = small().apps_by_id

    assert app_hours(apps["wiki"], 1) == 3.0
    assert app_hours(apps["ci"], 1) == 1.0  # legacy: a client only
    assert app_hours(apps["ci"], 2) == 12.0  # legacy: header-based sign-in
    assert app_hours(apps["ci"], 3) == 4.0 + 1.5  # one declared dependency
    assert app_hours(apps["payroll"], 4) == 5.0  # restricted: stricter policy


def test_platform_work_counts_only_for_phases_no_app_has_started() -> None:
    inventory = small()  # payroll has completed phase 1 already

    rollout = estimate(inventory, ["leave", "ci"], 1)

    phase_one = rollout.by_phase[0]
    assert phase_one.apps == 4
    assert phase_one.hours == 3 + 1 + 3 + 3  # wiki, ci, leave, status; no platform work
    phase_two = rollout.by_phase[1]
    assert phase_two.hours == 4 * 4 + 12 + PLATFORM_HOURS[2]
    assert rollout.wave_hours == 3 + 1


def test_budget_and_timeline_verdicts() -> None:
    inventory = small()
    organisation = inventory.organisation.model_copy(
        update={"budget_usd": 1_000_000.0, "start": datetime.date(2027, 1, 4)}
    )

    rollout = estimate(
        inventory.model_copy(update={"organisation": organisation}), [], 1
    )

    assert rollout.cost_usd == round(rollout.hours * 120, 2)
    assert rollout.months == round(rollout.hours / 320, 2)
    assert rollout.within_budget and rollout.within_timeline
    assert rollout.finish is not None and rollout.finish > datetime.date(2027, 1, 4)
    assert not estimate(small(), [], 1).within_budget


def test_a_finished_app_owes_nothing() -> None:
    done = {
        name: True
        for name in (
            "sso",
            "mfa",
            "access_proxy",
            "segmented",
            "device_posture",
            "access_logging",
        )
    }
    inventory = with_apps(small(), payroll={"controls": done})

    rollout = estimate(inventory, [], 5)

    assert all(item.apps == 4 for item in rollout.by_phase)


def test_budget_reaches_the_last_phase_it_pays_for_in_full() -> None:
    rollout = estimate(small(), [], 1)
    cumulative = 0.0
    expected = 0
    for item in rollout.by_phase:
        cumulative += item.hours * 120
        if cumulative > 20_000:
            break
        expected = item.phase

    assert rollout.budget_reaches == expected
    assert 0 < expected < 5


def test_the_estimate_adds_up_every_app_of_a_large_inventory(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate_inventory(300))
    inventory = load_inventory(path)
    reached = {app.id: app_phase(app) for app in inventory.applications}

    rollout = estimate(inventory, [], 1)

    for item in rollout.by_phase:
        owing = [a for a in inventory.applications if reached[a.id] < item.phase]
        expected = sum(app_hours(app, item.phase) for app in owing)
        if owing and not any(value >= item.phase for value in reached.values()):
            expected += PLATFORM_HOURS[item.phase]
        assert item.apps == len(owing)
        assert item.hours == round(expected, 1)
