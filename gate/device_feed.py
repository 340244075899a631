"""The device inventory fed from MDM and EDR, keyed by certificate fingerprint.

The feed is a JSON list of records or a CSV file with a header row. A device is
identified by the SHA-256 fingerprint of its client certificate, which the
gateway forwards with each request.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
)

from gate.errors import FeedError

logger = logging.getLogger(__name__)

Platform = Literal["macos", "windows", "linux", "ios", "android"]
PLATFORMS: tuple[Platform, ...] = ("macos", "windows", "linux", "ios", "android")

FIELDS = (
    "fingerprint",
    "platform",
    "os_version",
    "disk_encrypted",
    "firewall",
    "edr_running",
    "managed",
    "last_check_in",
)
_BOOLEAN_FIELDS = frozenset({"disk_encrypted", "firewall", "edr_running", "managed"})
_CSV_TRUE = frozenset({"true", "yes", "1"})
_CSV_FALSE = frozenset({"false", "no", "0"})
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")

# A dotted numeric version such as "14.2.1" or "10.0.19045".
OS_VERSION_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,9}){0,5}$"


def normalise_fingerprint(value: str) -> str:
    """A SHA-256 fingerprint as 64 lower-case hex digits.

    Accepts upper case, colon separators (``AB:CD:...``) and surrounding spaces.

    Raises:
        ValueError: The value is not a SHA-256 fingerprint.
    """
    candidate = value.strip().replace(":", "").lower()
    if not _FINGERPRINT.match(candidate):
        raise ValueError(f"{value!r} is not a SHA-256 fingerprint (64 hex digits)")
    return candidate


def fingerprint_key(value: str | None) -> str | None:
    """The lookup key for a fingerprint in any accepted spelling; ``None`` when
    there is none or it is malformed."""
    if not value:
        return None
    try:
        return normalise_fingerprint(value)
    except ValueError:
        return None


class DeviceRecord(BaseModel):
    """What MDM and EDR last reported about one device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: str
    """SHA-256 of the device's client certificate, 64 lower-case hex digits."""
    platform: Platform
    os_version: str = Field(pattern=OS_VERSION_PATTERN)
    disk_encrypted: StrictBool
    firewall: StrictBool
    edr_running: StrictBool
    """The EDR agent is installed and reporting."""
    managed: StrictBool
    """The device is enrolled in the organisation's MDM."""
    last_check_in: AwareDatetime
    """When the device last reported to MDM or EDR; must carry a timezone."""

    @field_validator("fingerprint", mode="before")
    @classmethod
    def _fingerprint(cls, value: object) -> object:
        return normalise_fingerprint(value) if isinstance(value, str) else value


def _validate(
    path: Path | str, record_name: str, raw: Mapping[str, Any]
) -> DeviceRecord:
    try:
        return DeviceRecord.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(record)"
        value = raw.get(field, None) if first["type"] != "missing" else None
        shown = "missing" if first["type"] == "missing" else f"{value!r}"
        raise FeedError(
            f"{path}: {record_name}: field {field!r}: {shown}: {first['msg']}"
        ) from None


def _read_json(path: Path, text: str) -> list[DeviceRecord]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FeedError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON "
            f"(truncated?): {error.msg}"
        ) from None
    return parse_records(path, data)


def parse_records(source: Path | str, data: object) -> list[DeviceRecord]:
    """Validate decoded JSON as a list of device records.

    Args:
        source: Where the data came from, for messages: a file or an endpoint.
        data: The decoded JSON.

    Raises:
        FeedError: The data is not a list of valid records; the message names
            the source, the record's index, the field and the value.
    """
    if not isinstance(data, list):
        raise FeedError(
            f"{source}: expected a JSON list of device records, "
            f"got {type(data).__name__}"
        )

    records = []
    for index, raw in enumerate(data):
        if not isinstance(raw, dict):
            raise FeedError(
                f"{source}: record {index}: expected an object, got {raw!r}"
            )
        records.append(_validate(source, f"record {index}", raw))
    return records


def _csv_value(field: str, value: str) -> object:
    if field not in _BOOLEAN_FIELDS:
        return value
    lowered = value.strip().lower()
    if lowered in _CSV_TRUE:
        return True
    if lowered in _CSV_FALSE:
        return False
    # Left as text so validation rejects it and names the value.
    return value


def _read_csv(path: Path, text: str) -> list[DeviceRecord]:
    reader = csv.DictReader(text.splitlines(), strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as error:
        raise FeedError(f"{path}: line 1: not valid CSV: {error}") from None
    if not header:
        raise FeedError(
            f"{path}: empty CSV file; expected a header row: {', '.join(FIELDS)}"
        )
    missing = [field for field in FIELDS if field not in header]
    if missing:
        raise FeedError(
            f"{path}: line 1: header lacks {', '.join(missing)}; "
            f"expected: {', '.join(FIELDS)}"
        )

    records = []
    try:
        for row in reader:
            where = f"line {reader.line_num}"
            if None in row:
                raise FeedError(f"{path}: {where}: more values than header columns")
            absent = [field for field, value in row.items() if value is None]
            if absent:
                raise FeedError(
                    f"{path}: {where}: field {absent[0]!r}: missing (truncated row?)"
                )
            raw = {field: _csv_value(field, value) for field, value in row.items()}
            records.append(_validate(path, where, raw))
    except csv.Error as error:
        raise FeedError(
            f"{path}: line {reader.line_num}: not valid CSV: {error}"
        ) from None
    return records


def load_feed(path: Path) -> dict[str, DeviceRecord]:
    """Read a device feed, JSON (``.json``) or CSV (anything else).

    Returns:
        The records keyed by fingerprint.

    Raises:
        FeedError: The file is unreadable, malformed, truncated or holds one
            fingerprint twice.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FeedError(f"{path}: cannot read the device feed: {error}") from None

    read = _read_json if path.suffix.lower() == ".json" else _read_csv
    records = read(path, text)

    devices: dict[str, DeviceRecord] = {}
    for index, record in enumerate(records):
        if record.fingerprint in devices:
            raise FeedError(
                f"{path}: record {index}: field 'fingerprint': "
                f"{record.fingerprint!r} appears twice"
            )
        devices[record.fingerprint] = record
    return devices


class DeviceFeed:
    """The last good snapshot of the device feed.

    A feed that fails to load never replaces the snapshot, so a bad export
    from MDM leaves the gate deciding on the previous data rather than on none.
    """

    def __init__(self) -> None:
        self._devices: Mapping[str, DeviceRecord] = MappingProxyType({})
        self.source: Path | None = None
        """The file the current snapshot came from; ``None`` before the first load."""

    def __len__(self) -> int:
        return len(self._devices)

    @property
    def devices(self) -> Mapping[str, DeviceRecord]:
        """The current snapshot, read-only."""
        return self._devices

    def reload(self, path: Path) -> bool:
        """Replace the snapshot with the file's records if the file is fully valid.

        Returns:
            Whether the snapshot's contents changed.

        Raises:
            FeedError: The file is invalid; the previous snapshot is kept.
        """
        try:
            devices = load_feed(path)
        except FeedError as error:
            logger.warning("device feed kept the last good snapshot: %s", error)
            raise

        changed = devices != dict(self._devices)
        self._devices = MappingProxyType(devices)
        self.source = path
        return changed

    def lookup(self, fingerprint: str | None) -> DeviceRecord | None:
        """The record for a certificate fingerprint, in any accepted spelling.

        Returns ``None`` when there is no fingerprint, it is malformed or the
        device is not in the feed.
        """
        key = fingerprint_key(fingerprint)
        return None if key is None else self._devices.get(key)
