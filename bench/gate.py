"""Benchmark: what the posture gate costs a request, through nginx, with wrk.

Three ways to the same application, all through one nginx on loopback that
terminates TLS and verifies the client certificate against a device CA:

- (a) no external auth: nginx to the app;
- (b) ``auth_request`` to an endpoint that allows everything, on the same
  server stack as the gate (aiohttp, one process), doing no work;
- (c) ``auth_request`` to the gate, with its session cache warm: the identity
  is looked up once, then every request is decided from the certificate, the
  device feed, the posture checks and the access table, and logged.

wrk cannot present a client certificate, so it talks plain HTTP to a
client-side nginx server that forwards over TLS with a managed, healthy
device's certificate on pooled connections. That hop is the same for all
three paths. Each path gets a warm-up, then a measured wrk run; the rounds
are interleaved (a, b, c, a, b, c...) and the median of each is reported.

Targets: (c) reaches at least half the throughput of (b), and its p99 is
under 2 ms above (b)'s.

Run: ``bench/gate.sh [--duration S] [--rounds N] [--connections C]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gate.demo_nginx import (
    GATE_REQUEST_HEADERS,
    IDENTITY_RESPONSE_HEADERS,
    captured_variable,
    nginx_command,
    upstream_variable,
    user_directive,
)
from gate.device_ca import (
    issue_ca,
    issue_client_certificate,
    issue_server_certificate,
)

HOST = "bench.localhost"
SESSION = "bench-session-4f0c2a9e"
PATHS = {"a": "no auth", "b": "always-allow auth", "c": "posture gate"}
PEERS = Path(__file__).resolve().parent / "gate_peers.py"


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Ports:
    """Every port of one benchmark run."""

    app: int
    allow: int
    identity: int
    gate: int
    gateway: dict[str, int]
    client: dict[str, int]

    @classmethod
    def choose(cls) -> Ports:
        return cls(
            app=free_port(),
            allow=free_port(),
            identity=free_port(),
            gate=free_port(),
            gateway={path: free_port() for path in PATHS},
            client={path: free_port() for path in PATHS},
        )


def write_material(workdir: Path, ports: Ports) -> None:
    """Certificates, the device feed, the session, and the gate's configuration."""
    device_ca = issue_ca("ztkit bench device CA")
    server_ca = issue_ca("ztkit bench server CA")
    device = issue_client_certificate(device_ca, "bench laptop")
    server = issue_server_certificate(server_ca, [HOST])
    device_ca.write(workdir / "device-ca.crt", workdir / "device-ca.key")
    server_ca.write(workdir / "server-ca.crt", workdir / "server-ca.key")
    device.write(workdir / "device.crt", workdir / "device.key")
    server.write(workdir / "server.crt", workdir / "server.key")

    now = datetime.datetime.now(datetime.UTC).isoformat()
    feed = [
        {
            "fingerprint": device.fingerprint,
            "platform": "macos",
            "os_version": "14.5",
            "disk_encrypted": True,
            "firewall": True,
            "edr_running": True,
            "managed": True,
            "last_check_in": now,
        }
    ]
    (workdir / "devices.json").write_text(json.dumps(feed))
    sessions = {
        SESSION: {"user": "bench", "email": "bench@example.com", "groups": ["staff"]}
    }
    (workdir / "sessions.json").write_text(json.dumps(sessions))
    config = {
        "apps": [
            {
                "id": "bench",
                "host": HOST,
                "classification": "confidential",
                "readers": ["staff"],
                "writers": ["staff"],
            }
        ],
        "identity": {
            "url": f"http://127.0.0.1:{ports.identity}/oauth2/auth",
            "cache_ttl": 600,
        },
        "feed": {"path": str(workdir / "devices.json")},
    }
    (workdir / "gate.yaml").write_text(yaml.safe_dump(config))


