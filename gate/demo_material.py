"""What ``ztkit gate demo`` writes: certificates, device feed, sessions, configuration.

The demo plays a small part of the bundled sample organisation: four of its
applications (two restricted, one confidential, one internal), five people
whose groups come from the sample inventory, and four devices, each a
different answer to "can this device be trusted?".
"""

from __future__ import annotations

import datetime
import json
import secrets
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assessment.atomic_file import write_atomic
from assessment.inventory import Application, Inventory
from gate.device_ca import (
    issue_ca,
    issue_client_certificate,
    issue_server_certificate,
    write_private,
)
from gate.errors import GateError
from gate.identity_standin import SESSION_COOKIE, Session

DEMO_DOMAIN = "localhost"
"""Apps are served as ``<app-id>.localhost``, which resolves to loopback."""
EMAIL_DOMAIN = "fernhollow.example"
"""The sample organisation's domain; the identity stand-in allows only it."""
DEMO_APPS = ("hris", "payroll", "recruiting", "leave")
"""Restricted, restricted, confidential and internal apps from the sample."""
MIN_OS_VERSION = {"macos": "14.0", "windows": "10.0.19045"}


class DemoError(GateError):
    """The demo cannot start with the arguments or the machine it was given."""


@dataclass(frozen=True)
class DemoUser:
    """A person in the sample organisation with a signed-in session."""

    name: str
    groups: tuple[str, ...]
    email_domain: str = EMAIL_DOMAIN

    @property
    def email(self) -> str:
        """The address the identity provider reports."""
        return f"{self.name}@{self.email_domain}"


@dataclass(frozen=True)
class DemoDevice:
    """A laptop with a client certificate and, when enrolled, a feed record."""

    name: str
    platform: str
    os_version: str
    managed: bool
    healthy: bool = True
    in_feed: bool = True
    """A device missing from the feed has a valid certificate but trust ``unknown``."""


DEMO_USERS = (
    # Administers the HR systems: writes hris, recruiting and leave.
    DemoUser("alice", ("hr-admins", "hr-staff", "all-staff")),
    # A people manager: reads hris and recruiting, reads leave.
    DemoUser("bob", ("managers", "all-staff")),
    # An engineer: in no HR group, so hris, payroll and recruiting are closed.
    DemoUser("carol", ("engineers", "all-staff")),
    # Runs payroll.
    DemoUser("dave", ("payroll-admins", "all-staff")),
    # A contractor whose domain the identity proxy itself rejects.
    DemoUser("mallory", ("all-staff",), email_domain="contractor.example"),
)
DEMO_DEVICES = (
    DemoDevice("managed-laptop", "macos", "14.5", managed=True),
    DemoDevice("personal-laptop", "windows", "10.0.22631", managed=False),
    # Old OS, no disk encryption, EDR stopped: every check it can fail.
    DemoDevice("failing-laptop", "macos", "13.6", managed=True, healthy=False),
    DemoDevice("unenrolled-laptop", "linux", "6.8", managed=True, in_feed=False),
)


@dataclass(frozen=True)
class DemoPaths:
    """Where the demo keeps each file inside its working folder."""

    workdir: Path

    @property
    def device_ca(self) -> Path:
        """The CA nginx verifies device certificates against."""
        return self.workdir / "device-ca.pem"

    @property
    def device_ca_key(self) -> Path:
        """The device CA's key, to issue more device certificates by hand."""
        return self.workdir / "device-ca-key.pem"

    @property
    def server_ca(self) -> Path:
        """The CA that signed nginx's certificate: what clients trust (``--cacert``)."""
        return self.workdir / "server-ca.pem"

    @property
    def server_ca_key(self) -> Path:
        """The server CA's key."""
        return self.workdir / "server-ca-key.pem"

    @property
    def server_certificate(self) -> Path:
        """nginx's certificate."""
        return self.workdir / "server.pem"

    @property
    def server_key(self) -> Path:
        """nginx's key."""
        return self.workdir / "server-key.pem"

    @property
    def devices(self) -> Path:
        """The folder with one certificate and key per device."""
        return self.workdir / "devices"

    def device_certificate(self, device: str) -> Path:
        """A device's client certificate."""
        return self.devices / f"{device}.pem"

    def device_key(self, device: str) -> Path:
        """A device's private key."""
        return self.devices / f"{device}-key.pem"

    @property
    def feed(self) -> Path:
        """The device feed, as MDM/EDR would export it."""
        return self.workdir / "device-feed.json"

    @property
    def sessions(self) -> Path:
        """The identity stand-in's sessions, by cookie value."""
        return self.workdir / "sessions.json"

    @property
    def gate_config(self) -> Path:
        """The gate's configuration."""
        return self.workdir / "gate.yaml"

    @property
    def nginx_config(self) -> Path:
        """nginx's configuration."""
        return self.workdir / "nginx.conf"

    @property
    def expectations(self) -> Path:
        """Requests to try and the status each should get."""
        return self.workdir / "expectations.json"

    @property
    def state(self) -> Path:
        """The running demo's addresses and process ids, for tests and scripts."""
        return self.workdir / "demo.json"

    @property
    def logs(self) -> Path:
        """Logs of nginx and the gate."""
        return self.workdir / "logs"

    @property
    def temp(self) -> Path:
        """nginx's temporary files."""
        return self.workdir / "temp"


