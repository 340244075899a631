"""One JSON line per decision, for the log pipeline.

The line holds who, which device, which app, the outcome and why, and how
long it took. It never holds a cookie, token, certificate or query string:
the caller passes only the fields below.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from dataclasses import dataclass
from typing import TextIO

DECISION_LOGGER = "gate.decisions"
_logger = logging.getLogger(DECISION_LOGGER)


@dataclass(frozen=True)
class DecisionLine:
    """The fields of one decision log line."""

    app: str | None
    method: str | None
    path: str | None
    user: str | None
    device: str | None
    """The certificate's SHA-256 fingerprint: it names the device, it grants nothing."""
    device_trust: str
    decision: str
    """``allow``, ``deny`` or ``sign_in``."""
    access_level: str
    status: int
    reason: str
    cause: str
    latency_ms: float
    request_id: str | None
    client: str | None


def log_decision(line: DecisionLine) -> None:
    """Write the decision as one JSON object on the ``gate.decisions`` logger."""
    if not _logger.isEnabledFor(logging.INFO):
        return
    now = datetime.datetime.now(datetime.UTC)
    record: dict[str, object] = {"time": now.isoformat(timespec="milliseconds")}
    record.update(vars(line))
    _logger.info(json.dumps(record, separators=(",", ":")))


def configure_decision_log(stream: TextIO | None = None) -> None:
    """Send decision lines, bare, to ``stream`` (standard output by default)."""
    handler: logging.Handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    _logger.handlers[:] = [handler]
    _logger.setLevel(logging.INFO)
    _logger.propagate = False