def nginx_config(workdir: Path, ports: Ports) -> str:
    """One nginx: the gateway for the three paths, and wrk's client-side hop."""
    to_auth = "\n".join(
        f"            proxy_set_header {name} {value};"
        for name, value in GATE_REQUEST_HEADERS
    )
    captured = "\n".join(
        f"        auth_request_set {captured_variable(h)} {upstream_variable(h)};"
        for h in IDENTITY_RESPONSE_HEADERS
    )
    to_app = "\n".join(
        f"        proxy_set_header {h} {captured_variable(h)};"
        for h in IDENTITY_RESPONSE_HEADERS
    )
    auth_upstream = {"b": "bench_allow", "c": "bench_gate"}

    def gateway(path: str) -> str:
        auth = ""
        if path in auth_upstream:
            auth = f"""
        location = /_auth {{
            internal;
            proxy_pass http://{auth_upstream[path]}/auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Host $host;
{to_auth}
        }}"""
        guard = f"auth_request /_auth;\n{captured}" if path in auth_upstream else ""
        return f"""
    server {{
        listen 127.0.0.1:{ports.gateway[path]} ssl;
        server_name {HOST};
        ssl_certificate "{workdir / "server.crt"}";
        ssl_certificate_key "{workdir / "server.key"}";
        ssl_client_certificate "{workdir / "device-ca.crt"}";
        ssl_verify_client optional;
        ssl_session_cache shared:bench_tls:1m;
{auth}
        location / {{
        {guard}
        proxy_pass http://bench_app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
{to_app if path in auth_upstream else ""}
        }}
    }}"""

    def client_side(path: str) -> str:
        return f"""
    upstream bench_gateway_{path} {{
        server 127.0.0.1:{ports.gateway[path]};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{ports.client[path]};
        location / {{
            proxy_pass https://bench_gateway_{path};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host {HOST};
            proxy_ssl_server_name on;
            proxy_ssl_name {HOST};
            proxy_ssl_trusted_certificate "{workdir / "server-ca.crt"}";
            proxy_ssl_verify on;
            proxy_ssl_session_reuse on;
            proxy_ssl_certificate "{workdir / "device.crt"}";
            proxy_ssl_certificate_key "{workdir / "device.key"}";
        }}
    }}"""

    temp = workdir / "temp"
    return f"""{user_directive()}worker_processes 2;
lock_file "{workdir / "nginx.lock"}";
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path "{temp / "client_body"}";
    proxy_temp_path "{temp / "proxy"}";
    fastcgi_temp_path "{temp / "fastcgi"}";
    uwsgi_temp_path "{temp / "uwsgi"}";
    scgi_temp_path "{temp / "scgi"}";
    upstream bench_app {{ server 127.0.0.1:{ports.app}; keepalive 64; }}
    upstream bench_allow {{ server 127.0.0.1:{ports.allow}; keepalive 64; }}
    upstream bench_gate {{ server 127.0.0.1:{ports.gate}; keepalive 64; }}
{"".join(gateway(path) for path in PATHS)}
{"".join(client_side(path) for path in PATHS)}
}}
"""


