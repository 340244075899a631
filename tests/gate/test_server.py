"""The gate's HTTP service on loopback, with the oauth2-proxy stand-in.

The stand-in plays oauth2-proxy's documented ``/oauth2/auth`` contract (no
oauth2-proxy binary runs here); everything else is the real service.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import pytest
from multidict import CIMultiDict

from tests.gate.gate_harness import (
    FAILING,
    MANAGED,
    UNMANAGED,
    default_feed,
    device,
    running_gate,
    write_atomically,
)


def run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


def test_decisions_follow_identity_device_and_data(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            # A finance writer on a managed device gets full access, with headers.
            async with client.get(
                f"{gate.url}/auth", headers=gate.auth_headers(method="POST")
            ) as response:
                assert response.status == 200
                assert response.headers["X-Auth-Request-User"] == "alice"
                assert response.headers["X-Auth-Request-Groups"] == "finance,staff"
                assert response.headers["X-Ztkit-Device-Trust"] == "managed_healthy"
                assert response.headers["X-Ztkit-Access-Level"] == "full"

            # Confidential data from an unmanaged device: read, not write.
            assert await gate.ask(client, device=UNMANAGED) == 200
            assert await gate.ask(client, device=UNMANAGED, method="POST") == 403
            # Restricted data needs a managed device.
            assert await gate.ask(client, host="payroll.fern.example") == 200
            assert (
                await gate.ask(client, host="payroll.fern.example", device=UNMANAGED)
                == 403
            )
            # A failing device is denied everywhere, an unknown one too.
            assert await gate.ask(client, device=FAILING) == 403
            assert await gate.ask(client, device=None) == 403
            # Readers read, non-members are denied, no session means sign in.
            assert await gate.ask(client, cookie="_oauth2_proxy=bob-session") == 200
            assert (
                await gate.ask(client, cookie="_oauth2_proxy=bob-session", method="PUT")
                == 403
            )
            assert await gate.ask(client, cookie="_oauth2_proxy=carol-session") == 403
            assert await gate.ask(client, cookie=None) == 401
            assert await gate.ask(client, cookie="_oauth2_proxy=forged") == 401
            assert await gate.ask(client, host="unknown.fern.example") == 403

    run(scenario())


def test_client_supplied_identity_headers_are_ignored(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            spoofed = {
                "X-Auth-Request-User": "alice",
                "X-Auth-Request-Groups": "finance",
                "X-Ztkit-Device-Trust": "managed_healthy",
            }
            assert await gate.ask(client, cookie=None, **spoofed) == 401
            status = await gate.ask(
                client, cookie="_oauth2_proxy=carol-session", **spoofed
            )
            assert status == 403

    run(scenario())


def test_an_untrusted_peer_is_denied_whatever_it_sends(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(
                tmp_path, default_feed(), trusted_peers=["10.0.0.0/8"]
            ) as gate,
            aiohttp.ClientSession() as client,
        ):
            assert await gate.ask(client, method="POST") == 403
            assert gate.lines[-1]["cause"] == "untrusted_peer"

    run(scenario())


def test_one_decision_line_per_request_without_secrets(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            await gate.ask(client, **{"X-Request-Id": "req-1"})
            await gate.ask(client, device=FAILING, **{"X-Request-Id": "req-2"})
            await gate.ask(client, cookie=None)

            assert len(gate.lines) == 3
            allowed, failing, signed_out = gate.lines
            expected_keys = {
                "time",
                "app",
                "method",
                "path",
                "user",
                "device",
                "device_trust",
                "decision",
                "access_level",
                "status",
                "reason",
                "cause",
                "latency_ms",
                "request_id",
                "client",
            }
            assert set(allowed) == expected_keys
            assert (allowed["decision"], allowed["user"], allowed["app"]) == (
                "allow",
                "alice",
                "ledger",
            )
            assert allowed["device"] == MANAGED
            assert allowed["path"] == "/records"
            assert failing["request_id"] == "req-2"
            assert failing["decision"] == "deny"
            assert failing["cause"] == "device_failing"
            assert "disk not encrypted" in failing["reason"]
            assert signed_out["status"] == 401
            text = json.dumps(gate.lines)
            assert "alice-session" not in text
            assert "secret-query-token" not in text

    run(scenario())


def test_identity_lookups_are_cached_per_session(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed(), identity={"cache_ttl": 0.3}) as gate,
            aiohttp.ClientSession() as client,
        ):
            for _ in range(5):
                assert await gate.ask(client) == 200
            assert gate.standin.requests == 1
            assert await gate.ask(client, cookie="_oauth2_proxy=bob-session") == 200
            assert gate.standin.requests == 2

            await asyncio.sleep(0.4)
            assert await gate.ask(client) == 200
            assert gate.standin.requests == 3
            assert (
                await gate.metric(client, "ztkit_gate_identity_cache_hits_total") == 4
            )

    run(scenario())


@pytest.mark.parametrize(
    "mode", ["hang", "garbage-no-headers", "garbage-body", "garbage-status"]
)
def test_a_misbehaving_identity_provider_denies(tmp_path: Path, mode: str) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            gate.standin.mode = mode  # type: ignore[assignment]
            started = time.monotonic()
            assert await gate.ask(client, method="POST") == 403
            # The configured timeout is 1 s: a hanging provider costs no more.
            assert time.monotonic() - started < 3
            assert gate.lines[-1]["cause"] == "identity_unavailable"

            gate.standin.mode = "normal"
            assert await gate.ask(client, method="POST") == 200

    run(scenario())


def test_a_stopped_identity_provider_denies(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            await gate.standin_server.stop()
            assert await gate.ask(client) == 403
            assert gate.lines[-1]["cause"] == "identity_unavailable"
            assert await gate.metric(client, "ztkit_gate_identity_lookups_total") == 1

    run(scenario())


def test_a_flood_of_sessions_keeps_the_cache_bounded(tmp_path: Path) -> None:
    sessions = 1500

    async def scenario() -> None:
        async with (
            running_gate(
                tmp_path, default_feed(), identity={"cache_size": 200, "timeout": 10}
            ) as gate,
            aiohttp.ClientSession() as client,
        ):
            for index in range(sessions):
                gate.standin.sessions[f"flood-{index}"] = gate.standin.sessions[
                    "bob-session"
                ]
            semaphore = asyncio.Semaphore(32)

            async def one(index: int) -> int:
                async with semaphore:
                    return await gate.ask(client, cookie=f"_oauth2_proxy=flood-{index}")

            statuses = await asyncio.gather(*(one(i) for i in range(sessions)))
            assert statuses.count(200) == sessions
            cached = await gate.metric(client, "ztkit_gate_identity_cache_sessions")
            assert cached == 200

    run(scenario())


def test_the_feed_is_reloaded_when_it_changes(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            assert await gate.ask(client, method="POST") == 200
            write_atomically(
                tmp_path / "devices.json",
                json.dumps([device(MANAGED, firewall=False)]),
            )
            await asyncio.sleep(0.3)
            assert await gate.ask(client, method="POST") == 403
            assert gate.lines[-1]["cause"] == "device_failing"

    run(scenario())


def test_a_feed_truncated_mid_write_keeps_the_last_good_one(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            text = json.dumps([device(MANAGED, firewall=False), *default_feed()[1:]])
            # Written in place, not renamed: the gate sees half a file.
            (tmp_path / "devices.json").write_text(text[: len(text) // 2])
            await asyncio.sleep(0.3)

            assert await gate.ask(client, method="POST") == 200
            assert await gate.ask(client, device=FAILING) == 403
            refused = await gate.metric(
                client, 'ztkit_gate_feed_reloads_total{result="refused"}'
            )
            assert refused >= 1
            async with client.get(f"{gate.url}/readyz") as response:
                assert response.status == 200

            (tmp_path / "devices.json").write_text(text)
            await asyncio.sleep(0.3)
            assert await gate.ask(client, method="POST") == 403

    run(scenario())


def test_not_ready_until_the_feed_has_loaded(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, None) as gate,
            aiohttp.ClientSession() as client,
        ):
            async with client.get(f"{gate.url}/readyz") as response:
                assert response.status == 503
                assert "device feed not loaded" in (await response.json())["problems"]
            async with client.get(f"{gate.url}/healthz") as response:
                assert response.status == 200
            # No feed, no device: a request is denied, never allowed.
            assert await gate.ask(client) == 403

            write_atomically(tmp_path / "devices.json", json.dumps(default_feed()))
            await asyncio.sleep(0.3)
            async with client.get(f"{gate.url}/readyz") as response:
                assert response.status == 200
            assert await gate.ask(client) == 200

    run(scenario())


def test_oversized_and_malformed_headers_are_denied(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            big_cookie = "_oauth2_proxy=alice-session; pad=" + "x" * 17000
            assert await gate.ask(client, cookie=big_cookie) in (400, 403, 431)
            assert await gate.ask(client, device="zz" * 32) == 403
            assert await gate.ask(client, device=f"{MANAGED},Hash={MANAGED}") == 403
            assert await gate.ask(client, method="G E T") == 403
            assert await gate.ask(client, host="ledger.fern.example:notaport") == 403
            assert await gate.ask(client, cookie='_oauth2_proxy="unterminated') in (
                401,
                403,
            )

    run(scenario())


def test_metrics_count_outcomes(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            await gate.ask(client)
            await gate.ask(client, device=FAILING)
            await gate.ask(client, cookie=None)
            allowed = await gate.metric(
                client, 'ztkit_gate_decisions_total{cause="allowed",outcome="allow"}'
            )
            failing = await gate.metric(
                client,
                'ztkit_gate_decisions_total{cause="device_failing",outcome="deny"}',
            )
            devices = await gate.metric(client, "ztkit_gate_feed_devices")
            assert (allowed, failing, devices) == (1, 1, 3)
            latency = await gate.metric(client, "ztkit_gate_decision_seconds_count")
            assert latency == 3

    run(scenario())


def test_several_cookie_headers_are_read_together(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):

            async def ask_with(*cookies: str) -> int:
                headers = CIMultiDict(gate.auth_headers(cookie=None))
                for cookie in cookies:
                    headers.add("Cookie", cookie)
                async with client.get(f"{gate.url}/auth", headers=headers) as response:
                    return response.status

            assert await ask_with("theme=dark", "_oauth2_proxy=alice-session") == 200
            # A malformed second header is not skipped over: it denies.
            assert await ask_with("_oauth2_proxy=alice-session", "bad name=1") == 403

    run(scenario())
