"""The security lead's answers: a stage, and an optional note, per function."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessment.document import Document, did_you_mean
from assessment.errors import AnswersError
from assessment.maturity_model import CROSS_CUTTING, MaturityModel, Stage

_HEADER_FIELDS = ("assessed_by", "date")
_ANSWER_FIELDS = ("stage", "note")


@dataclass(frozen=True)
class Answer:
    """One function's answer."""

    stage: Stage
    note: str | None = None


@dataclass(frozen=True)
class Answers:
    """Every answer given, keyed ``pillar/function``; unanswered keys are absent."""

    by_function: dict[str, Answer] = field(default_factory=dict)
    assessed_by: str | None = None
    date: datetime.date | None = None


def load_answers(path: Path | str, model: MaturityModel) -> Answers:
    """Read an answers file and check every key and stage against the model.

    The file holds one mapping per pillar id (and ``cross_cutting``), each
    mapping a function id to ``{stage, note}`` or to a bare stage name.

    Raises:
        AnswersError: naming the file, line, field and the bad value.
    """
    document = Document.read(path, AnswersError)
    data = document.data
    if data is None:
        return Answers()
    if not isinstance(data, dict):
        raise document.error(
            (),
            f"{type(data).__name__} found; the answers file must be "
            "a mapping of pillar ids to answers",
        )

    sections = {pillar.id: {f.id for f in pillar.functions} for pillar in model.pillars}
    sections[CROSS_CUTTING] = {capability.id for capability in model.cross_cutting}
    answers: dict[str, Answer] = {}
    for key, value in data.items():
        if key in _HEADER_FIELDS:
            continue
        if key not in sections:
            raise document.error(
                (key,),
                _unknown("pillar", key, [*_HEADER_FIELDS, *sections]),
                at_key=True,
            )
        if value is None:
            continue
        if not isinstance(value, dict):
            raise document.error(
                (key,), f"{value!r} is not a mapping of function ids to answers"
            )
        for function_id, answer in value.items():
            if function_id not in sections[key]:
                raise document.error(
                    (key, function_id),
                    _unknown(f"function of {key}", function_id, sections[key]),
                    at_key=True,
                )
            answers[f"{key}/{function_id}"] = _parse_answer(
                document, (key, function_id), answer
            )

    return Answers(
        by_function=answers,
        assessed_by=_optional_text(document, data, "assessed_by"),
        date=_optional_date(document, data),
    )


def _parse_answer(document: Document, where: tuple[str, str], value: Any) -> Answer:
    if isinstance(value, str):
        return Answer(_parse_stage(document, where, value))
    if not isinstance(value, dict):
        raise document.error(
            where, f"{value!r} is not a stage name or a mapping with 'stage' and 'note'"
        )
    for key in value:
        if key not in _ANSWER_FIELDS:
            raise document.error(
                (*where, key),
                _unknown("answer field", str(key), _ANSWER_FIELDS),
                at_key=True,
            )
    if "stage" not in value:
        raise document.error(where, "required field 'stage' is missing")
    note = value.get("note")
    if note is not None and not isinstance(note, str):
        raise document.error((*where, "note"), f"{note!r} is not text")
    return Answer(
        _parse_stage(document, (*where, "stage"), value["stage"]), note or None
    )


def _parse_stage(document: Document, where: tuple[str, ...], value: Any) -> Stage:
    allowed = [stage.id for stage in Stage]
    if not isinstance(value, str) or value.lower() not in allowed:
        raise document.error(
            where, f"{value!r} is not a stage; expected one of {', '.join(allowed)}"
        )
    return Stage.from_id(value.lower())


def _optional_text(document: Document, data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise document.error((key,), f"{value!r} is not text")
    return value


def _optional_date(document: Document, data: dict[str, Any]) -> datetime.date | None:
    value = data.get("date")
    if value is None or (
        isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    ):
        return value
    raise document.error(("date",), f"{value!r} is not a date (YYYY-MM-DD)")


def _unknown(what: str, value: object, known: Iterable[str]) -> str:
    return f"unknown {what} {value!r}; {did_you_mean(value, known)}"
