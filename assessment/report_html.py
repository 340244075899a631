"""The leadership report: one self-contained HTML file that opens offline.

The report renders from the plain dicts of ``Assessment.as_json()`` and the
saved history, so it can be rebuilt from a JSON file without the models. It
loads nothing from the network: the styles are inline and the charts are SVG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from assessment.charts import (
    CAPABILITY_COLOUR,
    PILLAR_COLOUR,
    STAGE_LABELS,
    Bar,
    BarGroup,
    Series,
    comparison_chart,
    pillar_chart,
    risk_bar,
    trend_chart,
)

TOP_APPS = 15
"""How many of the riskiest apps the ranking shows."""
STAGE_IDS = ("traditional", "initial", "advanced", "optimal")


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("assessment", "templates"),
        autoescape=True,
        # A missing key should fail the tests, not print an empty cell.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["stage"] = stage_label
    environment.filters["money"] = _money
    environment.filters["amount"] = _amount
    environment.filters["score"] = _score
    environment.filters["control"] = _control
    return environment


def render_html(assessment: dict[str, Any], history: list[dict[str, Any]]) -> str:
    """Render the leadership report as one HTML page.

    Args:
        assessment: The current assessment, as ``Assessment.as_json()`` gives it.
        history: Saved assessments, oldest first, each with ``assessed_on``,
            ``overall`` and ``pillars`` scores; the trend chart is drawn from
            them and the current assessment.

    Returns:
        A complete HTML document with inline styles and SVG charts and no
        external references.
    """
    target_score = _stage_score(assessment["target_stage"])
    apps = assessment["apps"]
    template = _environment().get_template("report.html.j2")
    return template.render(
        a=assessment,
        target_label=stage_label(assessment["target_stage"]),
        target_score=target_score,
        pillar_chart=_pillar_chart(assessment),
        score_rows=_score_rows(assessment, target_score),
        top_apps=[
            {**app, "risk_bar": risk_bar(app["risk"])} for app in apps[:TOP_APPS]
        ],
        crown_jewels=sum(1 for app in apps if app["crown_jewel"]),
        phase_names=_phase_names(assessment),
        trend_chart=_trend_chart(assessment, history),
        rollout=_rollout(assessment["rollout"]),
        evidence=_evidence(assessment),
    )


def _evidence(assessment: dict[str, Any]) -> list[dict[str, Any]]:
    """Every evidence item, in the model's order of functions."""
    rows = [*assessment["pillars"], *assessment["cross_cutting"]]
    return [
        item
        for row in rows
        for function in row["functions"]
        for item in function["evidence"]
    ]


def stage_label(stage_id: str | None) -> str:
    """The name people read for a stage id: ``advanced`` gives ``Advanced``."""
    if stage_id is None:
        return "—"
    if stage_id in STAGE_IDS:
        return STAGE_LABELS[STAGE_IDS.index(stage_id)]
    return stage_id.capitalize()


def _stage_score(stage_id: str) -> int:
    return STAGE_IDS.index(stage_id) + 1


def _money(value: float) -> str:
    return f"${value:,.0f}"


def _amount(value: float) -> str:
    """A number without a trailing ``.0``: 983.0 gives 983, 48.5 stays."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _score(value: float) -> str:
    return f"{value:.2f}"


def _control(control: str) -> str:
    return control.replace("_", " ")


def _pillar_chart(assessment: Mapping[str, Any]) -> Markup:
    groups = (
        BarGroup(
            "Pillars",
            [Bar(pillar["name"], pillar["score"]) for pillar in assessment["pillars"]],
            PILLAR_COLOUR,
        ),
        BarGroup(
            "Cross-cutting capabilities",
            [Bar(item["name"], item["score"]) for item in assessment["cross_cutting"]],
            CAPABILITY_COLOUR,
        ),
    )
    target = assessment["target_stage"]
    return pillar_chart(groups, _stage_score(target), stage_label(target))


def _score_rows(
    assessment: Mapping[str, Any], target_score: int
) -> list[dict[str, Any]]:
    """Table rows for every pillar and capability, with the gap to the target."""
    rows: list[dict[str, Any]] = []
    for group, items in (
        ("Pillars", assessment["pillars"]),
        ("Cross-cutting capabilities", assessment["cross_cutting"]),
    ):
        for item in items:
            rows.append(
                {
                    "group": group,
                    "name": item["name"],
                    "stage": item["stage"],
                    "score": item["score"],
                    "gap": max(0.0, round(target_score - item["score"], 2)),
                }
            )
    return rows


def _phase_names(assessment: Mapping[str, Any]) -> dict[int, str]:
    """Phase names by number, from the data, so the report needs no plan module."""
    names = {0: "discover"}
    names.update(
        {item["phase"]: item["name"] for item in assessment["rollout"]["by_phase"]}
    )
    names[assessment["next_phase"]["phase"]] = assessment["next_phase"]["name"]
    return names


def _trend_chart(
    assessment: Mapping[str, Any], history: Sequence[Mapping[str, Any]]
) -> Markup | None:
    """The score trend, or ``None`` when there are fewer than two points."""
    entries = list(history)
    if not entries or entries[-1].get("assessed_on") != assessment["assessed_on"]:
        entries.append(assessment)
    if len(entries) < 2:
        return None

    series = [
        Series(
            "Overall",
            [(entry.get("overall") or {}).get("score") for entry in entries],
            emphasis=True,
        )
    ]
    for pillar in assessment["pillars"]:
        series.append(
            Series(
                pillar["name"],
                [_pillar_score(entry, pillar["id"]) for entry in entries],
            )
        )
    return trend_chart([str(entry["assessed_on"]) for entry in entries], series)


def _pillar_score(entry: Mapping[str, Any], pillar_id: str) -> float | None:
    # Older saves may lack a pillar; the chart leaves a gap rather than guess.
    for pillar in entry.get("pillars") or ():
        if pillar.get("id") == pillar_id:
            score: float | None = pillar.get("score")
            return score
    return None


def _rollout(rollout: Mapping[str, Any]) -> dict[str, Any]:
    """The rollout section's values and its two comparison charts."""
    cost, budget = rollout["cost_usd"], rollout["budget_usd"]
    months, target_months = rollout["months"], rollout["target_months"]
    return {
        **rollout,
        "over_budget": cost > budget,
        "over_timeline": months > target_months,
        "cost_chart": comparison_chart(
            "Estimated cost of the remaining rollout against the budget",
            "Estimated cost",
            cost,
            "Budget",
            budget,
            (_money(cost), _money(budget)),
        ),
        "time_chart": comparison_chart(
            "Estimated duration of the remaining rollout against the target",
            "Estimated duration",
            months,
            "Target",
            target_months,
            (f"{_amount(months)} months", f"{_amount(target_months)} months"),
        ),
    }
