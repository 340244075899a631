"""The HTML leadership report, rendered from a real assessment of test data."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from assessment.answers import Answers
from assessment.assess import run_assessment
from assessment.inventory import load_inventory
from assessment.maturity_model import load_model
from assessment.report_html import render_html

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def assessment() -> dict[str, Any]:
    """The small test organisation, assessed with no answers."""
    result = run_assessment(
        load_inventory(DATA / "small-inventory.yaml"), load_model(), Answers()
    )
    return result.as_json()


def _history_entry(
    assessment: dict[str, Any], assessed_on: str, score: float
) -> dict[str, Any]:
    """A saved assessment shaped like the ones ``ztkit assess --save`` writes."""
    return {
        "assessed_on": assessed_on,
        "saved_at": f"{assessed_on}T10:00:00+00:00",
        "overall": {"stage": "traditional", "score": score},
        "pillars": [
            {"id": p["id"], "name": p["name"], "stage": "traditional", "score": score}
            for p in assessment["pillars"]
        ],
        "cross_cutting": [],
        "next_phase": {"phase": 1, "name": "identity", "wave": ["payroll"]},
    }


class _References(HTMLParser):
    """Collects every tag that could make the browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("src", "href", "xlink:href", "srcset", "data"):
            if attributes.get(name):
                self.urls.append(str(attributes[name]))
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "link":
            self.links.append(attributes)


def test_report_loads_nothing_from_outside(assessment: dict[str, Any]) -> None:
    html = render_html(assessment, [_history_entry(assessment, "2026-01-05", 1.0)])
    parser = _References()
    parser.feed(html)

    assert parser.urls == []
    assert parser.scripts == []
    assert parser.links == []
    assert "@import" not in html
    assert not re.search(r"url\(", html)
    # The only URL allowed is the SVG namespace, which browsers never fetch.
    for url in re.findall(r"https?://[^\s\"'<>]+", html):
        assert url == "http://www.w3.org/2000/svg"


def test_report_names_every_pillar_and_capability(assessment: dict[str, Any]) -> None:
    html = render_html(assessment, [])

    for item in [*assessment["pillars"], *assessment["cross_cutting"]]:
        assert item["name"] in html
    assert "Maturity by pillar" in html
    assert assessment["organisation"]["name"] in html


def test_report_shows_the_wave_and_every_reason(assessment: dict[str, Any]) -> None:
    html = render_html(assessment, [])
    wave_list = re.search(r'<ul class="wave">(.*?)</ul>', html, flags=re.DOTALL)

    assert wave_list
    wave = re.findall(r"<li[^>]*>([^<]*)</li>", wave_list.group(1))
    assert wave == assessment["next_phase"]["wave"] == ["leave", "ci"]
    for reason in assessment["next_phase"]["rationale"]:
        assert _escaped(reason) in html


def test_report_escapes_a_hostile_app_name(assessment: dict[str, Any]) -> None:
    hostile = copy.deepcopy(assessment)
    hostile["apps"][0]["name"] = "<script>alert(1)</script>"
    hostile["organisation"]["name"] = 'Evil "Corp" <b>'

    html = render_html(hostile, [])

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html


def test_chart_text_is_escaped(assessment: dict[str, Any]) -> None:
    hostile = copy.deepcopy(assessment)
    hostile["pillars"][0]["name"] = "<img src=x onerror=alert(1)>"

    html = render_html(hostile, [_history_entry(hostile, "2026-01-05", 1.0)])

    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_every_svg_has_a_title(assessment: dict[str, Any]) -> None:
    html = render_html(assessment, [_history_entry(assessment, "2026-01-05", 1.0)])
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)

    assert len(svgs) >= 4
    for svg in svgs:
        assert re.match(r"<svg\b[^>]*><title>[^<]+</title>", svg)


def test_trend_draws_lines_from_two_saved_assessments(
    assessment: dict[str, Any],
) -> None:
    history = [
        _history_entry(assessment, "2026-01-05", 1.0),
        _history_entry(assessment, "2026-06-01", 1.01),
    ]

    html = render_html(assessment, history)
    trend = _section(html, "trend")

    # One line for the overall score and one for each pillar.
    assert trend.count("<polyline") == 1 + len(assessment["pillars"])
    assert "at least two saved assessments" not in trend
    assert "2026-01-05" in trend


