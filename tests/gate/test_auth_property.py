"""No request the gateway could forward gets more than the policy grants.

Hypothesis builds requests from pieces an attacker controls: the cookie,
spoofed identity and device headers, odd hosts, methods and certificate
headers, and untrusted peers. Each goes through the gate's real handler; an
oracle computes, independently of the gate's parsing, the most the policy
grants, and any 200 must be within it.

The identity lookup is replaced by an in-process object that plays
oauth2-proxy's contract (a known session cookie names a user and groups,
anything else is signed out), so thousands of cases run in seconds.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from pathlib import Path
from typing import Any, Literal

from aiohttp.test_utils import make_mocked_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from gate.conditional_access import READ_METHODS, decide
from gate.config import GateConfig
from gate.device_feed import DeviceRecord
from gate.identity import Identity
from gate.posture import assess_device
from gate.server import Gate
from tests.gate.gate_harness import (
    APPS,
    FAILING,
    MANAGED,
    SESSIONS,
    UNMANAGED,
    default_feed,
)

FEED = {record["fingerprint"]: record for record in default_feed()}
APP_BY_HOST = {app["host"]: app for app in APPS}


class _ContractIdentity:
    """oauth2-proxy's contract for the session cookie ``_oauth2_proxy``."""

    def __init__(self) -> None:
        self.cache: list[object] = []

    async def lookup(
        self, url: str, cookies: str | None
    ) -> tuple[Identity, Literal["lookup", "none"]]:
        if not cookies:
            return Identity("signed_out"), "none"
        name, _, value = cookies.partition("=")
        session = SESSIONS.get(value) if name == "_oauth2_proxy" else None
        if session is None:
            return Identity("signed_out"), "lookup"
        return (
            Identity("signed_in", session.user, session.email, session.groups),
            "lookup",
        )

    async def close(self) -> None:
        pass


class _Peer:
    def __init__(self, address: str) -> None:
        self.address = address

    def get_extra_info(self, name: str, default: object = None) -> object:
        return (self.address, 40000) if name == "peername" else default

    def is_closing(self) -> bool:
        return False


def _gate(tmp_path: Path) -> Gate:
    feed = tmp_path / "devices.json"
    feed.write_text(json.dumps(default_feed()))
    config = GateConfig.model_validate(
        {
            "apps": APPS,
            "identity": {"url": "http://127.0.0.1:9/oauth2/auth"},
            "client_certificate": {
                "format": "xfcc",
                "certificate_header": "X-Forwarded-Client-Cert",
            },
            "feed": {"path": str(feed)},
        }
    )
    gate = Gate(tmp_path / "gate.yaml", config)
    gate.identity = _ContractIdentity()  # type: ignore[assignment]
    gate.check_feed()
    return gate


junk = st.text(max_size=40)
hosts = (
    st.sampled_from(
        [
            *APP_BY_HOST,
            "LEDGER.fern.example",
            "ledger.fern.example:443",
            "ledger.fern.example.",
            "evil.example",
            "",
        ]
    )
    | junk
)
methods = (
    st.sampled_from(["GET", "POST", "HEAD", "DELETE", "get", "OPTIONS", "G ET"]) | junk
)
cookies = (
    st.sampled_from(
        [
            None,
            *(f"_oauth2_proxy={value}" for value in SESSIONS),
            "_oauth2_proxy=x",
            "_oauth2_proxy_0=alice-session",
            "session=alice-session",
            "_oauth2_proxy=alice-session; a=b",
        ]
    )
    | junk
)
certificates = (
    st.sampled_from(
        [
            None,
            *(f"Hash={fp}" for fp in (MANAGED, UNMANAGED, FAILING)),
            f"Hash={MANAGED.upper()}",
            f"Hash={MANAGED},Hash={MANAGED}",
            f"By=x;Hash={UNMANAGED};Hash={MANAGED}",
            "Hash=zz",
        ]
    )
    | junk
)
spoofed = st.dictionaries(
    st.sampled_from(
        [
            "X-Auth-Request-User",
            "X-Auth-Request-Groups",
            "X-Auth-Request-Email",
            "X-Ztkit-Device-Trust",
            "X-Ztkit-Access-Level",
            "X-Client-Verify",
            "X-Client-Cert",
            "X-Original-URL",
            "X-Original-Method",
            "X-Real-IP",
        ]
    ),
    st.sampled_from(
        [
            "alice",
            "finance",
            "managed_healthy",
            "full",
            "SUCCESS",
            "https://payroll.fern.example/",
            "POST",
            "10.0.0.1",
        ]
    )
    | junk,
    max_size=4,
)
peers = st.sampled_from(["127.0.0.1", "127.0.0.1", "::1", "10.1.2.3", "192.0.2.7"])