@dataclass(frozen=True)
class DemoMaterial:
    """Everything written for one demo run."""

    paths: DemoPaths
    apps: tuple[Application, ...]
    sessions: dict[str, Session]
    """Sessions by cookie value."""
    cookies: dict[str, str]
    """Cookie value by user name."""
    fingerprints: dict[str, str]
    """Certificate fingerprint by device name."""


def demo_apps(inventory: Inventory) -> tuple[Application, ...]:
    """The demo's applications from the inventory, checked against the demo's users.

    Raises:
        DemoError: The inventory lacks a demo app or a group a demo user is in.
    """
    missing = [app for app in DEMO_APPS if app not in inventory.apps_by_id]
    if missing:
        raise DemoError(
            f"the inventory lacks the demo's applications: {', '.join(missing)}"
        )
    known_groups = {group.id for group in inventory.groups}
    for user in DEMO_USERS:
        unknown = [group for group in user.groups if group not in known_groups]
        if unknown:
            raise DemoError(
                f"the inventory lacks group {unknown[0]!r} of demo user {user.name!r}"
            )
    return tuple(inventory.apps_by_id[app] for app in DEMO_APPS)


def app_host(app_id: str) -> str:
    """The host name an app is served as in the demo."""
    return f"{app_id}.{DEMO_DOMAIN}"


def write_material(
    workdir: Path, inventory: Inventory, now: datetime.datetime | None = None
) -> DemoMaterial:
    """Issue the certificates and write the feed and sessions into ``workdir``.

    Raises:
        DemoError: The inventory does not hold what the demo needs.
        CertificateError: A certificate or key cannot be written.
        OSError: Another file cannot be written.
    """
    apps = demo_apps(inventory)
    now = now or datetime.datetime.now(datetime.UTC)
    paths = DemoPaths(workdir)
    for folder in (paths.devices, paths.logs, paths.temp):
        folder.mkdir(parents=True, exist_ok=True)

    # Two CAs: the one nginx trusts for devices never vouches for a server.
    device_ca = issue_ca("ztkit demo device CA", now=now)
    device_ca.write(paths.device_ca, paths.device_ca_key)
    server_ca = issue_ca("ztkit demo server CA", now=now)
    server_ca.write(paths.server_ca, paths.server_ca_key)
    hosts = [app_host(app.id) for app in apps] + [DEMO_DOMAIN]
    server = issue_server_certificate(server_ca, hosts, now=now)
    server.write(paths.server_certificate, paths.server_key)

    fingerprints: dict[str, str] = {}
    for device in DEMO_DEVICES:
        issued = issue_client_certificate(device_ca, device.name, now=now)
        issued.write(
            paths.device_certificate(device.name), paths.device_key(device.name)
        )
        fingerprints[device.name] = issued.fingerprint
    write_json(paths.feed, feed_records(fingerprints, now))

    sessions: dict[str, Session] = {}
    cookies: dict[str, str] = {}
    for user in DEMO_USERS:
        value = secrets.token_urlsafe(24)
        cookies[user.name] = value
        sessions[value] = Session(user.name, user.email, user.groups, user.name)
    write_json(
        paths.sessions,
        {value: session.as_json() for value, session in sessions.items()},
        private=True,
    )
    return DemoMaterial(paths, apps, sessions, cookies, fingerprints)


def feed_records(
    fingerprints: dict[str, str], now: datetime.datetime
) -> list[dict[str, Any]]:
    """The device feed for the demo's enrolled devices, all checked in at ``now``."""
    records = []
    for device in DEMO_DEVICES:
        if not device.in_feed:
            continue
        records.append(
            {
                "fingerprint": fingerprints[device.name],
                "platform": device.platform,
                "os_version": device.os_version,
                "disk_encrypted": device.healthy,
                "firewall": True,
                "edr_running": device.healthy,
                "managed": device.managed,
                "last_check_in": now.isoformat(timespec="seconds"),
            }
        )
    return records


def gate_config(material: DemoMaterial, identity_url: str) -> dict[str, Any]:
    """The gate's configuration for the demo, as the YAML file's data."""
    return {
        "apps": [
            {
                "id": app.id,
                "host": app_host(app.id),
                "classification": app.classification,
                "readers": list(app.readers),
                "writers": list(app.writers),
            }
            for app in material.apps
        ],
        "identity": {"url": identity_url, "cookie_names": [SESSION_COOKIE]},
        "client_certificate": {
            "format": "pem",
            "certificate_header": "X-Client-Cert",
            "verify_header": "X-Client-Verify",
        },
        "feed": {"path": str(material.paths.feed)},
        "posture": {"min_os_version": MIN_OS_VERSION},
        "trusted_peers": ["127.0.0.1/32", "::1/128"],
        "client_address_header": "X-Real-IP",
    }


