"""End to end: ``ztkit gate demo`` with the real nginx and real client certificates.

The demo runs as a user would start it, once for the module. Every request
goes over TLS to nginx with the device's certificate; nginx asks the gate,
the gate asks the identity stand-in (a test double playing oauth2-proxy's
documented ``/oauth2/auth`` contract, as no oauth2-proxy binary exists here)
and the sample app echoes what reached it.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gate.demo import DemoStartError, free_port, run_demo
from gate.demo_material import DEMO_CASES, DEMO_USERS
from gate.device_ca import (
    IssuedCertificate,
    issue_ca,
    issue_client_certificate,
)
from tests.conftest import ROOT, SAMPLE

START_TIMEOUT = 90.0
SPOOFED = "spoofed-by-client"
USER_GROUPS = {user.name: sorted(user.groups) for user in DEMO_USERS}


@dataclass
class Answer:
    """What came back through nginx."""

    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def echo(self) -> dict[str, Any]:
        """The sample app's JSON description of the request it received."""
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


class _Connection(http.client.HTTPSConnection):
    # Connects to loopback while sending the app's name for SNI and checking
    # the server certificate against it, as a browser would.
    def __init__(self, hostname: str, port: int, context: ssl.SSLContext) -> None:
        super().__init__(hostname, port, context=context, timeout=30)
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


@dataclass
class RunningDemo:
    """A demo started for the tests, with helpers to talk to it."""

    process: subprocess.Popen[bytes]
    workdir: Path
    port: int
    output: Path
    state: dict[str, Any]

    @property
    def expectations(self) -> list[dict[str, Any]]:
        return list(json.loads((self.workdir / "expectations.json").read_text()))

    def device_files(self, device: str) -> tuple[str, str]:
        folder = self.workdir / "devices"
        return str(folder / f"{device}.pem"), str(folder / f"{device}-key.pem")

    def cookie(self, user: str) -> str:
        for entry in self.expectations:
            if entry["user"] == user:
                return str(entry["cookie"])
        raise AssertionError(f"no cookie for {user}")

    def context(self, certificate: tuple[str, str] | None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.workdir / "server-ca.pem"))
        if certificate is not None:
            context.load_cert_chain(*certificate)
        return context

    def request(
        self,
        app: str,
        method: str = "GET",
        path: str = "/",
        *,
        device: str | None = None,
        certificate: tuple[str, str] | None = None,
        user: str | None = None,
        cookie: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        if device is not None:
            certificate = self.device_files(device)
        if user is not None:
            cookie = self.cookie(user)
        sent = dict(headers or {})
        if cookie is not None:
            sent["Cookie"] = cookie
        connection = _Connection(
            f"{app}.localhost", self.port, self.context(certificate)
        )
        try:
            connection.request(
                method, path, body=b"{}" if method == "POST" else None, headers=sent
            )
            response = connection.getresponse()
            return Answer(response.status, response.read(), dict(response.getheaders()))
        finally:
            connection.close()

    def raw(
        self, data: bytes, *, app: str = "hris", device: str = "managed-laptop"
    ) -> bytes:
        """Send bytes as they are and return the status line."""
        context = self.context(self.device_files(device))
        with (
            socket.create_connection(("127.0.0.1", self.port), timeout=30) as plain,
            context.wrap_socket(plain, server_hostname=f"{app}.localhost") as tls,
        ):
            tls.sendall(data)
            received = b""
            while b"\r\n" not in received:
                try:
                    chunk = tls.recv(65536)
                except (ssl.SSLError, ConnectionError):
                    break
                if not chunk:
                    break
                received += chunk
        return received.split(b"\r\n", 1)[0]

    def admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Call the identity stand-in's admin endpoint."""
        request = urllib.request.Request(
            self.state["identity"]["admin"] + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))


def start_demo(workdir: Path, port: int) -> RunningDemo:
    """Start ``ztkit gate demo`` and wait for its ready line."""
    output = workdir.parent / f"{workdir.name}-output.txt"
    with output.open("wb") as stream:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "ztkit", "gate", "demo",
                "--port", str(port), "--workdir", str(workdir),
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while "ready:" not in output.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_demo(process)
            raise AssertionError(f"the demo did not start:\n{output.read_text()}")
        time.sleep(0.2)
    state = json.loads((workdir / "demo.json").read_text())
    return RunningDemo(process, workdir, port, output, state)


