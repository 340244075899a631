"""Pushes from MDM/EDR: signed, used once, and seen by every replica.

Redis is real: each test starts its own ``redis-server`` on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gate.push import signed_headers
from tests.gate.gate_harness import (
    MANAGED,
    RunningGate,
    default_feed,
    device,
    redis_server,
    running_gate,
)

KEY = b"push-key-for-tests-0123456789abcdef"
NEW_DEVICE = "ab" * 32


def run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


async def push(
    client: aiohttp.ClientSession,
    gate: RunningGate,
    records: list[dict[str, Any]],
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    body = json.dumps(records).encode() if body is None else body
    headers = signed_headers(KEY, body) if headers is None else headers
    async with client.post(f"{gate.url}/push/devices", data=body, headers=headers) as r:
        return r.status, await r.json()


@contextlib.asynccontextmanager
async def two_replicas(
    tmp_path: Path,
) -> AsyncIterator[tuple[RunningGate, RunningGate]]:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    feed = default_feed()
    async with (
        running_gate(first, feed, store={"required": True}) as one,
        running_gate(second, feed, store={"required": True}) as two,
    ):
        yield one, two


@pytest.fixture
def shared_store(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ZTKIT_GATE_PUSH_KEY", KEY.decode())
    with redis_server() as (url, process):
        monkeypatch.setenv("ZTKIT_GATE_REDIS_URL", url)
        yield process


async def wait_ready(client: aiohttp.ClientSession, gate: RunningGate) -> None:
    for _ in range(100):
        async with client.get(f"{gate.url}/readyz") as response:
            if response.status == 200:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("gate never became ready")


def test_a_push_to_one_replica_reaches_the_other(
    tmp_path: Path, shared_store: Any
) -> None:
    async def scenario() -> None:
        async with (
            two_replicas(tmp_path) as (one, two),
            aiohttp.ClientSession() as client,
        ):
            await wait_ready(client, one)
            await wait_ready(client, two)
            assert await two.ask(client, device=NEW_DEVICE, method="POST") == 403

            status, answer = await push(client, one, [device(NEW_DEVICE)])
            assert (status, answer) == (200, {"received": 1, "newer": 1})
            await asyncio.sleep(0.2)

            assert await one.ask(client, device=NEW_DEVICE, method="POST") == 200
            assert await two.ask(client, device=NEW_DEVICE, method="POST") == 200

            # A fresher report from MDM that the device failed wins over the feed.
            await push(client, two, [device(MANAGED, edr_running=False)])
            await asyncio.sleep(0.2)
            assert await one.ask(client, method="POST") == 403

    run(scenario())


def test_a_replayed_push_is_refused_by_every_replica(
    tmp_path: Path, shared_store: Any
) -> None:
    async def scenario() -> None:
        async with (
            two_replicas(tmp_path) as (one, two),
            aiohttp.ClientSession() as client,
        ):
            await wait_ready(client, one)
            body = json.dumps([device(NEW_DEVICE)]).encode()
            headers = signed_headers(KEY, body)
            assert (await push(client, one, [], headers, body))[0] == 200
            assert (await push(client, one, [], headers, body))[0] == 401
            assert (await push(client, two, [], headers, body))[0] == 401

    run(scenario())


def test_a_replica_that_joins_late_reads_earlier_pushes(
    tmp_path: Path, shared_store: Any
) -> None:
    async def scenario() -> None:
        first, late = tmp_path / "first", tmp_path / "late"
        first.mkdir()
        late.mkdir()
        async with (
            running_gate(first, default_feed()) as one,
            aiohttp.ClientSession() as client,
        ):
            await push(client, one, [device(NEW_DEVICE)])
            async with running_gate(
                late, default_feed(), store={"required": True}
            ) as two:
                await wait_ready(client, two)
                assert await two.ask(client, device=NEW_DEVICE, method="POST") == 200

    run(scenario())


@pytest.mark.parametrize(
    ("tamper", "status"),
    [
        ("unsigned", 401),
        ("other key", 401),
        ("stale", 401),
        ("not json", 400),
        ("bad record", 400),
    ],
)
def test_bad_pushes_change_nothing(
    tmp_path: Path, shared_store: Any, tamper: str, status: int
) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            records = [device(NEW_DEVICE)]
            body = json.dumps(records).encode()
            headers = signed_headers(KEY, body)
            if tamper == "unsigned":
                headers = {"Content-Type": "application/json"}
            elif tamper == "other key":
                headers = signed_headers(b"x" * 40, body)
            elif tamper == "stale":
                headers = signed_headers(KEY, body, now=1_000_000)
            elif tamper == "not json":
                body = b"[{"
                headers = signed_headers(KEY, body)
            elif tamper == "bad record":
                body = json.dumps([device(NEW_DEVICE, os_version="fourteen")]).encode()
                headers = signed_headers(KEY, body)

            got, answer = await push(client, gate, records, headers, body)
            assert got == status
            if tamper == "bad record":
                assert "record 0" in answer["error"]
                assert "os_version" in answer["error"]
                assert "'fourteen'" in answer["error"]
            assert await gate.ask(client, device=NEW_DEVICE, method="POST") == 403

    run(scenario())


def test_a_push_is_refused_while_the_store_is_down(
    tmp_path: Path, shared_store: Any
) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed(), store={"required": True}) as gate,
            aiohttp.ClientSession() as client,
        ):
            await wait_ready(client, gate)
            shared_store.terminate()
            shared_store.wait(10)
            await asyncio.sleep(0.3)

            status, _ = await push(client, gate, [device(NEW_DEVICE)])
            assert status == 503
            async with client.get(f"{gate.url}/readyz") as response:
                assert response.status == 503
            # Decisions go on from the feed; the unshared push was not taken.
            assert await gate.ask(client, method="POST") == 200
            assert await gate.ask(client, device=NEW_DEVICE, method="POST") == 403

    run(scenario())


def test_pushes_are_off_without_a_key(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_gate(tmp_path, default_feed()) as gate,
            aiohttp.ClientSession() as client,
        ):
            status, _ = await push(client, gate, [device(NEW_DEVICE)])
            assert status == 404

    run(scenario())
