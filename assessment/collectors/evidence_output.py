"""Building a collector's evidence file and writing it in one step."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from pathlib import Path

from assessment.atomic_file import write_atomic
from assessment.collectors.errors import OutputError
from assessment.collectors.observations import Findings, Rule, judge
from assessment.evidence import EvidenceFile

logger = logging.getLogger(__name__)


def build_evidence(
    collector: str,
    scope: str,
    findings: Findings,
    rules: Mapping[str, Rule],
    collected_at: datetime.datetime | None = None,
) -> EvidenceFile:
    """Judge ``findings`` by ``rules`` into an evidence file.

    Args:
        collector: the collector's name, e.g. ``ztkit-aws``.
        scope: what was looked at, e.g. ``aws account 123456789012, regions
            eu-west-1``.
        findings: the observations and gaps of the run.
        rules: the collector's table of rules, keyed by check.
        collected_at: when the run happened; now (UTC) when not given.
    """
    when = collected_at or datetime.datetime.now(datetime.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return EvidenceFile.model_validate(
        {
            "collector": collector,
            "collected_at": when,
            "scope": scope,
            "items": judge(findings.observations, rules),
            "warnings": [{"check": g.check, "reason": g.reason} for g in findings.gaps],
        }
    )


def write_evidence(path: Path, evidence: EvidenceFile) -> None:
    """Write ``evidence`` as JSON to ``path``, atomically.

    Raises:
        OutputError: the file or its folder cannot be written.
    """
    text = evidence.model_dump_json(indent=2) + "\n"
    try:
        write_atomic(Path(path), text)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    logger.info(
        "wrote %s: %d items, %d warnings",
        path,
        len(evidence.items),
        len(evidence.warnings),
    )
