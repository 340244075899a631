"""The demo's gateway: an nginx configuration that calls the gate by ``auth_request``.

nginx plays the policy enforcement point. It terminates TLS, asks for a
client certificate and verifies it against the device CA, and sends every
request's particulars to the gate in a body-less sub-request. On 2xx it
forwards the request to the application with the identity and device
headers the gate returned; on 401 or 403 the client gets that status.

Every header the gate or the app relies on is set by nginx itself with
``proxy_set_header``. A header a client sends under one of those names is
replaced, and an empty value drops it, so a client can never supply the
certificate, the verification result, the host or the identity.
"""

from __future__ import annotations

import grp
import os
import pwd
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

UNUSABLE_PATH_CHARACTERS = frozenset("\"\\$;{}'")
"""Characters a working folder's path may not hold: nginx would read them as syntax."""
AUTH_LOCATION = "/_ztkit_gate_auth"
"""The internal location the ``auth_request`` sub-request goes to."""

GATE_REQUEST_HEADERS = (
    ("X-Forwarded-Method", "$request_method"),
    ("X-Forwarded-Uri", "$request_uri"),
    ("X-Forwarded-Host", "$host"),
    ("X-Forwarded-Proto", "$scheme"),
    ("X-Client-Cert", "$ssl_client_escaped_cert"),
    ("X-Client-Verify", "$ssl_client_verify"),
    ("X-Real-IP", "$remote_addr"),
    ("X-Request-Id", "$request_id"),
    # Fallbacks some gates read when the X-Forwarded-* set is absent; nginx
    # always sends that set, so a client's copies of these are dropped.
    ("X-Original-Method", '""'),
    ("X-Original-URI", '""'),
    ("X-Original-URL", '""'),
    ("Forwarded", '""'),
    ("X-Forwarded-For", '""'),
)
"""What the gate is told about the original request, by nginx alone."""

IDENTITY_RESPONSE_HEADERS = (
    "X-Auth-Request-User",
    "X-Auth-Request-Email",
    "X-Auth-Request-Groups",
    "X-Auth-Request-Preferred-Username",
    "X-Ztkit-Device-Trust",
    "X-Ztkit-Access-Level",
)
"""The gate's answer headers that reach the application."""

APP_CLEARED_HEADERS = (
    "X-Client-Cert",
    "X-Client-Verify",
    "X-Forwarded-Method",
    "X-Forwarded-Uri",
    "X-Original-Method",
    "X-Original-URI",
    "X-Original-URL",
    "Forwarded",
)
"""Headers only the gate should see; a client's copies never reach the app."""


@dataclass(frozen=True)
class NginxSettings:
    """What the nginx configuration is generated from."""

    workdir: Path
    port: int
    hosts: Sequence[str]
    gate_port: int
    app_port: int
    server_certificate: Path
    server_key: Path
    device_ca: Path


def captured_variable(header: str) -> str:
    """The nginx variable an ``auth_request_set`` keeps the gate's ``header`` in."""
    return "$gate_" + header.lower().replace("-", "_")


def upstream_variable(header: str) -> str:
    """nginx's variable for a response header of the upstream (here the gate)."""
    return "$upstream_http_" + header.lower().replace("-", "_")


def user_directive() -> str:
    """The `user` line that keeps nginx workers as the current user when run by root."""
    # Workers of an nginx started by root would drop to "nobody", which cannot
    # read the working folder; the demo runs everything as the current user.
    if os.geteuid() != 0:
        return ""
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};\n"


