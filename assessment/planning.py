"""The rollout phases, where each application stands, and what comes next.

Phases are cumulative: an app has reached phase k when it has the controls of
phases 1 to k. The next phase is the lowest one some crown jewel still lacks
(every app, once the crown jewels are done); its wave is the apps that have
reached the phase before it, crown jewels first, then by risk, up to the
organisation's wave size. An app therefore never skips a phase.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assessment.inventory import Application

if TYPE_CHECKING:
    from assessment.risk import AppRisk


@dataclass(frozen=True)
class Phase:
    """One rollout phase."""

    number: int
    name: str
    deploys: str
    controls: tuple[str, ...]
    """The inventory controls an app has once the phase reached it."""


PHASES: tuple[Phase, ...] = (
    Phase(0, "discover", "nothing: the inventory and its classification", ()),
    Phase(
        1,
        "identity",
        "the identity provider with MFA and an OIDC client per app",
        ("sso", "mfa"),
    ),
    Phase(
        2,
        "access",
        "an oauth2-proxy per app behind the gateway's external auth",
        ("access_proxy",),
    ),
    Phase(
        3,
        "segment",
        "default-deny NetworkPolicies with explicit allows",
        ("segmented",),
    ),
    Phase(
        4,
        "posture",
        "the device posture gate and conditional access",
        ("device_posture",),
    ),
    Phase(
        5,
        "monitor",
        "decision and audit logs shipped, access reviews",
        ("access_logging",),
    ),
)
LAST_PHASE = PHASES[-1].number


def app_phase(app: Application) -> int:
    """The highest phase ``app`` has completed, counting without gaps."""
    return phase_reached(app.controls.missing())


@functools.cache
def phase_reached(missing: tuple[str, ...]) -> int:
    """The highest phase an app lacking the controls ``missing`` has completed.

    Cached: there are only 64 combinations of controls.
    """
    reached = 0
    for phase in PHASES[1:]:
        if any(control in missing for control in phase.controls):
            break
        reached = phase.number
    return reached


def controls_ahead(app: Application) -> list[str]:
    """Controls ``app`` has beyond its phase: in place, but on a missing foundation."""
    reached = app_phase(app)
    return [
        control
        for phase in PHASES[reached + 2 :]
        for control in phase.controls
        if getattr(app.controls, control)
    ]


@dataclass(frozen=True)
class NextPhase:
    """The recommended next step of the rollout."""

    phase: int
    name: str
    wave: list[str]
    rationale: list[str]


def next_phase(risks: list[AppRisk], wave_size: int) -> NextPhase:
    """Pick the next phase and its wave.

    Args:
        risks: Every app's risk, ranked as :func:`assessment.risk.assess_risk`
            ranks them: highest first, ties by id.
        wave_size: How many apps one wave moves through a phase.
    """
    jewels = [risk for risk in risks if risk.crown_jewel]
    unfinished_jewels = [risk for risk in jewels if risk.phase < LAST_PHASE]
    unfinished = [risk for risk in risks if risk.phase < LAST_PHASE]

    if not unfinished:
        return NextPhase(
            LAST_PHASE,
            PHASES[LAST_PHASE].name,
            [],
            [
                f"Every app has completed all {LAST_PHASE} phases; keep the monitoring "
                "running and review access regularly.",
            ],
        )

    focus = unfinished_jewels or unfinished
    number = min(risk.phase for risk in focus) + 1
    phase = PHASES[number]
    ready = [risk for risk in risks if risk.phase == number - 1]
    # Crown jewels first, each part in the order of the ranking.
    wave = [risk for risk in ready if risk.crown_jewel][:wave_size]
    if len(wave) < wave_size:
        wave += [risk for risk in ready if not risk.crown_jewel][
            : wave_size - len(wave)
        ]

    rationale = [_why_this_phase(phase, focus, bool(unfinished_jewels), len(jewels))]
    rationale.append(
        f"The wave is {len(wave)} of the {len(ready)} apps that have completed phase "
        f"{number - 1}, crown jewels first, then by risk: "
        + ", ".join(
            f"{r.app.id} ({r.app.classification}, risk {r.risk:g})" for r in wave
        )
        + "."
    )
    if len(ready) > len(wave):
        rationale.append(
            f"{len(ready) - len(wave)} more apps are ready for phase {number} "
            f"and wait for the next wave (wave size {wave_size})."
        )
    behind = sum(1 for risk in risks if risk.phase < number - 1)
    if behind:
        rationale.append(
            f"{behind} apps have not completed phase {number - 1} yet; they "
            f"join phase {number} only after it, so no app skips a phase."
        )
    legacy = [r.app.id for r in wave if r.app.legacy]
    if legacy and number <= 2:
        rationale.append(
            f"Legacy apps in the wave ({', '.join(legacy)}) cannot speak OIDC; "
            "their sign-in and MFA come from the access proxy of phase 2."
        )
    ahead = [
        f"{risk.app.id} ({', '.join(controls_ahead(risk.app))})"
        for risk in wave
        if controls_ahead(risk.app)
    ]
    if ahead:
        rationale.append(
            f"{len(ahead)} apps in the wave already have controls of later "
            f"phases: {'; '.join(ahead)}. Those count once the phases below "
            "them are in place."
        )
    return NextPhase(number, phase.name, [risk.app.id for risk in wave], rationale)


def _why_this_phase(
    phase: Phase,
    focus: list[AppRisk],
    jewels_pending: bool,
    jewel_count: int,
) -> str:
    lacking = [risk.app.id for risk in focus if risk.phase < phase.number]
    who = "crown jewels" if jewels_pending else "apps"
    names = ", ".join(lacking[:5]) + (
        f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""
    )
    opening = f"Phase {phase.number} ({phase.name}) is next: {len(lacking)} {who} lack it ({names})"
    if not jewels_pending and jewel_count:
        opening += f"; all {jewel_count} crown jewels have completed every phase"
    return opening + f". It deploys {phase.deploys}."