def stop_demo(process: subprocess.Popen[bytes], signum: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(signum)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting to be reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def demo_processes(demo: RunningDemo) -> list[int]:
    """The gate, the nginx master and the nginx workers."""
    nginx = demo.state["nginx"]["pid"]
    return [demo.state["gate"]["pid"], nginx, *children(nginx)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    running = start_demo(tmp_path_factory.mktemp("demo"), free_port())
    yield running
    stop_demo(running.process)


def test_the_demo_names_each_part_and_how_to_try_it(demo: RunningDemo) -> None:
    lines = demo.output.read_text().splitlines()

    for part in ("workdir", "identity stand-in", "sample app", "gate", "nginx"):
        assert any(line.startswith(part) for line in lines), part
    assert any("http://127.0.0.1:" in line for line in lines if "gate" in line)
    ready = next(line for line in lines if line.startswith("ready: "))
    assert ready.startswith("ready: curl ")
    for name in ("expectations.json", "device-ca.pem", "device-feed.json", "gate.yaml"):
        assert (demo.workdir / name).is_file(), name


def test_the_curl_command_it_prints_works(demo: RunningDemo) -> None:
    ready = next(
        line
        for line in demo.output.read_text().splitlines()
        if line.startswith("ready: ")
    )
    command = shlex.split(ready.removeprefix("ready: "))

    result = subprocess.run(
        [*command, "--silent", "--show-error"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["user"] == "alice"


@pytest.mark.parametrize(
    "index",
    range(len(DEMO_CASES)),
    ids=[
        f"{c.user}-{c.device}-{c.app}-{c.method}-{c.expected_status}"
        for c in DEMO_CASES
    ],
)
def test_every_expectation_holds(demo: RunningDemo, index: int) -> None:
    entry = demo.expectations[index]
    url = urllib.parse.urlsplit(entry["url"])
    certificate = (entry["cert"], entry["key"]) if entry["cert"] else None

    answer = demo.request(
        entry["app"],
        entry["method"],
        url.path,
        certificate=certificate,
        cookie=entry["cookie"],
    )

    assert answer.status == entry["expected_status"], DEMO_CASES[index].why
    assert url.hostname == f"{entry['app']}.localhost"
    assert url.port == demo.port
    if answer.status == 200:
        echo = answer.echo
        assert echo["app"] == entry["app"]
        assert echo["method"] == entry["method"]
        assert echo["user"] == entry["user"]
        assert echo["email"] == f"{entry['user']}@fernhollow.example"
        assert sorted(echo["groups"]) == USER_GROUPS[entry["user"]]
        assert echo["device_trust"] in ("managed_healthy", "healthy_unmanaged")
        assert echo["access_level"] in ("full", "read_only")
        if entry["method"] == "POST":
            assert echo["access_level"] == "full"


# Spoofing: a client names headers that only nginx or the gate may set.


def _escaped(pem: str) -> str:
    return urllib.parse.quote(pem, safe="")


def _managed_certificate(demo: RunningDemo) -> str:
    return _escaped(Path(demo.device_files("managed-laptop")[0]).read_text())


SPOOFED_DENIALS = {
    "identity headers on a reader's write": (
        dict(app="hris", method="POST", user="bob", device="managed-laptop"),
        {
            "X-Auth-Request-User": "alice",
            "X-Auth-Request-Email": "alice@fernhollow.example",
            "X-Auth-Request-Groups": "hr-admins",
            "X-Ztkit-Access-Level": "full",
        },
        403,
    ),
    "groups for a non-member": (
        dict(app="hris", user="carol", device="managed-laptop"),
        {"X-Auth-Request-Groups": "hr-admins,hr-staff,managers"},
        403,
    ),
    "a certificate header without a certificate": (
        dict(app="leave", user="alice"),
        {
            "X-Client-Cert": "MANAGED",
            "X-Client-Verify": "SUCCESS",
            "X-Ztkit-Device-Trust": "managed_healthy",
        },
        403,
    ),
    "a certificate header beside an unmanaged device's certificate": (
        dict(app="hris", user="alice", device="personal-laptop"),
        {
            "X-Client-Cert": "MANAGED",
            "X-Client-Verify": "SUCCESS",
            "X-Ztkit-Device-Trust": "managed_healthy",
        },
        403,
    ),
    "a certificate header beside a failing device's certificate": (
        dict(app="leave", user="alice", device="failing-laptop"),
        {"X-Client-Cert": "MANAGED", "X-Client-Verify": "SUCCESS"},
        403,
    ),
    "another host": (
        dict(app="hris", user="alice", device="personal-laptop"),
        {
            "X-Forwarded-Host": "leave.localhost",
            "X-Original-URL": "https://leave.localhost/requests",
        },
        403,
    ),
    "another method": (
        dict(app="hris", method="POST", user="bob", device="managed-laptop"),
        {"X-Forwarded-Method": "GET", "X-Original-Method": "GET"},
        403,
    ),
    "identity headers without a session": (
        dict(app="hris", device="managed-laptop"),
        {
            "X-Auth-Request-User": "alice",
            "X-Auth-Request-Email": "alice@fernhollow.example",
            "X-Auth-Request-Groups": "hr-admins",
        },
        401,
    ),
}


@pytest.mark.parametrize("case", list(SPOOFED_DENIALS))
def test_spoofed_headers_never_turn_a_denial_into_an_allow(
    demo: RunningDemo, case: str
) -> None:
    request, spoofed, expected = SPOOFED_DENIALS[case]
    headers = {
        name: _managed_certificate(demo) if value == "MANAGED" else value
        for name, value in spoofed.items()
    }

    plain = demo.request(**request)  # type: ignore[arg-type]
    answer = demo.request(**request, headers=headers)  # type: ignore[arg-type]

    assert plain.status == expected
    assert answer.status == expected


def test_spoofed_headers_never_reach_the_app(demo: RunningDemo) -> None:
    headers = {
        "X-Auth-Request-User": SPOOFED,
        "X-Auth-Request-Email": f"{SPOOFED}@example.com",
        "X-Auth-Request-Groups": f"{SPOOFED},hr-admins",
        "X-Auth-Request-Preferred-Username": SPOOFED,
        "X-Ztkit-Device-Trust": SPOOFED,
        "X-Ztkit-Access-Level": SPOOFED,
        "X-Client-Cert": _managed_certificate(demo),
        "X-Client-Verify": f"SUCCESS-{SPOOFED}",
        "X-Forwarded-Host": f"{SPOOFED}.localhost",
        "X-Forwarded-Method": SPOOFED,
        "X-Forwarded-Uri": f"/{SPOOFED}",
        "X-Original-URL": f"https://{SPOOFED}.localhost/",
        "X-Real-IP": "203.0.113.7",
        "X-Forwarded-For": "203.0.113.7",
        "X-Request-Id": SPOOFED,
        "X_Auth_Request_User": SPOOFED,
    }

    answer = demo.request(
        "hris", user="alice", device="managed-laptop", headers=headers
    )

    assert answer.status == 200
    echo = answer.echo
    assert echo["user"] == "alice"
    assert sorted(echo["groups"]) == USER_GROUPS["alice"]
    assert echo["device_trust"] == "managed_healthy"
    assert echo["access_level"] == "full"
    received = {name.lower(): value for name, value in echo["headers"]}
    assert received["x-forwarded-host"] == "hris.localhost"
    assert received["x-real-ip"] == "127.0.0.1"
    assert "x-client-cert" not in received
    assert "x-client-verify" not in received
    for name, value in echo["headers"]:
        assert SPOOFED not in value, name
        assert "203.0.113.7" not in value, name
        assert "BEGIN%20CERTIFICATE" not in value, name


def test_a_reader_cannot_raise_the_access_level_the_app_sees(demo: RunningDemo) -> None:
    answer = demo.request(
        "hris",
        user="bob",
        device="managed-laptop",
        headers={"X-Ztkit-Access-Level": "full", "X-Auth-Request-Groups": "hr-admins"},
    )

    assert answer.status == 200
    assert answer.echo["access_level"] == "read_only"
    assert sorted(answer.echo["groups"]) == USER_GROUPS["bob"]


# Certificates that are not the managed device's, however alike they look.


def _forged(tmp_path: Path, issuer: IssuedCertificate | None) -> tuple[str, str]:
    if issuer is None:
        # Self-signed: a "CA" whose only certificate carries the device's name.
        issued = issue_ca("managed-laptop")
    else:
        issued = issue_client_certificate(issuer, "managed-laptop")
    certificate, key = tmp_path / "forged.pem", tmp_path / "forged-key.pem"
    issued.write(certificate, key)
    return str(certificate), str(key)


def _status_or_refused(demo: RunningDemo, certificate: tuple[str, str]) -> int | None:
    try:
        return demo.request(
            "hris", user="alice", certificate=certificate, path="/employees/1042"
        ).status
    except (ssl.SSLError, ConnectionError):
        return None


@pytest.mark.parametrize(
    "forger", ["another CA with the device CA's name", "self-signed"]
)
def test_a_forged_certificate_never_gets_the_managed_devices_access(
    demo: RunningDemo, tmp_path: Path, forger: str
) -> None:
    issuer = issue_ca("ztkit demo device CA") if forger != "self-signed" else None
    forged = _forged(tmp_path, issuer)

    status = _status_or_refused(demo, forged)

    assert status is None or not 200 <= status < 300, status
    genuine = demo.request("hris", user="alice", device="managed-laptop")
    assert genuine.status == 200


# Oversized and malformed requests.


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "padding=" + "a" * 20_000 + "; _oauth2_proxy=ALICE"},
        {"Cookie": "_oauth2_proxy=ALICE" + "b" * 20_000},
        {"Cookie": "_oauth2_proxy=ALICE", "X-Client-Cert": "c" * 20_000},
        {"Cookie": "_oauth2_proxy=ALICE", "X-Padding": "d" * 20_000},
    ],
    ids=["cookie", "session-cookie", "certificate-header", "other-header"],
)
def test_oversized_headers_are_denied(
    demo: RunningDemo, headers: dict[str, str]
) -> None:
    value = demo.cookie("alice").split("=", 1)[1]
    sent = {name: text.replace("ALICE", value) for name, text in headers.items()}

    answer = demo.request("hris", device="managed-laptop", headers=sent)

    assert not 200 <= answer.status < 300, answer.status


def _request_head(demo: RunningDemo, *lines: bytes) -> bytes:
    # A line starting "Cookie:" replaces alice's session cookie.
    cookie = demo.cookie("alice").encode()
    if not any(line.startswith(b"Cookie:") for line in lines):
        lines = (b"Cookie: " + cookie, *lines)
    head = [
        b"GET /employees/1042 HTTP/1.1",
        b"Host: hris.localhost",
        b"Connection: close",
        *lines,
    ]
    return b"\r\n".join(head) + b"\r\n\r\n"


MALFORMED = {
    "NUL in a header": [b"X-Note: a\x00b"],
    "control character in a header": [b"X-Note: a\x01b"],
    "bare CR in a header": [b"X-Note: a\rb"],
    "folded header line": [b"X-Auth-Request-User: mallory", b"  continued"],
    "space before the colon": [b"X-Auth-Request-User : mallory"],
    "space inside the name": [b"X Auth: mallory"],
    "empty header name": [b": mallory"],
    "two Host headers": [b"Host: leave.localhost"],
    "non-ASCII in the session cookie": [b"Cookie: SESSION\xff\xfe"],
    "a cookie name that is no token": [b"Cookie: SESSION; bad name{}=1"],
    "Transfer-Encoding and Content-Length": [
        b"Content-Length: 5",
        b"Transfer-Encoding: chunked",
    ],
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_headers_are_denied(demo: RunningDemo, case: str) -> None:
    well_formed = demo.raw(_request_head(demo))

    session = demo.cookie("alice").encode()
    lines = [line.replace(b"SESSION", session) for line in MALFORMED[case]]

    status_line = demo.raw(_request_head(demo, *lines))

    assert well_formed.startswith(b"HTTP/1.1 200")
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    assert not status_line.startswith(b"HTTP/1.1 2"), status_line


def test_a_request_line_naming_another_host_is_judged_on_that_host(
    demo: RunningDemo,
) -> None:
    # nginx routes by the absolute URI's host; the gate must judge that one,
    # not the Host header's (leave would let the unmanaged device in).
    cookie = demo.cookie("alice").encode()
    data = (
        f"GET https://hris.localhost:{demo.port}/employees/1042 HTTP/1.1\r\n".encode()
        + b"Host: leave.localhost\r\nConnection: close\r\nCookie: "
        + cookie
        + b"\r\n\r\n"
    )

    judged = demo.raw(data, app="hris", device="personal-laptop")
    # With client certificates on, nginx refuses a host other than the one
    # the TLS handshake named.
    misdirected = demo.raw(data, app="leave", device="personal-laptop")

    assert judged.startswith(b"HTTP/1.1 403"), judged
    assert misdirected.startswith(b"HTTP/1.1 421"), misdirected


def test_an_unknown_host_never_reaches_the_gate_or_an_app(demo: RunningDemo) -> None:
    context = demo.context(demo.device_files("managed-laptop"))
    context.check_hostname = False
    cookie = demo.cookie("alice").encode()
    with (
        socket.create_connection(("127.0.0.1", demo.port), timeout=30) as plain,
        context.wrap_socket(plain, server_hostname="payroll-archive.localhost") as tls,
    ):
        tls.sendall(
            b"GET / HTTP/1.1\r\nHost: payroll-archive.localhost\r\n"
            b"Connection: close\r\nCookie: " + cookie + b"\r\n\r\n"
        )
        status_line = tls.recv(65536).split(b"\r\n", 1)[0]

    assert status_line.startswith(b"HTTP/1.1 421"), status_line


# The identity provider misbehaving: every fault denies, and recovery allows.


@pytest.mark.parametrize(
    "mode", ["hang", "garbage-no-headers", "garbage-body", "garbage-status"]
)
def test_a_misbehaving_identity_provider_denies(demo: RunningDemo, mode: str) -> None:
    # A session no cache has seen, so the gate must ask the stand-in.
    value = secrets.token_urlsafe(16)
    demo.admin(
        "/sessions",
        {
            "cookie": value,
            "user": "alice",
            "email": "alice@fernhollow.example",
            "groups": list(USER_GROUPS["alice"]),
        },
    )
    cookie = f"_oauth2_proxy={value}"

    demo.admin("/mode", {"mode": mode})
    try:
        started = time.monotonic()
        answer = demo.request("hris", cookie=cookie, device="managed-laptop")
        elapsed = time.monotonic() - started
    finally:
        demo.admin("/mode", {"mode": "normal"})

    assert answer.status == 403
    assert elapsed < 5
    assert demo.request("hris", cookie=cookie, device="managed-laptop").status == 200


# Stopping.


def test_sigterm_stops_the_demo_and_everything_it_started(tmp_path: Path) -> None:
    running = start_demo(tmp_path / "demo", free_port())
    processes = demo_processes(running)
    assert len(processes) >= 3 and all(alive(pid) for pid in processes)

    code = stop_demo(running.process)

    assert code == 0
    assert "stopping" in running.output.read_text()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in processes if alive(pid)]
    assert not (running.workdir / "demo.json").exists()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", running.port))


def test_the_demos_processes_do_not_outlive_a_killed_demo(tmp_path: Path) -> None:
    running = start_demo(tmp_path / "demo", free_port())
    processes = demo_processes(running)

    stop_demo(running.process, signal.SIGKILL)

    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in processes if alive(pid)]


