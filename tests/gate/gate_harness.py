"""A gate on loopback with the oauth2-proxy stand-in, for the service tests."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime
import hashlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from gate.identity_standin import IdentityStandIn, Session
from gate.loopback import LoopbackServer
from gate.server import serve

MANAGED = hashlib.sha256(b"managed laptop").hexdigest()
UNMANAGED = hashlib.sha256(b"personal laptop").hexdigest()
FAILING = hashlib.sha256(b"unencrypted laptop").hexdigest()

SESSIONS = {
    "alice-session": Session("alice", "alice@fern.example", ("finance", "staff")),
    "bob-session": Session("bob", "bob@fern.example", ("staff",)),
    "carol-session": Session("carol", "carol@fern.example", ("sales",)),
}

APPS = [
    {
        "id": "ledger",
        "host": "ledger.fern.example",
        "classification": "confidential",
        "readers": ["staff"],
        "writers": ["finance"],
    },
    {
        "id": "payroll",
        "host": "payroll.fern.example",
        "classification": "restricted",
        "readers": ["finance"],
        "writers": ["finance"],
    },
]


def device(fingerprint: str, **changes: Any) -> dict[str, Any]:
    """A device record that passes every check unless ``changes`` say otherwise."""
    record = {
        "fingerprint": fingerprint,
        "platform": "macos",
        "os_version": "14.4",
        "disk_encrypted": True,
        "firewall": True,
        "edr_running": True,
        "managed": True,
        "last_check_in": datetime.datetime.now(datetime.UTC).isoformat(),
    }
    record.update(changes)
    return record


def default_feed() -> list[dict[str, Any]]:
    """A managed, an unmanaged and a failing device."""
    return [
        device(MANAGED),
        device(UNMANAGED, managed=False),
        device(FAILING, disk_encrypted=False),
    ]


def write_atomically(path: Path, text: str) -> None:
    """Replace a file in one step, as an MDM export job should."""
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    partial.replace(path)


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningGate:
    """A gate started by ``running_gate`` and what it talks to."""

    url: str
    metrics_url: str
    workdir: Path
    config_path: Path
    standin: IdentityStandIn
    standin_server: LoopbackServer
    lines: list[dict[str, Any]] = field(default_factory=list)

    def auth_headers(
        self,
        host: str = "ledger.fern.example",
        method: str = "GET",
        cookie: str | None = "_oauth2_proxy=alice-session",
        device: str | None = MANAGED,
        **extra: str,
    ) -> dict[str, str]:
        """The headers a gateway sends for a request to ``host``."""
        headers = {
            "X-Forwarded-Host": host,
            "X-Forwarded-Method": method,
            "X-Forwarded-Uri": "/records?token=secret-query-token",
        }
        if cookie is not None:
            headers["Cookie"] = cookie
        if device is not None:
            headers["X-Forwarded-Client-Cert"] = f'Hash={device};Subject="CN=d"'
        headers.update(extra)
        return headers

    async def ask(self, client: aiohttp.ClientSession, **kwargs: Any) -> int:
        """Send one auth sub-request; returns its status."""
        async with client.get(
            f"{self.url}/auth", headers=self.auth_headers(**kwargs)
        ) as r:
            return r.status

    async def metric(self, client: aiohttp.ClientSession, name: str) -> float:
        """The summed value of every sample of one metric."""
        async with client.get(f"{self.metrics_url}/metrics") as response:
            text = await response.text()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total


def gate_config(workdir: Path, identity_url: str, **overrides: Any) -> dict[str, Any]:
    """A configuration for the test apps, with Envoy-style certificate headers."""
    config: dict[str, Any] = {
        "apps": copy.deepcopy(APPS),
        "identity": {"url": f"{identity_url}/oauth2/auth", "timeout": 1.0},
        "client_certificate": {
            "format": "xfcc",
            "certificate_header": "X-Forwarded-Client-Cert",
        },
        "feed": {"path": str(workdir / "devices.json"), "reload_interval": 0.05},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


class _Lines:
    def __init__(self, lines: list[dict[str, Any]]) -> None:
        self.lines = lines

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.lines.append(json.loads(line))
        return len(text)

    def flush(self) -> None:
        pass


@contextlib.asynccontextmanager
async def running_gate(
    workdir: Path,
    feed: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> AsyncIterator[RunningGate]:
    """Start the stand-in and a gate in this event loop; stop both after."""
    from gate.decision_log import configure_decision_log

    standin = IdentityStandIn(SESSIONS)
    standin_server = LoopbackServer(standin.application())
    await standin_server.start()
    if feed is not None:
        write_atomically(workdir / "devices.json", json.dumps(feed))
    config_path = workdir / "gate.yaml"
    config_path.write_text(
        yaml.safe_dump(gate_config(workdir, standin_server.url, **overrides))
    )

    lines: list[dict[str, Any]] = []
    configure_decision_log(_Lines(lines))  # type: ignore[arg-type]
    port, metrics_port = free_port(), free_port()
    started, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        serve(config_path, "127.0.0.1", port, metrics_port, started=started, stop=stop)
    )
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    running = RunningGate(
        url=f"http://127.0.0.1:{port}",
        metrics_url=f"http://127.0.0.1:{metrics_port}",
        workdir=workdir,
        config_path=config_path,
        standin=standin,
        standin_server=standin_server,
        lines=lines,
    )
    try:
        yield running
    finally:
        stop.set()
        # A gate that cannot stop fails the test instead of hanging the suite.
        await asyncio.wait_for(task, 30)
        await standin_server.stop()


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway Redis on loopback: its URL and its process."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is installed by .ci/run (Debian package redis-server)"
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="ztkit-redis-")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), 0.2),
        ):
            break
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
