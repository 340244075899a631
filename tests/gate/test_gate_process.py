"""The gate as its container runs it: ``python -m gate serve``, signals and all."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from gate.identity_standin import IdentityStandIn
from gate.loopback import LoopbackServer
from tests.conftest import ROOT
from tests.gate.gate_harness import (
    SESSIONS,
    UNMANAGED,
    default_feed,
    free_port,
    gate_config,
    write_atomically,
)


async def start_gate(config: Path, port: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gate",
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        "--metrics-port",
        str(free_port()),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with aiohttp.ClientSession() as client:
        for _ in range(200):
            try:
                async with client.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    process.kill()
    raise AssertionError("the gate did not become ready")


async def ask(client: aiohttp.ClientSession, port: int, **headers: str) -> int:
    base = {
        "X-Forwarded-Host": "ledger.fern.example",
        "X-Forwarded-Method": "GET",
        "X-Forwarded-Uri": "/",
        "Cookie": "_oauth2_proxy=alice-session",
        "X-Forwarded-Client-Cert": f"Hash={UNMANAGED}",
    }
    async with client.get(f"http://127.0.0.1:{port}/auth", headers=base | headers) as r:
        return r.status


def write_config(path: Path, workdir: Path, url: str, **overrides: Any) -> None:
    write_atomically(path, yaml.safe_dump(gate_config(workdir, url, **overrides)))


def test_sighup_reloads_and_refuses_a_broken_config(tmp_path: Path) -> None:
    async def scenario() -> tuple[bytes, bytes]:
        standin = IdentityStandIn(SESSIONS)
        server = LoopbackServer(standin.application())
        await server.start()
        write_atomically(tmp_path / "devices.json", json.dumps(default_feed()))
        config = tmp_path / "gate.yaml"
        write_config(config, tmp_path, server.url)
        port = free_port()
        process = await start_gate(config, port)
        async with aiohttp.ClientSession() as client:
            # Confidential: an unmanaged device may read.
            assert await ask(client, port) == 200

            apps = gate_config(tmp_path, server.url)["apps"]
            apps[0]["classification"] = "restricted"
            write_config(config, tmp_path, server.url, apps=apps)
            process.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.3)
            assert await ask(client, port) == 403

            config.write_text("apps: [{id: ledger}]\n")
            process.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.3)
            # The broken file was refused; the restricted rule still holds.
            assert await ask(client, port) == 403
            assert (
                await ask(client, port, **{"X-Forwarded-Host": "payroll.fern.example"})
                == 403
            )

        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 15)
        assert process.returncode == 0
        await server.stop()
        return out, err

    out, err = asyncio.run(scenario())
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert [line["status"] for line in lines] == [200, 403, 403, 403]
    assert "reload refused" in err.decode()
    assert "gate.yaml:1:" in err.decode()


def test_sigterm_answers_requests_in_flight(tmp_path: Path) -> None:
    async def scenario() -> None:
        standin = IdentityStandIn(SESSIONS, hang_seconds=0.6)
        server = LoopbackServer(standin.application())
        await server.start()
        write_atomically(tmp_path / "devices.json", json.dumps(default_feed()))
        config = tmp_path / "gate.yaml"
        write_config(config, tmp_path, server.url, identity={"timeout": 5})
        port = free_port()
        process = await start_gate(config, port)
        standin.mode = "hang"
        async with aiohttp.ClientSession() as client:
            in_flight = asyncio.create_task(ask(client, port))
            await asyncio.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            # The provider gives up after 0.6 s; the gate still answers (deny).
            assert await in_flight == 403
        await asyncio.wait_for(process.wait(), 15)
        assert process.returncode == 0
        await server.stop()

    asyncio.run(scenario())


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    async def scenario() -> tuple[int | None, bytes]:
        config = tmp_path / "gate.yaml"
        config.write_text("limits:\n  max_header_bytes: lots\n")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gate",
            "serve",
            "--config",
            str(config),
            cwd=ROOT,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        return process.returncode, err

    code, err = asyncio.run(scenario())
    assert code == 2
    assert err.decode().count("\n") == 1
    assert "gate.yaml:2:" in err.decode()
    assert "limits.max_header_bytes" in err.decode()
    assert "'lots'" in err.decode()
