"""Reading the original request from the gateway's headers."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import pytest

from gate.config import GateConfig
from gate.forwarded import (
    MalformedRequest,
    client_certificate,
    original_host_and_path,
    original_method,
    parse_forwarded,
    pem_fingerprint,
    session_cookies,
    xfcc_fingerprint,
)

DER = bytes(range(256)) * 3
FINGERPRINT = hashlib.sha256(DER).hexdigest()


def _pem(der: bytes = DER) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN CERTIFICATE-----\n"
        + "\n".join(lines)
        + "\n-----END CERTIFICATE-----\n"
    )


def test_pem_fingerprint_is_sha256_of_der() -> None:
    assert pem_fingerprint(quote(_pem())) == FINGERPRINT


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not a certificate",
        quote(_pem() + _pem()),
        quote(_pem().replace("A", "!")),
        quote("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----"),
    ],
)
def test_pem_header_that_is_not_one_certificate_is_malformed(value: str) -> None:
    with pytest.raises(MalformedRequest):
        pem_fingerprint(value)


def test_xfcc_hash_is_read() -> None:
    value = f'By=spiffe://gw;Hash={FINGERPRINT.upper()};Subject="CN=laptop, O=Fern;x"'
    assert xfcc_fingerprint(value) == FINGERPRINT


@pytest.mark.parametrize(
    "value",
    [
        f"Hash={FINGERPRINT},Hash={FINGERPRINT}",
        "Subject=x",
        f"Hash={FINGERPRINT[:-1]}",
        f"Hash={FINGERPRINT};Hash={FINGERPRINT}",
    ],
)
def test_xfcc_without_exactly_one_valid_hash_is_malformed(value: str) -> None:
    with pytest.raises(MalformedRequest):
        xfcc_fingerprint(value)


def test_pem_certificate_counts_only_when_verified() -> None:
    config = GateConfig()
    cert = quote(_pem())

    verified = client_certificate(
        {"X-Client-Cert": cert, "X-Client-Verify": "SUCCESS"}, config
    )
    failed = client_certificate(
        {"X-Client-Cert": cert, "X-Client-Verify": "FAILED:unable to verify"}, config
    )
    unverified = client_certificate({"X-Client-Cert": cert}, config)
    absent = client_certificate({"X-Client-Verify": "NONE"}, config)

    assert (verified.state, verified.fingerprint) == ("verified", FINGERPRINT)
    assert failed.state == "rejected"
    assert unverified.state == "malformed"
    assert absent.state == "absent"


def test_forwarded_headers_win_over_the_sub_request() -> None:
    method = original_method({"X-Forwarded-Method": "POST"}, "GET", 100)
    host, path = original_host_and_path(
        {"X-Forwarded-Host": "Ledger.Example.com:8443", "X-Forwarded-Uri": "/a?t=s"},
        "gate.local",
        "/",
        100,
    )

    assert (method, host, path) == ("POST", "ledger.example.com", "/a")


def test_ingress_nginx_original_url_is_understood() -> None:
    host, path = original_host_and_path(
        {"X-Original-URL": "https://hr.example.com/people?id=3"}, "gate", "/", 1000
    )
    assert (host, path) == ("hr.example.com", "/people")


def test_envoy_sub_request_uses_its_own_host_and_path() -> None:
    assert original_host_and_path({}, "hr.example.com", "/people", 100) == (
        "hr.example.com",
        "/people",
    )


@pytest.mark.parametrize(
    ("headers", "method"),
    [
        ({"X-Forwarded-Method": "GET POST"}, "GET"),
        ({"X-Forwarded-Method": ""}, "GET"),
        ({"X-Forwarded-Host": "a b"}, "GET"),
        ({"X-Forwarded-Host": "[::1]"}, "GET"),
        ({"X-Forwarded-Host": "host:port"}, "GET"),
        ({"X-Forwarded-Host": "h", "X-Forwarded-Uri": "relative"}, "GET"),
        ({"X-Forwarded-Host": "h" * 300}, "GET"),
        ({"X-Forwarded-Host": "h", "X-Client-Cert": "x" * 9000}, "GET"),
    ],
)
def test_unusable_or_oversized_headers_are_malformed(
    headers: dict[str, str], method: str
) -> None:
    with pytest.raises(MalformedRequest):
        parse_forwarded(headers, method, "gate", "/", GateConfig())


def test_only_session_cookies_are_forwarded() -> None:
    header = "theme=dark; _oauth2_proxy_1=bb; _oauth2_proxy_0=aa; other_2=z"
    assert session_cookies(header, ["_oauth2_proxy"]) == (
        "_oauth2_proxy_0=aa; _oauth2_proxy_1=bb"
    )
    assert session_cookies("theme=dark", ["_oauth2_proxy"]) is None
    assert session_cookies(None, ["_oauth2_proxy"]) is None
