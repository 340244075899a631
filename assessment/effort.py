"""The effort, cost and duration of the rest of the rollout.

Every app still owes the phases above the one it has reached. Each phase costs
engineering hours per app, plus a one-off platform setup the first time any
app enters it. Hours are priced at the organisation's hourly rate and spread
over the team's monthly hours.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter
from dataclasses import dataclass

from assessment.inventory import Application, Classification, Inventory
from assessment.planning import LAST_PHASE, PHASES, app_phase

PLATFORM_HOURS = {1: 60.0, 2: 24.0, 3: 24.0, 4: 80.0, 5: 40.0}
"""One-off work per phase: the IdP and MFA enrolment, gateway external auth,
the base policies, the device CA with the MDM feed and the gate, the log
pipeline and access reviews."""
HOURS_PER_APP = {1: 3.0, 2: 4.0, 3: 4.0, 4: 3.0, 5: 2.0}
LEGACY_HOURS = {1: -2.0, 2: 8.0}
"""A legacy app gets only a client in phase 1, but its proxy integration in
phase 2 needs header-based sign-in and testing."""
HOURS_PER_DEPENDENCY = 1.5
"""Phase 3: each declared dependency needs an allow rule and a test."""
RESTRICTED_POSTURE_HOURS = 2.0
"""Phase 4: restricted apps need their stricter access policy tested."""


def app_hours(app: Application, phase: int) -> float:
    """Engineering hours to take ``app`` through ``phase``."""
    return hours_for(phase, app.legacy, app.classification, len(app.depends_on))


def hours_for(
    phase: int, legacy: bool, classification: Classification, dependencies: int
) -> float:
    """Engineering hours to take an app with these traits through ``phase``."""
    hours = HOURS_PER_APP[phase]
    if legacy:
        hours += LEGACY_HOURS.get(phase, 0.0)
    if phase == 3:
        hours += HOURS_PER_DEPENDENCY * dependencies
    if phase == 4 and classification == "restricted":
        hours += RESTRICTED_POSTURE_HOURS
    return hours


@dataclass(frozen=True)
class PhaseEffort:
    """The remaining work of one phase."""

    phase: int
    name: str
    apps: int
    hours: float


@dataclass(frozen=True)
class RolloutEstimate:
    """The rest of the rollout against the organisation's budget and timeline."""

    by_phase: list[PhaseEffort]
    hours: float
    cost_usd: float
    months: float
    budget_usd: float
    hourly_rate_usd: float
    target_months: int
    wave_hours: float
    start: datetime.date | None

    @property
    def within_budget(self) -> bool:
        """Whether the remaining cost fits the budget."""
        return self.cost_usd <= self.budget_usd

    @property
    def within_timeline(self) -> bool:
        """Whether the remaining work fits the target timeline."""
        return self.months <= self.target_months

    @property
    def budget_reaches(self) -> int:
        """The last phase the budget pays for in full, every app included (0: none)."""
        spent = 0.0
        reached = 0
        for item in self.by_phase:
            spent += item.hours * self.hourly_rate_usd
            if spent > self.budget_usd:
                break
            reached = item.phase
        return reached

    @property
    def finish(self) -> datetime.date | None:
        """The estimated finish date, when the organisation gives a start date."""
        if self.start is None:
            return None
        return self.start + datetime.timedelta(days=math.ceil(self.months * 30.44))


def estimate(
    inventory: Inventory,
    wave: list[str],
    wave_phase: int,
) -> RolloutEstimate:
    """Estimate the remaining rollout, and the next wave on its own.

    Args:
        inventory: The apps still to roll out.
        wave: The ids of the apps in the next wave.
        wave_phase: The phase the wave goes through.
    """
    organisation = inventory.organisation
    # Apps alike in everything the hours depend on are counted together:
    # the hours are multiples of half an hour, so the sums stay exact.
    alike = Counter(
        (app_phase(app), app.legacy, app.classification, len(app.depends_on))
        for app in inventory.applications
    )
    hours = dict.fromkeys(PLATFORM_HOURS, 0.0)
    owing = dict.fromkeys(PLATFORM_HOURS, 0)
    for (app_reached, legacy, classification, dependencies), count in alike.items():
        for number in range(app_reached + 1, LAST_PHASE + 1):
            app_hours_here = hours_for(number, legacy, classification, dependencies)
            hours[number] += count * app_hours_here
            owing[number] += count
    highest_reached = max(reached for reached, *_ in alike)

    by_phase = []
    for phase in PHASES[1:]:
        phase_hours = hours[phase.number]
        started = highest_reached >= phase.number
        if owing[phase.number] and not started:
            phase_hours += PLATFORM_HOURS[phase.number]
        by_phase.append(
            PhaseEffort(
                phase.number, phase.name, owing[phase.number], round(phase_hours, 1)
            )
        )

    total = round(sum(item.hours for item in by_phase), 1)
    wave_hours = sum(
        app_hours(inventory.apps_by_id[app_id], wave_phase) for app_id in wave
    )
    if wave and wave_phase <= LAST_PHASE and highest_reached < wave_phase:
        wave_hours += PLATFORM_HOURS[wave_phase]
    return RolloutEstimate(
        by_phase=by_phase,
        hours=total,
        cost_usd=round(total * organisation.hourly_rate_usd, 2),
        months=round(total / organisation.team_hours_per_month, 2),
        budget_usd=organisation.budget_usd,
        hourly_rate_usd=organisation.hourly_rate_usd,
        target_months=organisation.target_months,
        wave_hours=round(wave_hours, 1),
        start=organisation.start,
    )