def test_trend_adds_the_current_assessment_as_the_last_point(
    assessment: dict[str, Any],
) -> None:
    html = render_html(assessment, [_history_entry(assessment, "2026-01-05", 1.0)])
    trend = _section(html, "trend")

    assert "<polyline" in trend
    assert assessment["assessed_on"] in trend


def test_trend_does_not_repeat_a_saved_current_assessment(
    assessment: dict[str, Any],
) -> None:
    history = [_history_entry(assessment, assessment["assessed_on"], 1.0)]

    trend = _section(render_html(assessment, history), "trend")

    assert "<polyline" not in trend
    assert "at least two saved assessments" in trend


@pytest.mark.parametrize("saved", [0, 1])
def test_trend_needs_two_points(assessment: dict[str, Any], saved: int) -> None:
    history = [_history_entry(assessment, assessment["assessed_on"], 1.0)][:saved]

    trend = _section(render_html(assessment, history), "trend")

    assert "<polyline" not in trend
    assert "at least two saved assessments" in trend
    assert "ztkit assess --save" in trend


def test_over_budget_is_marked(assessment: dict[str, Any]) -> None:
    rollout = assessment["rollout"]
    assert rollout["cost_usd"] > rollout["budget_usd"]

    section = _section(render_html(assessment, []), "rollout")

    assert "Over budget by" in section
    assert 'class="chart chart-comparison over"' in section
    assert "#c0392b" in section


def test_within_budget_is_not_marked(assessment: dict[str, Any]) -> None:
    generous = copy.deepcopy(assessment)
    generous["rollout"]["budget_usd"] = generous["rollout"]["cost_usd"] * 2

    section = _section(render_html(generous, []), "rollout")

    assert "Over budget" not in section
    assert "Within budget" in section


def test_conflicts_fall_back_to_a_sentence(assessment: dict[str, Any]) -> None:
    assert assessment["conflicts"] == []

    assert "No conflicts" in _section(render_html(assessment, []), "conflicts")


def test_risk_ranking_counts_crown_jewels(assessment: dict[str, Any]) -> None:
    jewels = sum(1 for app in assessment["apps"] if app["crown_jewel"])

    section = _section(render_html(assessment, []), "risk")

    assert f"{jewels} crown jewels of {len(assessment['apps'])} apps" in section
    assert 'class="pill restricted"' in section


def _section(html: str, section_id: str) -> str:
    match = re.search(
        rf'<section id="{section_id}">(.*?)</section>', html, flags=re.DOTALL
    )
    assert match, f"no section {section_id!r}"
    return match.group(1)


def _escaped(text: str) -> str:
    """``text`` as Jinja's autoescape writes it."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def test_every_evidence_item_is_listed_with_its_source() -> None:
    import datetime

    from assessment.answers import Answers
    from assessment.assess import run_assessment
    from assessment.evidence import CollectedEvidence, EvidenceItem
    from assessment.inventory import load_inventory
    from assessment.maturity_model import Stage, load_model
    from tests.conftest import DATA

    collected = CollectedEvidence(
        path=DATA / "aws.json",
        collector="aws",
        collected_at=datetime.datetime(2026, 12, 1),
        scope="account 1",
        warnings=[],
        items=[
            EvidenceItem(
                "identity/authentication",
                "fail",
                Stage.TRADITIONAL,
                "iam user <bob>",
                "console user <bob> has no MFA",
                "aws (aws.json)",
            )
        ],
    )
    result = run_assessment(
        load_inventory(DATA / "small-inventory.yaml"),
        load_model(),
        Answers(),
        [collected],
    ).as_json()

    html = render_html(result, [])

    assert 'id="evidence"' in html
    assert "console user &lt;bob&gt; has no MFA" in html
    assert "aws (aws.json)" in html
    assert html.count('<td class="id">identity/authentication</td>') == 2
