"""``ztkit gate demo``: the posture gate behind a real nginx, on loopback.

The demo writes its certificates, device feed, sessions and configuration
into a working folder, then starts four parts: the identity stand-in (a test
double for oauth2-proxy's ``/oauth2/auth``) and the sample application in
this process, the gate and nginx as child processes. It prints each part's
address and a curl command to try, and runs until SIGTERM or SIGINT, when it
stops every part and exits 0.

The children die with the demo: they are stopped in order on a signal, and
on Linux the kernel also sends them SIGTERM if the demo itself is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TextIO

import aiohttp
from aiohttp import web

from assessment.atomic_file import write_atomic
from assessment.inventory import load_inventory
from gate import demo_app
from gate.demo_material import (
    EMAIL_DOMAIN,
    DemoError,
    DemoMaterial,
    app_host,
    curl_command,
    expectations,
    write_gate_config,
    write_json,
    write_material,
)
from gate.demo_nginx import (
    NginxSettings,
    nginx_command,
    nginx_config,
    unusable_path_character,
)
from gate.errors import GateError
from gate.identity_standin import ADMIN_PREFIX, AUTH_PATH, IdentityStandIn
from gate.loopback import LOOPBACK, LoopbackServer

DEFAULT_PORT = 8443
START_TIMEOUT = 30.0
"""Seconds the gate and nginx get to become ready."""
STOP_TIMEOUT = 10.0
"""Seconds a child gets to stop after SIGTERM before it is killed."""
POLL_INTERVAL = 0.1
WATCH_INTERVAL = 0.5
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class DemoStartError(GateError):
    """A part of the demo failed to start or died; its log says why."""


def find_nginx() -> str:
    """The nginx binary.

    Raises:
        DemoError: nginx is not installed.
    """
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        raise DemoError("nginx is not installed; install the Debian package 'nginx'")
    return found


def check_port(port: int) -> None:
    """Make sure nginx will be able to listen on ``127.0.0.1:port``.

    Raises:
        DemoError: The port is out of range, in use or not permitted.
    """
    if not 1 <= port <= 65535:
        raise DemoError(f"--port {port}: not a TCP port; choose one in 1-65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # nginx sets SO_REUSEADDR too, so a port held only by connections in
        # TIME_WAIT counts as free here as it does for nginx.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise DemoError(
                    f"--port {port}: {LOOPBACK}:{port} is already in use; "
                    "choose another with --port"
                ) from None
            raise DemoError(
                f"--port {port}: cannot listen on {LOOPBACK}:{port}: {error.strerror}"
            ) from None


def prepare_workdir(workdir: Path | None) -> Path:
    """The working folder: ``workdir`` created if needed, or a fresh temporary one.

    Raises:
        DemoError: The folder cannot be created or written, nginx cannot use
            its path, or another demo is running in it.
    """
    if workdir is None:
        folder = Path(tempfile.mkdtemp(prefix="ztkit-gate-demo-"))
    else:
        folder = workdir.expanduser().absolute()
    shown = f"--workdir {str(folder)!r}"

    character = unusable_path_character(folder)
    if character is not None:
        raise DemoError(f"{shown}: nginx cannot use a path containing {character!r}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DemoError(f"{shown}: cannot create it: {error.strerror}") from None
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise DemoError(f"{shown}: not writable: {error.strerror}") from None

    running = _running_demo(folder / "demo.json")
    if running is not None:
        raise DemoError(
            f"{shown}: another demo (pid {running}) is running in it; "
            "stop it or choose another folder"
        )
    return folder


def _running_demo(state: Path) -> int | None:
    try:
        pid = json.loads(state.read_text(encoding="utf-8"))["pid"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(pid, int) or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def run_demo(
    inventory_path: Path,
    port: int = DEFAULT_PORT,
    workdir: Path | None = None,
    out: TextIO | None = None,
    *,
    nginx: str | None = None,
) -> int:
    """Run the demo until SIGTERM or SIGINT.

    Args:
        inventory_path: The sample inventory the demo's apps and groups come from.
        port: Where nginx listens on loopback.
        workdir: Where files and logs go; a new temporary folder when ``None``.
        out: Where the parts' addresses are printed; standard output by default.
        nginx: The nginx binary; found on the ``PATH`` by default.

    Returns:
        0 after a signal stopped it cleanly; 1 when a part died while running.

    Raises:
        DemoError: A bad argument: the port, the folder, nginx missing.
        DemoStartError: A part did not start; the message names its log.
        InventoryError: The inventory cannot be read.
    """
    binary = nginx or find_nginx()
    check_port(port)
    inventory = load_inventory(inventory_path)
    folder = prepare_workdir(workdir)
    demo = _Demo(port, folder, binary, out or sys.stdout)
    return asyncio.run(demo.run(lambda: write_material(folder, inventory)))


class _Demo:
    def __init__(self, port: int, workdir: Path, nginx: str, out: TextIO) -> None:
        self.port = port
        self.workdir = workdir
        self.nginx = nginx
        self.out = out
        self.stopping = asyncio.Event()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.process_logs: dict[str, Path] = {}
        """Where each child says why it stopped."""
        self.servers: list[LoopbackServer] = []
        self.logs: list[IO[bytes]] = []
        self.state: dict[str, Any] = {"pid": os.getpid(), "port": port}
        """What demo.json tells scripts and tests about the running parts."""

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    async def run(self, write: Callable[[], DemoMaterial]) -> int:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self.stopping.set)
        try:
            material = write()
            if not await self._start(material):
                return 0
            return await self._watch()
        finally:
            await self._stop()
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)

    async def _start(self, material: DemoMaterial) -> bool:
        # Each step returns False when a signal arrived while it waited.
        self.say(f"workdir            {self.workdir}")
        identity_url, app_port = await self._start_in_process(material)
        gate_port = await self._start_gate(material, identity_url)
        if gate_port is None or not await self._start_nginx(
            material, gate_port, app_port
        ):
            return False

        entries = expectations(material, self.port)
        write_json(material.paths.expectations, entries)
        self.state["started"] = datetime.datetime.now(datetime.UTC).isoformat()
        write_json(material.paths.state, self.state)
        self.say(
            f"expectations       {material.paths.expectations}  "
            f"({len(entries)} requests)"
        )
        self.say(f"ready: {curl_command(material, entries[0])}")
        return True

    async def _start_in_process(self, material: DemoMaterial) -> tuple[str, int]:
        stand_in = IdentityStandIn(material.sessions, email_domains=[EMAIL_DOMAIN])
        identity = await self._serve(stand_in.application())
        identity_url = f"{identity.url}{AUTH_PATH}"
        admin_url = f"{identity.url}{ADMIN_PREFIX}"
        self.state["identity"] = {"url": identity_url, "admin": admin_url}
        self.say(
            f"identity stand-in  {identity_url}  (plays oauth2-proxy's /oauth2/auth; "
            f"fault modes at {admin_url}/mode)"
        )

        app = await self._serve(demo_app.application())
        self.state["app"] = {"url": app.url}
        self.say(f"sample app         {app.url}/  (echoes what reaches it)")
        return identity_url, app.port

    async def _start_gate(
        self, material: DemoMaterial, identity_url: str
    ) -> int | None:
        write_gate_config(material, identity_url)
        port, metrics_port = free_port(), free_port()
        url = f"http://{LOOPBACK}:{port}"
        metrics_url = f"http://{LOOPBACK}:{metrics_port}/metrics"
        self._spawn(
            "gate",
            [
                sys.executable, "-m", "gate", "serve",
                "--config", str(material.paths.gate_config),
                "--host", LOOPBACK,
                "--port", str(port),
                "--metrics-port", str(metrics_port),
            ],
        )  # fmt: skip
        if not await self._wait_ready("gate", f"{url}/readyz"):
            return None

        self.state["gate"] = {
            "url": url,
            "metrics": metrics_url,
            "pid": self.processes["gate"].pid,
        }
        self.say(
            f"gate               {url}/auth  (metrics {metrics_url}; "
            f"log {self.process_logs['gate']})"
        )
        return port

    async def _start_nginx(
        self, material: DemoMaterial, gate_port: int, app_port: int
    ) -> bool:
        paths = material.paths
        hosts = [app_host(app.id) for app in material.apps]
        settings = NginxSettings(
            workdir=self.workdir,
            port=self.port,
            hosts=hosts,
            gate_port=gate_port,
            app_port=app_port,
            server_certificate=paths.server_certificate,
            server_key=paths.server_key,
            device_ca=paths.device_ca,
        )
        write_atomic(paths.nginx_config, nginx_config(settings))
        self._spawn("nginx", nginx_command(self.nginx, self.workdir))
        if not await self._wait_listening("nginx"):
            return False

        self.state["nginx"] = {"pid": self.processes["nginx"].pid, "hosts": hosts}
        addresses = " ".join(f"https://{host}:{self.port}/" for host in hosts)
        self.say(f"nginx              {addresses}  (log {self.process_logs['nginx']})")
        return True

    async def _serve(self, application: web.Application) -> LoopbackServer:
        server = LoopbackServer(application)
        await server.start()
        self.servers.append(server)
        return server

    def _spawn(self, name: str, command: list[str]) -> None:
        log_path = self.workdir / "logs" / f"{name}.log"
        log = log_path.open("ab")
        self.logs.append(log)
        self.process_logs[name] = log_path
        self.processes[name] = subprocess.Popen(
            _dying_with_parent(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            # Its own session: a Ctrl-C in the terminal reaches the demo only,
            # which then stops the children in order.
            start_new_session=True,
        )

    async def _wait_ready(self, name: str, url: str) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        timeout = aiohttp.ClientTimeout(total=1)
        async with aiohttp.ClientSession(timeout=timeout) as client:
            while not self.stopping.is_set():
                self._check_alive(name, starting=True)
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with client.get(url) as response:
                        if response.status == 200:
                            return True
                if time.monotonic() > deadline:
                    raise DemoStartError(
                        f"the {name} was not ready within {START_TIMEOUT:.0f} s "
                        f"({url}); see {self.process_logs[name]}"
                    )
                await self._pause()
        return False

    async def _wait_listening(self, name: str) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while not self.stopping.is_set():
            self._check_alive(name, starting=True)
            try:
                _, writer = await asyncio.open_connection(LOOPBACK, self.port)
            except OSError:
                if time.monotonic() > deadline:
                    raise DemoStartError(
                        f"{name} did not listen on {LOOPBACK}:{self.port} within "
                        f"{START_TIMEOUT:.0f} s; see {self.process_logs[name]}"
                    ) from None
                await self._pause()
                continue
            writer.close()
            await writer.wait_closed()
            return True
        return False

    async def _pause(self, seconds: float = POLL_INTERVAL) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    def _check_alive(self, name: str, *, starting: bool) -> None:
        status = self.processes[name].poll()
        if status is None:
            return
        log_path = self.process_logs[name]
        when = "before it was ready" if starting else "while the demo ran"
        raise DemoStartError(
            f"the {name} exited with status {status} {when}: "
            f"{_last_line(log_path)} (log: {log_path})"
        )

    async def _watch(self) -> int:
        while not self.stopping.is_set():
            for name in self.processes:
                try:
                    self._check_alive(name, starting=False)
                except DemoStartError as error:
                    print(f"ztkit gate demo: {error}", file=sys.stderr, flush=True)
                    return 1
            await self._pause(WATCH_INTERVAL)
        self.say("stopping")
        return 0

    async def _stop(self) -> None:
        # nginx first, so no request arrives at a gate or app that is going.
        for name in ("nginx", "gate"):
            process = self.processes.get(name)
            if process is not None:
                await _terminate(process)
        for server in reversed(self.servers):
            await server.stop()
        for log in self.logs:
            log.close()
        with contextlib.suppress(OSError):
            (self.workdir / "demo.json").unlink()


async def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(POLL_INTERVAL)
    if process.poll() is None:
        # Killing the whole process group takes nginx's workers with the master.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _dying_with_parent(command: list[str]) -> list[str]:
    # util-linux's setpriv asks the kernel for SIGTERM when the demo dies and
    # then execs the command in the same process. It replaces a preexec_fn,
    # which is unsafe once the event loop has started threads.
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    if setpriv is None:
        # TODO: without setpriv, a demo killed by SIGKILL leaves its children.
        return command
    return [setpriv, "--pdeathsig", "TERM", "--", *command]


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return "(empty log)"
