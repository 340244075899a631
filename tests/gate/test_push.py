"""Authenticating device pushes."""

from __future__ import annotations

import pytest

from gate.push import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    NonceLedger,
    PushRejected,
    signed_headers,
    verify_push,
)

KEY = b"k" * 32
BODY = b'[{"fingerprint": "00"}]'


def test_a_signed_push_verifies() -> None:
    headers = signed_headers(KEY, BODY, now=1_000_000)
    assert verify_push(KEY, headers, BODY, 1_000_010, 300) == headers[NONCE_HEADER]


@pytest.mark.parametrize(
    ("change", "now"),
    [
        ({}, 1_000_301),
        ({}, 999_699),
        ({SIGNATURE_HEADER: "sha256=" + "0" * 64}, 1_000_000),
        ({SIGNATURE_HEADER: "md5=abc"}, 1_000_000),
        ({NONCE_HEADER: "short"}, 1_000_000),
        ({TIMESTAMP_HEADER: "-5"}, 1_000_000),
        ({TIMESTAMP_HEADER: "1000001"}, 1_000_000),
    ],
)
def test_stale_forged_or_malformed_pushes_are_rejected(
    change: dict[str, str], now: int
) -> None:
    headers = signed_headers(KEY, BODY, now=1_000_000) | change
    with pytest.raises(PushRejected):
        verify_push(KEY, headers, BODY, now, 300)


def test_a_changed_body_or_another_key_is_rejected() -> None:
    headers = signed_headers(KEY, BODY, now=1_000_000)
    with pytest.raises(PushRejected):
        verify_push(KEY, headers, BODY + b" ", 1_000_000, 300)
    with pytest.raises(PushRejected):
        verify_push(b"o" * 32, headers, BODY, 1_000_000, 300)


def test_a_nonce_is_claimed_once_and_the_ledger_stays_bounded() -> None:
    ledger = NonceLedger(window=300, size=100)
    assert ledger.claim("n" * 16, 0)
    assert not ledger.claim("n" * 16, 10)
    for index in range(1000):
        ledger.claim(f"{index:016d}", 20)
    assert len(ledger._seen) == 100
    # Expired nonces are forgotten, and their pushes are refused by age anyway.
    assert ledger.claim("n" * 16, 10_000)