def _most_granted(
    cookie: str | None, host: str, method: str, certificate: str | None
) -> bool:
    """Whether the policy could allow this request at all, judged independently."""
    if cookie is None or not cookie.startswith("_oauth2_proxy="):
        return False
    value = cookie.removeprefix("_oauth2_proxy=").split(";")[0]
    session = SESSIONS.get(value)
    app = APP_BY_HOST.get(host.lower().split(":")[0])
    if session is None or app is None:
        return False
    record = None
    if certificate is not None and certificate.startswith("Hash="):
        fingerprint = certificate.removeprefix("Hash=").lower()
        raw = FEED.get(fingerprint)
        record = DeviceRecord.model_validate(raw) if raw else None
    trust = assess_device(
        record, GateConfig().posture, datetime.datetime.now(datetime.UTC)
    )
    return decide(
        session.groups, _App(**app), method, trust, False, user=session.user
    ).allowed


class _App:
    def __init__(self, **fields: Any) -> None:
        self.id = fields["id"]
        self.classification = fields["classification"]
        self.readers = fields["readers"]
        self.writers = fields["writers"]


@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    peer=peers,
    host=hosts,
    method=methods,
    cookie=cookies,
    certificate=certificates,
    extra=spoofed,
    own_method=st.sampled_from(["GET", "POST"]),
)
def test_no_request_gets_more_than_the_policy_grants(
    tmp_path_factory: Any,
    peer: str,
    host: str,
    method: str,
    cookie: str | None,
    certificate: str | None,
    extra: dict[str, str],
    own_method: str,
) -> None:
    gate = _gate(tmp_path_factory.mktemp("gate"))
    headers: CIMultiDict[str] = CIMultiDict(extra)
    headers["X-Forwarded-Host"] = host
    headers["X-Forwarded-Method"] = method
    headers["X-Forwarded-Uri"] = "/path"
    if cookie is not None:
        headers["Cookie"] = cookie
    if certificate is not None:
        headers["X-Forwarded-Client-Cert"] = certificate
    request = make_mocked_request(
        own_method, "/auth", headers=headers, transport=_Peer(peer)
    )

    response = asyncio.run(gate.auth(request))

    assert response.status in (200, 401, 403)
    if response.status != 200:
        return
    assert peer in ("127.0.0.1", "::1")
    assert _most_granted(cookie, host, method, certificate)
    session = SESSIONS[cookie.removeprefix("_oauth2_proxy=").split(";")[0]]  # type: ignore[union-attr]
    assert response.headers["X-Auth-Request-User"] == session.user
    assert response.headers["X-Auth-Request-Groups"] == ",".join(sorted(session.groups))
    level = response.headers["X-Ztkit-Access-Level"]
    assert level in ("read_only", "full")
    if method not in READ_METHODS:
        assert level == "full"


def test_the_same_harness_allows_what_the_policy_grants(tmp_path: Path) -> None:
    gate = _gate(tmp_path)
    headers = CIMultiDict(
        {
            "X-Forwarded-Host": "ledger.fern.example",
            "X-Forwarded-Method": "POST",
            "X-Forwarded-Uri": "/",
            "Cookie": "_oauth2_proxy=alice-session",
            "X-Forwarded-Client-Cert": f"Hash={MANAGED}",
        }
    )
    request = make_mocked_request(
        "GET", "/auth", headers=headers, transport=_Peer("::1")
    )

    response = asyncio.run(gate.auth(request))

    assert response.status == 200
    assert _most_granted(
        headers["Cookie"], "ledger.fern.example", "POST", f"Hash={MANAGED}"
    )
