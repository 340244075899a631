"""The history of saved assessments, for the trend in reports and the TUI."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from assessment.atomic_file import write_atomic
from assessment.document import parse_json, read_text
from assessment.errors import HistoryError

HISTORY_VERSION = 1


def summary(
    assessment_json: dict[str, Any], saved_at: datetime.datetime
) -> dict[str, Any]:
    """The part of an assessment the history keeps."""

    def brief(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"id": r["id"], "name": r["name"], "stage": r["stage"], "score": r["score"]}
            for r in rows
        ]

    next_phase = assessment_json["next_phase"]
    return {
        "assessed_on": assessment_json["assessed_on"],
        "saved_at": saved_at.isoformat(timespec="seconds"),
        "organisation": assessment_json["organisation"]["name"],
        "overall": dict(assessment_json["overall"]),
        "pillars": brief(assessment_json["pillars"]),
        "cross_cutting": brief(assessment_json["cross_cutting"]),
        "next_phase": {key: next_phase[key] for key in ("phase", "name", "wave")},
        "conflicts": len(assessment_json["conflicts"]),
    }


def load_history(path: Path) -> list[dict[str, Any]]:
    """Saved assessments, oldest first; an absent file is an empty history.

    Raises:
        HistoryError: when the file exists but is not a ztkit history.
    """
    if not path.exists():
        return []
    data = parse_json(path, read_text(path, HistoryError), HistoryError)
    if not isinstance(data, dict) or not isinstance(data.get("assessments"), list):
        raise HistoryError(
            path, "not a ztkit history: expected an object with an 'assessments' list"
        )
    entries: list[dict[str, Any]] = []
    for index, entry in enumerate(data["assessments"]):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("assessed_on"), str)
            and isinstance(entry.get("overall"), dict)
            and isinstance(entry.get("pillars"), list)
        ):
            raise HistoryError(
                path,
                f"entry {index} is not a saved assessment",
                field=f"assessments[{index}]",
            )
        entries.append(entry)
    return sorted(
        entries, key=lambda entry: (entry["assessed_on"], entry.get("saved_at", ""))
    )


def append(path: Path, entry: dict[str, Any]) -> int:
    """Add ``entry`` to the history at ``path`` atomically; return the new length.

    The whole file is rewritten beside the old one and renamed over it, so a
    crash or kill mid-write leaves the previous history whole.
    """
    entries = load_history(path)
    entries.append(entry)
    document = {"version": HISTORY_VERSION, "assessments": entries}
    write_atomic(path, json.dumps(document, indent=2) + "\n")
    return len(entries)
