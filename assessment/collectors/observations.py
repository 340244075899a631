"""What a collector saw, and the table of rules that judges it.

Collectors keep facts and judgement apart. A check records an
:class:`Observation`: this resource passed or failed this check. A table of
:class:`Rule` rows, one per check, says which maturity function the check
speaks to and which stage a pass shows or a failure caps. Reading the table is
reading the collector's judgement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assessment.maturity_model import Stage

NAMES_SHOWN = 5


@dataclass(frozen=True)
class Rule:
    """How one check maps to the maturity model."""

    function: str
    """The ``pillar/function`` key the check speaks to."""
    passed: Stage
    """The stage a pass shows the function has reached."""
    failed: Stage
    """The highest stage the function can have while the check fails."""
    why: str
    """One sentence on why the check speaks to that function at those stages."""


@dataclass(frozen=True)
class Observation:
    """One resource (or one set of resources) passing or failing one check."""

    check: str
    passed: bool
    resource: str
    finding: str


@dataclass(frozen=True)
class Gap:
    """Something a collector could not check, and why."""

    check: str
    reason: str


@dataclass
class Findings:
    """Everything one collector run has observed, and what it could not check."""

    observations: list[Observation] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    def observe(self, check: str, passed: bool, resource: str, finding: str) -> None:
        """Record that ``resource`` passed or failed ``check``."""
        self.observations.append(Observation(check, passed, resource, finding))

    def gap(self, check: str, reason: str) -> None:
        """Record that ``check`` was not (fully) checked, and why."""
        entry = Gap(check, one_line(reason))
        if entry not in self.gaps:
            self.gaps.append(entry)

    def failures(self, *checks: str) -> list[Observation]:
        """The failing observations of ``checks``."""
        return [o for o in self.observations if o.check in checks and not o.passed]


def judge(
    observations: Iterable[Observation], rules: Mapping[str, Rule]
) -> list[dict[str, str]]:
    """Turn observations into evidence items, in the evidence file's format.

    A pass never claims more than a failure for the same function allows, so
    one evidence file never contradicts itself: with root lacking MFA, "every
    console user has MFA" still counts, but only as far as Traditional.

    Raises:
        KeyError: an observation names a check the table does not have; a
            programming error, caught by the tests.
    """
    observations = list(observations)
    caps: dict[str, Stage] = {}
    for observation in observations:
        rule = rules[observation.check]
        if not observation.passed:
            caps[rule.function] = min(rule.failed, caps.get(rule.function, rule.failed))

    items: list[dict[str, str]] = []
    for observation in observations:
        rule = rules[observation.check]
        if observation.passed:
            stage = min(rule.passed, caps.get(rule.function, rule.passed))
        else:
            stage = rule.failed
        items.append(
            {
                "function": rule.function,
                "status": "pass" if observation.passed else "fail",
                "stage": stage.id,
                "resource": one_line(observation.resource),
                "finding": one_line(observation.finding),
            }
        )
    return items


def listing(names: Sequence[str], shown: int = NAMES_SHOWN) -> str:
    """``a, b, c`` or ``a, b, c, d, e and 7 more``."""
    text = ", ".join(names[:shown])
    if len(names) > shown:
        text += f" and {len(names) - shown} more"
    return text


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 bucket``, ``3 buckets``, ``2 policies`` (with ``many``)."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {many or noun + 's'}"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, newlines included, made one space."""
    return " ".join(text.split()) or "-"