def write_gate_config(material: DemoMaterial, identity_url: str) -> None:
    """Write ``gate.yaml``, with a header saying what wrote it."""
    text = yaml.safe_dump(gate_config(material, identity_url), sort_keys=False)
    write_atomic(
        material.paths.gate_config,
        "# Written by `ztkit gate demo`; the schema is gate/config.py.\n" + text,
    )


@dataclass(frozen=True)
class DemoCase:
    """One request to try against the demo, and what the gate should answer."""

    user: str | None
    device: str | None
    app: str
    method: str
    path: str
    expected_status: int
    why: str
    """Why the gate answers so; kept here, as expectations.json has fixed keys."""


DEMO_CASES = (
    DemoCase("alice", "managed-laptop", "hris", "GET", "/employees/1042", 200,
             "full access: writer, managed device, restricted app"),
    DemoCase("alice", "managed-laptop", "hris", "POST", "/employees/1042", 200,
             "full access allows writes"),
    DemoCase("dave", "managed-laptop", "payroll", "POST", "/runs/2027-01", 200,
             "full access on the other restricted app"),
    DemoCase("bob", "managed-laptop", "hris", "GET", "/employees/1042", 200,
             "read-only: a reader may read"),
    DemoCase("bob", "managed-laptop", "hris", "POST", "/employees/1042", 403,
             "read-only: a reader may not write"),
    DemoCase("alice", "personal-laptop", "recruiting", "GET", "/candidates", 200,
             "read-only: confidential data on an unmanaged device"),
    DemoCase("alice", "personal-laptop", "recruiting", "POST", "/candidates", 403,
             "read-only: no writes from an unmanaged device"),
    DemoCase("alice", "personal-laptop", "leave", "POST", "/requests", 200,
             "internal data: full access from a healthy unmanaged device"),
    DemoCase("alice", "personal-laptop", "hris", "GET", "/employees/1042", 403,
             "restricted data needs a managed device"),
    DemoCase("alice", "failing-laptop", "leave", "GET", "/requests", 403,
             "posture denial: the device fails its health checks"),
    DemoCase("alice", "unenrolled-laptop", "leave", "GET", "/requests", 403,
             "a valid certificate, but the device is not in the feed"),
    DemoCase("alice", None, "leave", "GET", "/requests", 403,
             "no client certificate: the device is unknown"),
    DemoCase("carol", "managed-laptop", "hris", "GET", "/employees/1042", 403,
             "group denial: not a reader or writer of hris"),
    DemoCase("carol", "managed-laptop", "leave", "GET", "/requests", 200,
             "every member of all-staff may read leave requests"),
    DemoCase("carol", "managed-laptop", "leave", "POST", "/requests", 403,
             "only HR staff write leave requests"),
    DemoCase("mallory", "managed-laptop", "leave", "GET", "/requests", 403,
             "the identity proxy rejects the user's email domain"),
    DemoCase(None, "managed-laptop", "hris", "GET", "/employees/1042", 401,
             "no session: sign in first"),
)  # fmt: skip


def expectations(material: DemoMaterial, port: int) -> list[dict[str, Any]]:
    """The requests to try against the running demo and the status each should get.

    Every entry has exactly the keys ``user``, ``device``, ``app``, ``method``,
    ``url``, ``cookie``, ``cert``, ``key`` and ``expected_status``.
    """
    entries = []
    for case in DEMO_CASES:
        device = case.device
        cookie = (
            f"{SESSION_COOKIE}={material.cookies[case.user]}" if case.user else None
        )
        paths = material.paths
        entries.append(
            {
                "user": case.user,
                "device": device,
                "app": case.app,
                "method": case.method,
                "url": f"https://{app_host(case.app)}:{port}{case.path}",
                "cookie": cookie,
                "cert": str(paths.device_certificate(device)) if device else None,
                "key": str(paths.device_key(device)) if device else None,
                "expected_status": case.expected_status,
            }
        )
    return entries


def write_json(path: Path, data: object, *, private: bool = False) -> None:
    """Write JSON atomically; ``private`` files (session cookies) get mode 0600."""
    text = json.dumps(data, indent=2) + "\n"
    if private:
        write_private(path, text)
    else:
        write_atomic(path, text)


def curl_command(material: DemoMaterial, entry: dict[str, Any]) -> str:
    """A curl command line that makes one expectation's request."""
    parts: list[str] = ["curl", "--cacert", str(material.paths.server_ca)]
    if entry["cert"]:
        parts += ["--cert", entry["cert"], "--key", entry["key"]]
    if entry["cookie"]:
        parts += ["--cookie", entry["cookie"]]
    if entry["method"] != "GET":
        parts += ["-X", entry["method"]]
    parts.append(entry["url"])
    return shlex.join(parts)
