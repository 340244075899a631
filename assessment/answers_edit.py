"""Saving one answer to the answers file, keeping its comments.

The security lead answers the questionnaire one function at a time in the
TUI, and each answer is saved at once. The file stays the lead's own: its
comments, order and quoting survive, and the edited text is re-loaded with
:func:`assessment.answers.load_answers` before it replaces the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from assessment.answers import Answers, load_answers
from assessment.document import did_you_mean, read_text
from assessment.errors import AnswersError
from assessment.inventory_edit import (
    dump_round_trip,
    insert_after,
    load_round_trip,
    replace_if_unchanged,
    replace_value,
    round_trip_yaml,
    validate_before_write,
)
from assessment.maturity_model import CROSS_CUTTING, MaturityModel, Stage, load_model


class AnswersEditError(AnswersError):
    """An answer cannot be saved to the answers file."""


def save_answer(
    path: Path,
    key: str,
    stage: Stage,
    note: str | None,
    model: MaturityModel | None = None,
) -> Answers:
    """Save the answer for ``key`` (``pillar/function``) to the answers file.

    The function's entry gets the new stage; a note replaces the one written
    (``None`` or blank text removes it). A missing entry or pillar section is
    added in the model's order, and a missing file is created. An entry with
    a note is written as a block mapping, one without as ``{stage: ...}``,
    like the bundled sample.

    Returns:
        The answers as the file now reads, validated.

    Raises:
        AnswersEditError: when ``key`` is not a function of the model, or the
            file changed on disk while it was being edited.
        AnswersError: when the file, or the file as edited, is invalid.
    """
    model = model or load_model()
    if key not in model.function_keys():
        raise AnswersEditError(
            path,
            f"unknown function {key!r}; {did_you_mean(key, model.function_keys())}",
        )
    section_id, _, function_id = key.partition("/")
    note = (note or "").strip() or None

    original = read_text(path, AnswersError) if path.exists() else None
    yaml = round_trip_yaml(original or "")
    document = load_round_trip(path, yaml, original or "", AnswersError)
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise AnswersEditError(
            path, "the answers file must be a mapping of pillar ids to answers"
        )

    section = document.get(section_id)
    if not isinstance(section, CommentedMap):
        if section is not None:
            raise AnswersEditError(
                path, f"{section!r} is not a mapping of answers", field=section_id
            )
        section = CommentedMap()
        _put(document, section_id, section, _section_order(model))
    _write_entry(section, function_id, stage, note, _function_order(model, section_id))

    edited = dump_round_trip(yaml, document)
    answers = validate_before_write(path, edited, lambda p: load_answers(p, model))
    replace_if_unchanged(path, original, edited, AnswersEditError)
    return answers


def _write_entry(
    section: CommentedMap,
    function_id: str,
    stage: Stage,
    note: str | None,
    order: list[str],
) -> None:
    entry = section.get(function_id)
    if not isinstance(entry, CommentedMap):
        if note is None and isinstance(entry, str):
            # A bare stage name stays a bare stage name.
            section[function_id] = stage.id
            return
        fresh = _new_entry(stage, note)
        if function_id in section:
            replace_value(section, function_id, fresh)
        else:
            _put(section, function_id, fresh, order)
        return

    entry["stage"] = stage.id
    if note is None:
        entry.pop("note", None)
        return
    if "note" in entry:
        entry["note"] = DoubleQuotedScalarString(note)
    else:
        insert_after(entry, "stage", "note", DoubleQuotedScalarString(note))
    if entry.fa.flow_style():
        block = CommentedMap(entry.items())
        replace_value(section, function_id, block)


def _new_entry(stage: Stage, note: str | None) -> CommentedMap:
    entry = CommentedMap(stage=stage.id)
    if note is None:
        entry.fa.set_flow_style()
    else:
        entry["note"] = DoubleQuotedScalarString(note)
    return entry


def _put(mapping: CommentedMap, key: str, value: Any, order: list[str]) -> None:
    """Add ``key`` after the last key that comes before it in ``order``."""
    rank = order.index(key)
    earlier = [k for k in mapping if k in order and order.index(k) < rank]
    if earlier:
        anchor = earlier[-1]
    elif len(mapping) and all(k not in order for k in mapping):
        anchor = list(mapping)[-1]
    else:
        anchor = _last_header(mapping)
    insert_after(mapping, anchor, key, value)


def _last_header(mapping: CommentedMap) -> Any:
    headers = [key for key in mapping if key in ("assessed_by", "date")]
    return headers[-1] if headers else None


def _section_order(model: MaturityModel) -> list[str]:
    return [pillar.id for pillar in model.pillars] + [CROSS_CUTTING]


def _function_order(model: MaturityModel, section_id: str) -> list[str]:
    if section_id == CROSS_CUTTING:
        return [capability.id for capability in model.cross_cutting]
    return [function.id for function in model.pillar(section_id).functions]
