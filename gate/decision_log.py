"""One JSON line per decision, for the log pipeline.

The line holds who, which device, which app, the outcome and why, and how
long it took. It never holds a cookie, token, certificate or query string:
the caller passes only the fields below.

Lines go straight to a stream (standard output in the container) rather than
through ``logging``: they are the gate's output, one per request, and the
logging machinery would cost more than the decision itself.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import TextIO


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


_stream: TextIO | None = None


def configure_decision_log(stream: TextIO | None) -> None:
    """Write decision lines to ``stream``; ``None`` turns them off."""
    global _stream
    _stream = stream


def log_decision(line: DecisionLine) -> None:
    """Write the decision as one JSON object on its own line, and flush it."""
    stream = _stream
    if stream is None:
        return
    now = datetime.datetime.now(datetime.UTC)
    record: dict[str, object] = {"time": now.isoformat(timespec="milliseconds")}
    record.update(vars(line))
    stream.write(json.dumps(record, separators=(",", ":")) + "\n")
    stream.flush()
