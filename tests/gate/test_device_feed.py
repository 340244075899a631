"""Loading the MDM/EDR device feed and keeping the last good snapshot."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from gate.device_feed import DeviceFeed, load_feed, normalise_fingerprint
from gate.errors import FeedError

FINGERPRINT = "ab" * 32
OTHER = "0f" * 32
ROW = f"{FINGERPRINT},macos,14.2,true,true,true,true,2026-12-03T09:00:00Z"
HEADER = "fingerprint,platform,os_version,disk_encrypted,firewall,edr_running,managed,last_check_in"


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "fingerprint": FINGERPRINT,
        "platform": "macos",
        "os_version": "14.2.1",
        "disk_encrypted": True,
        "firewall": True,
        "edr_running": True,
        "managed": True,
        "last_check_in": "2026-12-03T09:00:00+00:00",
    }
    record.update(changes)
    return record


def _json_feed(
    tmp_path: Path, *records: dict[str, Any], name: str = "feed.json"
) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(list(records)))
    return path


def _error(path: Path) -> str:
    with pytest.raises(FeedError) as caught:
        load_feed(path)
    return str(caught.value)


def test_json_feed_is_keyed_by_fingerprint(tmp_path: Path) -> None:
    path = _json_feed(tmp_path, _record(), _record(fingerprint=OTHER, managed=False))

    devices = load_feed(path)

    assert set(devices) == {FINGERPRINT, OTHER}
    assert devices[FINGERPRINT].os_version == "14.2.1"
    assert devices[OTHER].managed is False
    assert devices[FINGERPRINT].last_check_in == datetime.datetime(
        2026, 12, 3, 9, tzinfo=datetime.UTC
    )


def test_csv_feed_reads_booleans_and_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(
        f"{HEADER}\n"
        f"{FINGERPRINT},windows,10.0.19045,true,yes,1,false,2026-12-03T10:00:00+01:00\n"
    )

    record = load_feed(path)[FINGERPRINT]

    assert record.platform == "windows"
    assert (record.disk_encrypted, record.firewall, record.edr_running) == (
        True,
        True,
        True,
    )
    assert record.managed is False
    assert record.last_check_in == datetime.datetime(
        2026, 12, 3, 9, tzinfo=datetime.UTC
    )


def test_fingerprints_are_normalised(tmp_path: Path) -> None:
    colons = ":".join(["AB"] * 32)
    path = _json_feed(tmp_path, _record(fingerprint=colons))

    assert set(load_feed(path)) == {FINGERPRINT}
    assert normalise_fingerprint(f"  {colons} ") == FINGERPRINT


@pytest.mark.parametrize("value", ["ab" * 31, "zz" * 32, "ab" * 33, ""])
def test_malformed_fingerprints_are_rejected(value: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        normalise_fingerprint(value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fingerprint", "not-a-fingerprint"),
        ("platform", "beos"),
        ("os_version", "fourteen"),
        ("disk_encrypted", "yes"),
        ("firewall", None),
        ("last_check_in", "2026-12-03T09:00:00"),
        ("last_check_in", "yesterday"),
    ],
)
def test_malformed_json_record_names_file_record_field_and_value(
    tmp_path: Path, field: str, value: object
) -> None:
    path = _json_feed(tmp_path, _record(fingerprint=OTHER), _record(**{field: value}))

    message = _error(path)

    assert str(path) in message
    assert "record 1" in message
    assert repr(field) in message
    assert repr(value) in message


def test_missing_field_is_named(tmp_path: Path) -> None:
    record = _record()
    del record["edr_running"]

    message = _error(_json_feed(tmp_path, record))

    assert "record 0" in message
    assert "'edr_running'" in message
    assert "missing" in message


def test_unknown_field_is_rejected(tmp_path: Path) -> None:
    assert "'owner'" in _error(_json_feed(tmp_path, _record(owner="alice")))


def test_duplicate_fingerprint_is_rejected(tmp_path: Path) -> None:
    path = _json_feed(tmp_path, _record(), _record(fingerprint=FINGERPRINT.upper()))

    assert "appears twice" in _error(path)


def test_truncated_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    text = json.dumps([_record(), _record(fingerprint=OTHER)])
    path.write_text(text[: len(text) // 2])

    message = _error(path)

    assert str(path) in message
    assert "truncated" in message


def test_json_that_is_not_a_list_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(_record()))

    assert "JSON list" in _error(path)


def test_truncated_csv_row_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(f"{HEADER}\n{ROW}\n{OTHER},macos,14")

    message = _error(path)

    assert "line 3" in message
    assert "'disk_encrypted'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty CSV"),
        ("fingerprint,platform\n", "header lacks"),
        (f"{HEADER}\n{ROW.replace('true', 'maybe', 1)}\n", "'maybe'"),
        (f"{HEADER}\n{ROW},x\n", "more values"),
    ],
)
def test_malformed_csv_is_rejected(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(text)

    assert expected in _error(path)


def test_unreadable_file_is_a_feed_error(tmp_path: Path) -> None:
    assert "cannot read" in _error(tmp_path / "absent.json")


def test_reload_reports_whether_the_snapshot_changed(tmp_path: Path) -> None:
    feed = DeviceFeed()
    path = _json_feed(tmp_path, _record())

    assert feed.reload(path) is True
    assert feed.reload(path) is False
    assert feed.source == path
    assert len(feed) == 1

    _json_feed(tmp_path, _record(firewall=False))
    assert feed.reload(path) is True
    assert feed.devices[FINGERPRINT].firewall is False


def test_a_bad_feed_never_replaces_the_last_good_one(tmp_path: Path) -> None:
    feed = DeviceFeed()
    good = _json_feed(tmp_path, _record(), name="good.json")
    feed.reload(good)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([_record(fingerprint=OTHER)])[:-5])

    with pytest.raises(FeedError):
        feed.reload(bad)

    assert feed.source == good
    assert set(feed.devices) == {FINGERPRINT}


def test_lookup_accepts_any_spelling_and_rejects_garbage(tmp_path: Path) -> None:
    feed = DeviceFeed()
    feed.reload(_json_feed(tmp_path, _record()))

    record = feed.lookup(":".join(["AB"] * 32))

    assert record is not None
    assert record.fingerprint == FINGERPRINT
    assert feed.lookup(OTHER) is None
    assert feed.lookup("garbage") is None
    assert feed.lookup(None) is None
    assert feed.lookup("") is None
