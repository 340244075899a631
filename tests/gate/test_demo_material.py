"""What the demo writes, and how it refuses bad arguments; no processes started."""

from __future__ import annotations

import datetime
import json
import os
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from assessment.inventory import load_inventory
from gate.conditional_access import decide
from gate.demo import check_port, prepare_workdir
from gate.demo_material import (
    DEMO_CASES,
    DEMO_USERS,
    DemoError,
    DemoMaterial,
    expectations,
    write_gate_config,
    write_material,
)
from gate.demo_nginx import NginxSettings, nginx_command, nginx_config
from gate.device_ca import certificate_fingerprint
from gate.device_feed import load_feed
from gate.identity_standin import load_sessions
from gate.posture import assess_device
from tests.conftest import SAMPLE
from ztkit.cli import main

KEYS = {
    "user",
    "device",
    "app",
    "method",
    "url",
    "cookie",
    "cert",
    "key",
    "expected_status",
}


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> DemoMaterial:
    workdir = tmp_path_factory.mktemp("demo")
    material = write_material(workdir, load_inventory(SAMPLE / "inventory.yaml"))
    write_gate_config(material, "http://127.0.0.1:9/oauth2/auth")
    return material


def test_expectations_have_exactly_the_documented_keys(material: DemoMaterial) -> None:
    entries = expectations(material, 8443)

    assert entries
    for entry in entries:
        assert set(entry) == KEYS
        assert entry["url"].startswith(f"https://{entry['app']}.localhost:8443/")
        assert (entry["cert"] is None) == (entry["device"] is None)
        assert (entry["key"] is None) == (entry["device"] is None)
        if entry["cert"]:
            assert Path(entry["cert"]).is_file() and Path(entry["key"]).is_file()
    json.dumps(entries)


def test_expectations_cover_every_kind_of_answer(material: DemoMaterial) -> None:
    entries = expectations(material, 8443)
    by = {
        (e["user"], e["device"], e["app"], e["method"]): e["expected_status"]
        for e in entries
    }

    # Full access: GET and POST allowed.
    assert by["alice", "managed-laptop", "hris", "GET"] == 200
    assert by["alice", "managed-laptop", "hris", "POST"] == 200
    # Read-only: GET allowed, POST denied.
    assert by["bob", "managed-laptop", "hris", "GET"] == 200
    assert by["bob", "managed-laptop", "hris", "POST"] == 403
    # A posture denial, a group denial and a missing session.
    assert by["alice", "failing-laptop", "leave", "GET"] == 403
    assert by["carol", "managed-laptop", "hris", "GET"] == 403
    assert by[None, "managed-laptop", "hris", "GET"] == 401
    classifications = {app.classification for app in material.apps}
    assert {"restricted", "confidential", "internal"} <= classifications


def test_expectations_agree_with_the_decision_core(material: DemoMaterial) -> None:
    # The table in demo_material is written by hand; the pure decision core
    # must reach the same answers from the same feed, groups and policy.
    from gate.config import load_gate_config

    config = load_gate_config(material.paths.gate_config)
    feed = load_feed(material.paths.feed)
    apps = {app.id: app for app in material.apps}
    users = {user.name: user for user in DEMO_USERS}
    now = datetime.datetime.now(datetime.UTC)

    for case in DEMO_CASES:
        if case.user is None:
            assert case.expected_status == 401
            continue
        user = users[case.user]
        if not user.email.endswith("@fernhollow.example"):
            assert case.expected_status == 403, case
            continue
        record = feed.get(material.fingerprints[case.device]) if case.device else None
        trust = assess_device(record, config.posture, now)
        decision = decide(
            user.groups, apps[case.app], case.method, trust, False, config.access
        )
        assert decision.status == case.expected_status, (case, decision.reason)


def test_the_feed_is_keyed_by_the_written_certificates(material: DemoMaterial) -> None:
    feed = load_feed(material.paths.feed)
    paths = material.paths

    for name, fingerprint in material.fingerprints.items():
        on_disk = certificate_fingerprint(paths.device_certificate(name).read_bytes())
        assert on_disk == fingerprint
        assert (fingerprint in feed) == (name != "unenrolled-laptop")
    now = datetime.datetime.now(datetime.UTC)
    for record in feed.values():
        assert now - record.last_check_in < datetime.timedelta(minutes=5)


