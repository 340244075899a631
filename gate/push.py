"""Authenticating pushes from MDM/EDR: HMAC-signed, fresh and used once.

A push carries three headers:

- ``X-Ztkit-Timestamp``: seconds since the Unix epoch when it was signed;
- ``X-Ztkit-Nonce``: 16 to 128 characters from ``[A-Za-z0-9_-]``, new per push;
- ``X-Ztkit-Signature``: ``sha256=`` and the hex HMAC-SHA256, under the
  shared key, of ``<timestamp>\\n<nonce>\\n`` followed by the body.

A push older or newer than ``max_age`` is refused, and a nonce is accepted
once within that window, so a captured push cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^sha256=([0-9a-f]{64})$")

TIMESTAMP_HEADER = "X-Ztkit-Timestamp"
NONCE_HEADER = "X-Ztkit-Nonce"
SIGNATURE_HEADER = "X-Ztkit-Signature"


class PushRejected(Exception):
    """A push failed authentication; the message says why, without secrets."""


def signature(key: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    """The ``X-Ztkit-Signature`` value for a push."""
    message = f"{timestamp}\n{nonce}\n".encode() + body
    return "sha256=" + hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_headers(key: bytes, body: bytes, now: float | None = None) -> dict[str, str]:
    """Headers that authenticate ``body`` as a push, with a fresh nonce."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_urlsafe(24)
    return {
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(key, timestamp, nonce, body),
        "Content-Type": "application/json",
    }


def verify_push(
    key: bytes, headers: Mapping[str, str], body: bytes, now: float, max_age: float
) -> str:
    """Check a push's signature and freshness.

    Returns:
        The nonce, for the caller to claim exactly once.

    Raises:
        PushRejected: A header is missing or malformed, the timestamp is
            outside ``max_age``, or the signature does not match.
    """
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    nonce = headers.get(NONCE_HEADER, "")
    given = headers.get(SIGNATURE_HEADER, "")
    if not _TIMESTAMP.match(timestamp):
        raise PushRejected(f"missing or malformed {TIMESTAMP_HEADER}")
    if not _NONCE.match(nonce):
        raise PushRejected(f"missing or malformed {NONCE_HEADER}")
    if not _SIGNATURE.match(given):
        raise PushRejected(f"missing or malformed {SIGNATURE_HEADER}")
    if abs(now - int(timestamp)) > max_age:
        raise PushRejected("timestamp outside the accepted window")
    if not hmac.compare_digest(given, signature(key, timestamp, nonce, body)):
        raise PushRejected("signature does not match")
    return nonce


class NonceLedger:
    """Nonces seen by this replica within the freshness window.

    Used when there is no shared store; bounded so a flood of signed pushes
    cannot grow it without limit. A nonce dropped for space is older than
    most in the ledger and its push is refused by age soon anyway.
    """

    def __init__(self, window: float, size: int = 100_000) -> None:
        self.window = window
        self.size = size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def claim(self, nonce: str, now: float) -> bool:
        """Record ``nonce``; ``False`` when it was already used."""
        while self._seen:
            oldest, expires = next(iter(self._seen.items()))
            if expires > now:
                break
            del self._seen[oldest]
        if nonce in self._seen:
            return False
        self._seen[nonce] = now + 2 * self.window
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True