def test_a_part_that_dies_stops_the_demo_with_one_line(tmp_path: Path) -> None:
    running = start_demo(tmp_path / "demo", free_port())
    processes = demo_processes(running)

    os.kill(running.state["gate"]["pid"], signal.SIGKILL)
    code = running.process.wait(timeout=30)

    assert code == 1
    last = running.output.read_text().splitlines()[-1]
    assert last.startswith("ztkit gate demo: the gate exited with status -9")
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in processes if alive(pid)]


def test_a_part_that_fails_to_start_is_named_and_the_rest_stopped(
    tmp_path: Path,
) -> None:
    fake_nginx = tmp_path / "nginx"
    fake_nginx.write_text(
        "#!/bin/sh\necho 'nginx: [emerg] a fake nginx refuses to start' >&2\nexit 1\n"
    )
    fake_nginx.chmod(0o755)
    workdir = tmp_path / "demo"

    with pytest.raises(DemoStartError) as caught:
        run_demo(
            SAMPLE / "inventory.yaml",
            free_port(),
            workdir,
            io.StringIO(),
            nginx=str(fake_nginx),
        )

    message = str(caught.value)
    assert "the nginx exited with status 1 before it was ready" in message
    assert "a fake nginx refuses to start" in message
    assert str(workdir / "logs" / "nginx.log") in message
    assert not _processes_naming(str(workdir / "gate.yaml"))


def _processes_naming(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if text.encode() in command and alive(int(entry.name)):
            found.append(int(entry.name))
    return found