def nginx_config(settings: NginxSettings) -> str:
    """The complete ``nginx.conf`` for the demo.

    ``pid`` and ``error_log`` are not in the file: the demo passes them with
    ``-g`` so the file can also be checked with ``nginx -t``.
    """
    workdir = settings.workdir
    temp = workdir / "temp"
    logs = workdir / "logs"
    listen = f"127.0.0.1:{settings.port}"

    gate_headers = "\n".join(
        f"            proxy_set_header {name} {value};"
        for name, value in GATE_REQUEST_HEADERS
    )
    captured = "\n".join(
        f"            auth_request_set {captured_variable(h)} {upstream_variable(h)};"
        for h in IDENTITY_RESPONSE_HEADERS
    )
    app_headers = "\n".join(
        [
            f"            proxy_set_header {h} {captured_variable(h)};"
            for h in IDENTITY_RESPONSE_HEADERS
        ]
        + [f'            proxy_set_header {h} "";' for h in APP_CLEARED_HEADERS]
    )

    return f"""\
# Written by `ztkit gate demo`: nginx as the gateway in front of the posture
# gate. Run it as the demo does:
#   nginx -p {workdir} -c {workdir / "nginx.conf"} \\
#         -g 'daemon off; pid {workdir / "nginx.pid"}; error_log {logs / "nginx.log"};'
{user_directive()}worker_processes 1;
lock_file {_quoted(workdir / "nginx.lock")};

events {{
    worker_connections 512;
}}

http {{
    server_tokens off;
    log_format ztkit '$remote_addr [$time_iso8601] "$request" $status '
                     'request_id=$request_id user="$gate_x_auth_request_user" '
                     'device_trust=$gate_x_ztkit_device_trust '
                     'access_level=$gate_x_ztkit_access_level';
    access_log {_quoted(logs / "access.log")} ztkit;

    client_body_temp_path {_quoted(temp / "client_body")};
    proxy_temp_path {_quoted(temp / "proxy")};
    fastcgi_temp_path {_quoted(temp / "fastcgi")};
    uwsgi_temp_path {_quoted(temp / "uwsgi")};
    scgi_temp_path {_quoted(temp / "scgi")};

    # Larger than the gate reads, so an oversized cookie is the gate's to deny;
    # anything larger still is refused by nginx with 400.
    large_client_header_buffers 4 16k;
    client_max_body_size 1m;

    ssl_certificate {_quoted(settings.server_certificate)};
    ssl_certificate_key {_quoted(settings.server_key)};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:ztkit_tls:1m;

    # Devices prove themselves with a certificate from the device CA. It is
    # optional at the TLS layer so the gate can decide what a request without
    # one may do (an unknown device); a certificate that fails verification
    # is refused by nginx with 400 before the gate is asked.
    ssl_client_certificate {_quoted(settings.device_ca)};
    ssl_verify_client optional;
    ssl_verify_depth 1;

    upstream ztkit_gate {{
        server 127.0.0.1:{settings.gate_port};
        keepalive 16;
    }}

    upstream ztkit_app {{
        server 127.0.0.1:{settings.app_port};
        keepalive 16;
    }}

    # A host that is not a demo application is answered here and never
    # reaches the gate or an app.
    server {{
        listen {listen} ssl default_server;
        server_name _;
        return 421;
    }}

    server {{
        listen {listen} ssl;
        server_name {" ".join(settings.hosts)};

        location = {AUTH_LOCATION} {{
            internal;
            proxy_pass http://ztkit_gate/auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Host $host;
{gate_headers}
            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
        }}

        location / {{
            auth_request {AUTH_LOCATION};
{captured}
            # 401 (no session) reaches the client as it is. A real deployment
            # sends the browser to sign in instead, with
            #   error_page 401 = @sign_in;  and  return 302 /oauth2/start?rd=...
            # on oauth2-proxy's /oauth2/ location for the app's host.

            proxy_pass http://ztkit_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Request-Id $request_id;
{app_headers}
        }}
    }}
}}
"""


def nginx_command(nginx: str, workdir: Path) -> list[str]:
    """The command line that runs the demo's nginx in the foreground."""
    globals_ = (
        f"daemon off; pid {_quoted(workdir / 'nginx.pid')}; "
        f"error_log {_quoted(workdir / 'logs' / 'nginx.log')} notice;"
    )
    return [
        nginx,
        "-p",
        str(workdir),
        "-c",
        str(workdir / "nginx.conf"),
        "-g",
        globals_,
    ]


def unusable_path_character(path: Path) -> str | None:
    """A character in ``path`` that nginx's configuration cannot carry, if any."""
    for character in str(path):
        if character in UNUSABLE_PATH_CHARACTERS or not character.isprintable():
            return character
    return None


def _quoted(path: Path) -> str:
    # Quoting keeps spaces; unusable_path_character rules out what quoting
    # cannot carry.
    return f'"{path}"'
