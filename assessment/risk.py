"""Risk per application and the crown-jewel rule.

``risk = 100 x impact x likelihood``, both factors between 0 and 1:

- impact = 0.60 x classification weight (public 0.1, internal 0.35,
  confidential 0.7, restricted 1.0)
  + 0.25 x user reach, log10(1 + users) / log10(1 + organisation users)
  + 0.15 x dependents, min(1, apps depending on it transitively / 5)
- likelihood = 0.25 + 0.75 x (weight of missing controls / weight of all
  controls), the weights being SSO 2, MFA 3, access proxy 2, segmentation 1.5,
  device posture 1.5, access logging 1.

An app with every control keeps a quarter of its impact as residual risk.

An application is a crown jewel when its ``crown_jewel`` field says so, or,
when that field is absent, when it is restricted, or confidential and either
used by at least a quarter of the organisation or depended on by at least
three other apps.
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass

from assessment.inventory import Application, Classification, Inventory
from assessment.planning import phase_reached

CLASSIFICATION_WEIGHT: dict[Classification, float] = {
    "public": 0.1,
    "internal": 0.35,
    "confidential": 0.7,
    "restricted": 1.0,
}
CONTROL_WEIGHT: dict[str, float] = {
    "sso": 2.0,
    "mfa": 3.0,
    "access_proxy": 2.0,
    "segmented": 1.5,
    "device_posture": 1.5,
    "access_logging": 1.0,
}
IMPACT_SHARES = (0.60, 0.25, 0.15)
RESIDUAL_LIKELIHOOD = 0.25
DEPENDENTS_FOR_FULL_WEIGHT = 5
CROWN_JEWEL_USER_SHARE = 0.25
CROWN_JEWEL_DEPENDENTS = 3


@dataclass(slots=True)
class AppRisk:
    """How much one application's compromise would hurt, and how likely it is.

    Also what the rest of the assessment asks of every app: the phase it has
    completed and the controls it lacks, worked out once here.
    """

    app: Application
    impact: float
    likelihood: float
    dependents: int
    crown_jewel: bool
    phase: int
    """The highest rollout phase the app has completed, counting without gaps."""
    missing_controls: tuple[str, ...]
    risk: float
    """The risk score, 0 to 100, one decimal."""


def app_risk(app: Application, dependents: int, organisation_users: int) -> AppRisk:
    """The risk of one application that ``dependents`` apps depend on."""
    missing = app.controls.missing()
    app_impact = impact(app, dependents, organisation_users)
    app_likelihood = _likelihood_without(missing)
    return AppRisk(
        app=app,
        impact=app_impact,
        likelihood=app_likelihood,
        dependents=dependents,
        crown_jewel=is_crown_jewel(app, dependents, organisation_users),
        phase=phase_reached(missing),
        missing_controls=missing,
        risk=round(100 * app_impact * app_likelihood, 1),
    )


def assess_risk(inventory: Inventory) -> list[AppRisk]:
    """Risk of every application, highest first (ties by id)."""
    organisation_users = inventory.organisation.users
    dependents = inventory.dependents_closure
    results = [
        app_risk(app, dependents.count(app.id), organisation_users)
        for app in inventory.applications
    ]
    # Two stable sorts by keys read in C, ids first: a reversed sort keeps
    # equal keys in their order too, so ties stay ordered by id.
    results.sort(key=_APP_ID)
    results.sort(key=_RISK, reverse=True)
    return results


_APP_ID = operator.attrgetter("app.id")
_RISK = operator.attrgetter("risk")


def impact(app: Application, dependents: int, organisation_users: int) -> float:
    """How much a compromise of ``app`` would hurt, 0 to 1."""
    classification_share, users_share, dependents_share = IMPACT_SHARES
    reach = math.log10(1 + app.users) / math.log10(1 + organisation_users)
    spread = min(1.0, dependents / DEPENDENTS_FOR_FULL_WEIGHT)
    return (
        classification_share * CLASSIFICATION_WEIGHT[app.classification]
        + users_share * min(1.0, reach)
        + dependents_share * spread
    )


def likelihood(app: Application) -> float:
    """How exposed ``app`` is, from the controls it lacks, 0.25 to 1."""
    return _likelihood_without(app.controls.missing())


@functools.cache
def _likelihood_without(missing: tuple[str, ...]) -> float:
    weight = sum(CONTROL_WEIGHT[name] for name in missing)
    return (
        RESIDUAL_LIKELIHOOD + (1 - RESIDUAL_LIKELIHOOD) * weight / _ALL_CONTROLS_WEIGHT
    )


_ALL_CONTROLS_WEIGHT = sum(CONTROL_WEIGHT.values())


def is_crown_jewel(app: Application, dependents: int, organisation_users: int) -> bool:
    """Whether ``app`` goes first in every wave."""
    if app.crown_jewel is not None:
        return app.crown_jewel
    if app.classification == "restricted":
        return True
    if app.classification == "confidential":
        return (
            app.users >= CROWN_JEWEL_USER_SHARE * organisation_users
            or dependents >= CROWN_JEWEL_DEPENDENTS
        )
    return False
