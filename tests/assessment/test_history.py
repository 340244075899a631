"""Saving assessments: appends are atomic, even when the writer is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assessment import history
from assessment.errors import HistoryError
from tests.conftest import ROOT

ENTRY = {
    "assessed_on": "2026-11-30",
    "saved_at": "2026-11-30T09:00:00+00:00",
    "overall": {"stage": "initial", "score": 2.1},
    "pillars": [
        {"id": "identity", "name": "Identity", "stage": "initial", "score": 2.0}
    ],
    "cross_cutting": [],
    "next_phase": {"phase": 2, "name": "access", "wave": ["payroll"]},
}

# The writer slows every file write down to 64 KiB chunks with a pause between
# them, so that a kill lands in the middle of writing far more often than not.
WRITER = """
import io, os, sys, time
from pathlib import Path
from assessment import history

class SlowFile:
    def __init__(self, inner):
        self.inner = inner
    def write(self, text):
        for start in range(0, len(text), 65536):
            self.inner.write(text[start:start + 65536])
            self.inner.flush()
            time.sleep(0.002)
        return len(text)
    def __getattr__(self, name):
        return getattr(self.inner, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self.inner.__exit__(*exc)

real_open, real_fdopen = io.open, os.fdopen
def slow_open(*a, **k):
    writing = "w" in str(a[1:2]) + str(k.get("mode"))
    return SlowFile(real_open(*a, **k)) if writing else real_open(*a, **k)
io.open = slow_open
os.fdopen = lambda *a, **k: SlowFile(real_fdopen(*a, **k))
entry = {entry!r}
sys.stdout.write("ready\\n"); sys.stdout.flush()
while True:
    history.append(Path({path!r}), entry)
"""


def test_append_keeps_earlier_entries_in_date_order(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    history.append(path, dict(ENTRY, assessed_on="2026-12-01"))
    history.append(path, ENTRY)

    entries = history.load_history(path)

    assert [e["assessed_on"] for e in entries] == ["2026-11-30", "2026-12-01"]


def test_a_failed_write_leaves_the_old_history_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.json"
    history.append(path, ENTRY)
    before = path.read_bytes()

    def broken_replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        history.append(path, ENTRY)

    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json"]


def test_killing_the_writer_mid_append_never_damages_the_history(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.json"
    big = dict(ENTRY, note="x" * 20_000)
    for _ in range(100):
        history.append(path, big)

    for delay in (0.05, 0.11, 0.17, 0.23, 0.31):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER.format(entry=big, path=str(path))],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()

        entries = history.load_history(path)
        assert len(entries) >= 100
        assert all(entry == big for entry in entries)


def test_a_history_that_is_not_ours_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"assessments": [{"overall": 1}]}))

    with pytest.raises(HistoryError, match=r"entry 0 is not a saved assessment"):
        history.load_history(path)
    path.write_text("{not json")
    with pytest.raises(HistoryError, match=r"history.json:1:2: malformed JSON"):
        history.load_history(path)
