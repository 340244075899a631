"""How answers and evidence combine into stages and scores."""

from __future__ import annotations

from statistics import fmean

from assessment.answers import Answer, Answers
from assessment.evidence import EvidenceItem
from assessment.maturity_model import Stage, load_model
from assessment.scoring import judge, score

KEY = "identity/authentication"


def _item(status: str, stage: Stage, finding: str = "a fact") -> EvidenceItem:
    return EvidenceItem(KEY, status, stage, "resource", finding, "test")  # type: ignore[arg-type]


def _judge(answered: Stage | None, *items: EvidenceItem):  # type: ignore[no-untyped-def]
    return judge(KEY, "authentication", "Authentication", answered, None, list(items))


def test_answer_stands_without_evidence() -> None:
    result = _judge(Stage.ADVANCED)

    assert (result.stage, result.conflict) == (Stage.ADVANCED, None)


def test_failing_evidence_caps_an_optimistic_answer_and_says_so() -> None:
    result = _judge(Stage.ADVANCED, _item("fail", Stage.TRADITIONAL, "3 apps lack MFA"))

    assert result.stage is Stage.TRADITIONAL
    assert result.conflict == (
        "answered Advanced, but evidence caps it at Traditional: 3 apps lack MFA [test]"
    )


def test_passing_evidence_raises_a_modest_answer_and_says_so() -> None:
    result = _judge(
        Stage.TRADITIONAL, _item("pass", Stage.INITIAL, "all apps have MFA")
    )

    assert result.stage is Stage.INITIAL
    assert result.conflict is not None and "shows at least Initial" in result.conflict


def test_evidence_raises_an_unanswered_function_without_a_conflict() -> None:
    result = _judge(None, _item("pass", Stage.INITIAL))

    assert (result.stage, result.conflict) == (Stage.INITIAL, None)


def test_agreeing_evidence_is_kept_but_changes_nothing() -> None:
    result = _judge(
        Stage.INITIAL, _item("pass", Stage.INITIAL), _item("fail", Stage.ADVANCED)
    )

    assert (result.stage, result.conflict) == (Stage.INITIAL, None)
    assert len(result.evidence) == 2


def test_contradictory_evidence_is_shown_and_the_lower_stage_wins() -> None:
    result = _judge(
        Stage.ADVANCED,
        _item("pass", Stage.ADVANCED, "collector A"),
        _item("fail", Stage.INITIAL, "collector B"),
    )

    assert result.stage is Stage.INITIAL
    assert result.conflict is not None
    assert result.conflict.startswith(
        "evidence disagrees: collector A [test] shows Advanced"
    )


def test_pillar_overall_and_capability_aggregation() -> None:
    model = load_model()
    answers = Answers(
        {
            "identity/authentication": Answer(Stage.OPTIMAL),
            "identity/identity-stores": Answer(Stage.ADVANCED),
            "devices/visibility-analytics": Answer(Stage.OPTIMAL),
            "cross_cutting/governance": Answer(Stage.INITIAL),
        }
    )

    scores = score(model, answers, [])

    identity = scores.pillars[0]
    assert identity.score == round((4 + 3 + 1 + 1 + 1 + 1 + 1) / 7, 2) == 1.71
    assert identity.stage is Stage.TRADITIONAL
    assert scores.overall_score == round(fmean(p.score for p in scores.pillars), 2)
    capabilities = {c.id: c for c in scores.cross_cutting}
    assert capabilities["governance"].score == 2.0
    # Unanswered, visibility takes the mean of the five pillars' visibility rows.
    assert capabilities["visibility-analytics"].score == round(
        (1 + 4 + 1 + 1 + 1) / 5, 2
    )


def test_conflicts_are_listed_in_model_order() -> None:
    model = load_model()
    answers = Answers(
        {KEY: Answer(Stage.OPTIMAL), "data/data-encryption": Answer(Stage.OPTIMAL)}
    )
    evidence = [
        EvidenceItem(
            "data/data-encryption", "fail", Stage.INITIAL, "db", "plain", "test"
        ),
        _item("fail", Stage.INITIAL),
    ]

    conflicts = score(model, answers, evidence).conflicts()

    assert [row.key for row in conflicts] == [KEY, "data/data-encryption"]