def test_secrets_are_private(material: DemoMaterial) -> None:
    paths = material.paths
    private = [paths.sessions, paths.device_ca_key, paths.server_key]
    private += [paths.device_key(device) for device in material.fingerprints]

    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_sessions_match_the_inventorys_groups(material: DemoMaterial) -> None:
    inventory = load_inventory(SAMPLE / "inventory.yaml")
    groups = {group.id for group in inventory.groups}

    sessions = load_sessions(material.paths.sessions)

    assert sorted(s.user for s in sessions.values()) == sorted(
        u.name for u in DEMO_USERS
    )
    for session in sessions.values():
        assert set(session.groups) <= groups


def test_nginx_accepts_the_configuration(material: DemoMaterial) -> None:
    paths = material.paths
    settings = NginxSettings(
        workdir=paths.workdir,
        port=8443,
        hosts=["hris.localhost", "leave.localhost"],
        gate_port=9,
        app_port=9,
        server_certificate=paths.server_certificate,
        server_key=paths.server_key,
        device_ca=paths.device_ca,
    )
    paths.nginx_config.write_text(nginx_config(settings))
    command = nginx_command("nginx", paths.workdir)
    command[-1] = command[-1].replace("daemon off; ", "")

    result = subprocess.run(
        [*command, "-t"], capture_output=True, text=True, check=False, timeout=30
    )

    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_the_configuration_lets_only_nginx_set_what_the_gate_reads() -> None:
    text = nginx_config(
        NginxSettings(
            workdir=Path("/w"),
            port=1,
            hosts=["a.localhost"],
            gate_port=2,
            app_port=3,
            server_certificate=Path("/w/s.pem"),
            server_key=Path("/w/k.pem"),
            device_ca=Path("/w/ca.pem"),
        )
    )
    auth, app = text.split("location / {")

    for line in (
        "proxy_pass_request_body off;",
        'proxy_set_header Content-Length "";',
        "proxy_set_header X-Forwarded-Method $request_method;",
        "proxy_set_header X-Forwarded-Uri $request_uri;",
        "proxy_set_header X-Forwarded-Host $host;",
        "proxy_set_header X-Client-Cert $ssl_client_escaped_cert;",
        "proxy_set_header X-Client-Verify $ssl_client_verify;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Request-Id $request_id;",
        "ssl_verify_client optional;",
    ):
        assert line in auth, line
    for line in (
        "proxy_set_header X-Auth-Request-User $gate_x_auth_request_user;",
        "proxy_set_header X-Auth-Request-Groups $gate_x_auth_request_groups;",
        "proxy_set_header X-Ztkit-Device-Trust $gate_x_ztkit_device_trust;",
        "proxy_set_header X-Ztkit-Access-Level $gate_x_ztkit_access_level;",
        'proxy_set_header X-Client-Cert "";',
        'proxy_set_header X-Client-Verify "";',
    ):
        assert line in app, line


def test_a_port_in_use_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        code = main(["gate", "demo", "--port", str(port), "--workdir", str(tmp_path)])

    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1
    assert f"--port {port}" in error and "already in use" in error
    assert "Traceback" not in error


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_out_of_range_is_exit_2(
    tmp_path: Path, port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gate", "demo", "--port", port, "--workdir", str(tmp_path)]) == 2
    assert "1-65535" in capsys.readouterr().err


def test_an_unusable_workdir_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    port = _free_port()

    code = main(["gate", "demo", "--port", str(port), "--workdir", str(blocker / "x")])

    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1
    assert "--workdir" in error and "cannot create" in error


def test_a_workdir_nginx_cannot_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="nginx cannot use"):
        prepare_workdir(tmp_path / 'say "hi"')


def test_a_workdir_with_a_running_demo_is_refused(tmp_path: Path) -> None:
    parent = os.getppid()
    (tmp_path / "demo.json").write_text(json.dumps({"pid": parent}))

    with pytest.raises(DemoError, match=f"another demo \\(pid {parent}\\)"):
        prepare_workdir(tmp_path)


def test_a_free_port_passes_the_check() -> None:
    check_port(_free_port())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