@contextmanager
def started(commands: dict[str, list[str]], workdir: Path) -> Iterator[None]:
    """Start every process; stop them all, whatever happens."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            log = (workdir / f"{name}.log").open("wb")
            processes.append(
                subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            )
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(url: str, workdir: Path, expect: int = 200) -> None:
    """Poll ``url`` until it answers ``expect``; fail with the logs otherwise."""
    deadline = time.monotonic() + 20
    last: object = None
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                url, headers={"Host": HOST, "Cookie": f"_oauth2_proxy={SESSION}"}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == expect:
                    return
                last = response.status
        except OSError as error:
            last = error
        time.sleep(0.1)
    logs = {p.name: p.read_text(errors="replace")[-500:] for p in workdir.glob("*.log")}
    raise SystemExit(
        f"bench: {url} never answered {expect} (last: {last}); logs: {logs}"
    )


@dataclass(frozen=True)
class Measurement:
    """What one wrk run reported."""

    requests_per_second: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(port: int, seconds: int, connections: int) -> Measurement:
    """Load one path with wrk and read its throughput and p99."""
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Host: {HOST}",
        "-H",
        f"Cookie: _oauth2_proxy={SESSION}",
        f"http://127.0.0.1:{port}/",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    if rate is None or p99 is None:
        raise SystemExit(f"bench: cannot read wrk's output:\n{output}")
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = int(failed.group(1)) if failed else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Measurement(
        float(rate.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)], errors
    )


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument(
        "--connections", type=int, default=32, help="connections for throughput"
    )
    parser.add_argument(
        "--latency-connections",
        type=int,
        default=2,
        help="connections for latency: few, so p99 shows the time a request "
        "takes rather than the queue a saturated server builds",
    )
    arguments = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None and not Path("/usr/sbin/nginx").exists():
            raise SystemExit(f"bench: {tool} is not installed (Debian package {tool})")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    workdir = Path(tempfile.mkdtemp(prefix="ztkit-gate-bench-"))
    (workdir / "temp").mkdir()
    (workdir / "logs").mkdir()
    ports = Ports.choose()
    write_material(workdir, ports)
    (workdir / "nginx.conf").write_text(nginx_config(workdir, ports))
    python = sys.executable
    decision_log = workdir / "decisions.log"
    commands = {
        "app": [python, str(PEERS), "app", str(ports.app)],
        "allow": [python, str(PEERS), "allow", str(ports.allow)],
        "identity": [
            python,
            "-m",
            "gate.identity_standin",
            "--sessions",
            str(workdir / "sessions.json"),
            "--port",
            str(ports.identity),
        ],
        "gate": [
            "sh",
            "-c",
            f'exec "{python}" -m gate serve --config "{workdir / "gate.yaml"}" '
            f'--port {ports.gate} --log-level warning > "{decision_log}"',
        ],
        "nginx": nginx_command(nginx, workdir),
    }
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))

    results: dict[str, list[Measurement]] = {path: [] for path in PATHS}
    latencies: dict[str, list[Measurement]] = {path: [] for path in PATHS}
    with started(commands, workdir):
        wait_for(f"http://127.0.0.1:{ports.gate}/readyz", workdir)
        for path in PATHS:
            wait_for(f"http://127.0.0.1:{ports.client[path]}/", workdir)
            run_wrk(ports.client[path], 2, arguments.connections)
        for _ in range(arguments.rounds):
            for path in PATHS:
                results[path].append(
                    run_wrk(
                        ports.client[path], arguments.duration, arguments.connections
                    )
                )
                latencies[path].append(
                    run_wrk(
                        ports.client[path],
                        arguments.duration,
                        arguments.latency_connections,
                    )
                )

    decisions = sum(1 for _ in decision_log.open()) if decision_log.exists() else 0
    shutil.rmtree(workdir, ignore_errors=True)

    median = {
        path: (
            statistics.median(m.requests_per_second for m in runs),
            statistics.median(m.p99_ms for m in latencies[path]),
            sum(m.errors for m in runs + latencies[path]),
            statistics.median(m.p99_ms for m in runs),
        )
        for path, runs in results.items()
    }
    print(
        f"wrk through nginx with TLS client certificates on loopback, "
        f"{arguments.duration} s per run, median of {arguments.rounds} interleaved "
        f"rounds; requests/s at {arguments.connections} connections, p99 at "
        f"{arguments.latency_connections} (and at {arguments.connections}, where "
        "it is mostly queueing)"
    )
    for path, (rate, p99, errors, saturated_p99) in median.items():
        print(
            f"({path}) {PATHS[path]:<18} {rate:9.0f} requests/s   p99 {p99:6.2f} ms"
            f" ({saturated_p99:6.2f} ms)   non-2xx or socket errors: {errors}"
        )
    throughput_ratio = median["c"][0] / median["b"][0]
    added_p99 = median["c"][1] - median["b"][1]
    print(f"gate decision lines written: {decisions}")
    print(
        f"throughput (c)/(b): {throughput_ratio:.2f} "
        f"(target at least 0.50: {'met' if throughput_ratio >= 0.5 else 'missed'})"
    )
    print(f"throughput (b)/(a): {median['b'][0] / median['a'][0]:.2f}")
    print(
        f"p99 added by the gate over (b): {added_p99:+.2f} ms "
        f"(target under 2 ms: {'met' if added_p99 < 2 else 'missed'})"
    )
    if any(errors for _, _, errors, _ in median.values()):
        print("bench: some requests failed; the figures above are not valid")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
