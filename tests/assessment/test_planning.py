"""Phases per app, the next phase and its wave."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.inventory import CONTROL_NAMES, Inventory
from assessment.planning import LAST_PHASE, app_phase, controls_ahead, next_phase
from assessment.risk import assess_risk
from tests.assessment.builders import ALL_CONTROLS, small, with_apps

APP_IDS = ("payroll", "wiki", "ci", "leave", "status")


def _plan(inventory: Inventory) -> tuple[int, list[str], list[str]]:
    result = next_phase(assess_risk(inventory), inventory.organisation.wave_size)
    return result.phase, result.wave, result.rationale


def test_app_phase_counts_phases_without_gaps() -> None:
    inventory = with_apps(
        small(),
        wiki={
            "controls": {
                "sso": True,
                "mfa": True,
                "access_proxy": True,
                "segmented": True,
            }
        },
        status={"controls": {"access_proxy": True, "access_logging": True}},
    )
    apps = inventory.apps_by_id

    assert app_phase(apps["payroll"]) == 1
    assert app_phase(apps["wiki"]) == 3
    assert app_phase(apps["status"]) == 0
    assert controls_ahead(apps["status"]) == ["access_proxy", "access_logging"]
    assert controls_ahead(apps["payroll"]) == ["access_logging"]


def test_crown_jewels_go_first_and_the_wave_respects_its_size() -> None:
    phase, wave, rationale = _plan(small())

    assert phase == 1
    assert wave == ["leave", "ci"]
    assert rationale[0].startswith("Phase 1 (identity) is next: 2 crown jewels lack it")
    assert any("2 more apps are ready for phase 1" in line for line in rationale)
    assert any("Legacy apps in the wave (ci)" in line for line in rationale)


def test_once_crown_jewels_have_every_phase_the_rest_follow() -> None:
    inventory = with_apps(
        small(),
        payroll={"controls": ALL_CONTROLS},
        leave={"controls": ALL_CONTROLS},
        ci={"controls": ALL_CONTROLS},
        wiki={"controls": {"sso": True, "mfa": True}},
    )

    phase, wave, rationale = _plan(inventory)

    assert (phase, wave) == (1, ["status"])
    assert "all 3 crown jewels have completed every phase" in rationale[0]


def test_no_phase_is_skipped_for_an_app_behind_the_others() -> None:
    inventory = with_apps(
        small(),
        payroll={"controls": {"sso": True, "mfa": True, "access_proxy": True}},
        leave={"controls": {"sso": True, "mfa": True, "access_proxy": True}},
        ci={"controls": {"sso": True, "mfa": True}},
    )

    phase, wave, _ = _plan(inventory)

    assert phase == 2
    assert wave == ["ci"]


def test_a_finished_rollout_recommends_keeping_phase_five() -> None:
    inventory = with_apps(
        small(), **{app: {"controls": ALL_CONTROLS} for app in APP_IDS}
    )

    phase, wave, rationale = _plan(inventory)

    assert (phase, wave) == (LAST_PHASE, [])
    assert "Every app has completed all 5 phases" in rationale[0]


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {app: st.sets(st.sampled_from(CONTROL_NAMES)) for app in APP_IDS}
    ),
    st.integers(min_value=1, max_value=5),
)
def test_prerequisites_hold_for_any_starting_point(
    controls: dict[str, set[str]], wave_size: int
) -> None:
    inventory = with_apps(
        small(),
        **{
            app: {"controls": {c: True for c in given}}
            for app, given in controls.items()
        },
    )
    risks = assess_risk(inventory)
    by_id = {risk.app.id: risk for risk in risks}
    phases = {app: app_phase(inventory.apps_by_id[app]) for app in APP_IDS}

    result = next_phase(risks, wave_size)

    assert 1 <= result.phase <= LAST_PHASE
    assert len(result.wave) <= wave_size
    if result.wave:
        assert all(phases[app] == result.phase - 1 for app in result.wave)
    pending_jewels = [
        a for a in APP_IDS if by_id[a].crown_jewel and phases[a] < LAST_PHASE
    ]
    if pending_jewels:
        assert result.phase == min(phases[a] for a in pending_jewels) + 1
    jewel_flags = [by_id[app].crown_jewel for app in result.wave]
    assert jewel_flags == sorted(jewel_flags, reverse=True)
    ready_jewels = [
        a for a in APP_IDS if by_id[a].crown_jewel and phases[a] == result.phase - 1
    ]
    if not all(jewel_flags):
        assert set(ready_jewels) <= set(result.wave)
    # Within the wave: crown jewels, then the rest, each by risk, ties by id,
    # and no ready app left out that ranks above one taken.
    ready = [r for r in risks if r.phase == result.phase - 1]
    expected = sorted(ready, key=lambda r: (not r.crown_jewel, -r.risk, r.app.id))
    assert result.wave == [r.app.id for r in expected[:wave_size]]
