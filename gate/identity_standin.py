"""A test double for oauth2-proxy's ``/oauth2/auth``, for the demo and the tests.

No oauth2-proxy binary exists on the machines this project is built and
tested on, so this small aiohttp server plays the contract oauth2-proxy
documents for its auth-only endpoint, and nothing more:

- a request whose ``_oauth2_proxy`` cookie (or its split parts
  ``_oauth2_proxy_0``, ``_oauth2_proxy_1``...) names a known session gets
  ``202 Accepted`` with ``X-Auth-Request-User``, ``X-Auth-Request-Email``,
  ``X-Auth-Request-Groups`` (comma-separated) and
  ``X-Auth-Request-Preferred-Username``;
- no cookie, or an unknown one, gets ``401 Unauthorized``;
- a known session whose user the proxy does not allow (an email domain
  outside the allowed list, or not in any of the ``allowed_groups`` named in
  the query) gets ``403 Forbidden``.

Sessions are a mapping from cookie value to user, read from a dict or a JSON
file. It is not a sign-in flow: there is no ``/oauth2/start``, no OIDC and
no cookie encryption.

For fault tests the stand-in can misbehave on purpose. Its ``mode`` is set
by the constructor, by assigning the attribute, or at run time through
``PUT /_standin/mode`` with ``{"mode": "hang"}``; ``GET /_standin/state``
reports the mode and how many auth requests arrived, and ``POST
/_standin/sessions`` with ``{"cookie": ..., "user": ..., "email": ...,
"groups": [...]}`` adds a session, so a test can use one no cache has seen. "Identity provider
down" needs no mode: do not start the stand-in, or stop it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from aiohttp import web

from gate.errors import GateError
from gate.loopback import LoopbackServer

Mode = Literal["normal", "hang", "garbage-no-headers", "garbage-body", "garbage-status"]
MODES: tuple[Mode, ...] = get_args(Mode)
"""``normal`` plays the contract. ``hang`` never answers (until the client
leaves or the stand-in stops). ``garbage-no-headers`` answers 202 without any
identity header, ``garbage-body`` 200 with a junk body and no identity
header, ``garbage-status`` a status line that is not HTTP."""

SESSION_COOKIE = "_oauth2_proxy"
AUTH_PATH = "/oauth2/auth"
ADMIN_PREFIX = "/_standin"
_SPLIT_PART = re.compile(r"^_(\d{1,3})$")
_MALFORMED_RESPONSE = b"HTTP/1.1 2x2 Accepted?\r\nX-Auth-Request-User\r\n\r\n"


class StandInError(GateError):
    """The stand-in's sessions file or its arguments are invalid."""


@dataclass(frozen=True)
class Session:
    """A signed-in user as oauth2-proxy would hold them in its session cookie."""

    user: str
    email: str
    groups: tuple[str, ...] = ()
    preferred_username: str | None = None

    def headers(self) -> dict[str, str]:
        """The ``X-Auth-Request-*`` headers oauth2-proxy sets for this session."""
        return {
            "X-Auth-Request-User": self.user,
            "X-Auth-Request-Email": self.email,
            "X-Auth-Request-Groups": ",".join(self.groups),
            "X-Auth-Request-Preferred-Username": self.preferred_username or self.user,
        }

    def as_json(self) -> dict[str, object]:
        """The session as written in a sessions file."""
        return {
            "user": self.user,
            "email": self.email,
            "groups": list(self.groups),
            "preferred_username": self.preferred_username,
        }


def load_sessions(path: Path) -> dict[str, Session]:
    """Read a sessions file: a JSON object from cookie value to session.

    Each session is ``{"user": ..., "email": ..., "groups": [...],
    "preferred_username": ...}``; ``groups`` and ``preferred_username`` may
    be left out.

    Raises:
        StandInError: The file is unreadable or malformed; the message names
            the file, the session and the field.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise StandInError(f"{path}: cannot read the sessions file: {error}") from None
    except json.JSONDecodeError as error:
        raise StandInError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}"
        ) from None
    if not isinstance(data, dict):
        raise StandInError(f"{path}: expected a JSON object from cookie to session")
    return {cookie: _session(str(path), cookie, raw) for cookie, raw in data.items()}


def _session(source: str, cookie: str, raw: object) -> Session:
    # Only the cookie's start is shown: the whole value is a credential.
    where = f"{source}: session {cookie[:8]!r}..."
    if not isinstance(raw, dict):
        raise StandInError(f"{where}: expected an object, got {raw!r}")
    unknown = set(raw) - {"user", "email", "groups", "preferred_username"}
    if unknown:
        raise StandInError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    for field in ("user", "email"):
        if not isinstance(raw.get(field), str) or not raw[field]:
            raise StandInError(f"{where}: field {field!r}: {raw.get(field)!r}")
    groups = raw.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise StandInError(f"{where}: field 'groups': {groups!r}: expected a list")
    preferred = raw.get("preferred_username")
    if preferred is not None and not isinstance(preferred, str):
        raise StandInError(f"{where}: field 'preferred_username': {preferred!r}")
    return Session(raw["user"], raw["email"], tuple(groups), preferred)


class IdentityStandIn:
    """oauth2-proxy's ``/oauth2/auth`` contract, played by an aiohttp app.

    Args:
        sessions: Known sessions, by cookie value.
        email_domains: Domains the proxy allows; ``None`` allows every
            domain (oauth2-proxy's ``--email-domain=*``).
        mode: How to answer; see ``MODES``.
        hang_seconds: How long ``hang`` holds a request at most.
    """

    def __init__(
        self,
        sessions: Mapping[str, Session],
        *,
        email_domains: Iterable[str] | None = None,
        mode: Mode = "normal",
        hang_seconds: float = 3600.0,
    ) -> None:
        self.sessions = dict(sessions)
        self.email_domains = (
            None if email_domains is None else {d.lower() for d in email_domains}
        )
        self.mode: Mode = _checked_mode(mode)
        self.hang_seconds = hang_seconds
        self.requests = 0
        """Auth requests answered or held since the start."""
        self._released = asyncio.Event()

    def application(self) -> web.Application:
        """The aiohttp application: the auth endpoint and the admin endpoints."""
        app = web.Application()
        app.router.add_route("*", AUTH_PATH, self._auth)
        app.router.add_get(f"{ADMIN_PREFIX}/state", self._state)
        app.router.add_route("PUT", f"{ADMIN_PREFIX}/mode", self._set_mode)
        app.router.add_route("POST", f"{ADMIN_PREFIX}/mode", self._set_mode)
        app.router.add_post(f"{ADMIN_PREFIX}/sessions", self._add_session)
        app.on_shutdown.append(self._release)
        return app

    def session_for(self, cookies: Mapping[str, str]) -> Session | None:
        """The session the request's cookies name, if any."""
        value = cookies.get(SESSION_COOKIE)
        if value is None:
            value = _joined_parts(cookies)
        if not value:
            return None
        return self.sessions.get(value)

    def allows(self, session: Session, allowed_groups: Sequence[str]) -> bool:
        """Whether the proxy lets this signed-in user through."""
        domain = session.email.rpartition("@")[2].lower()
        if self.email_domains is not None and domain not in self.email_domains:
            return False
        return not allowed_groups or bool(set(allowed_groups) & set(session.groups))

    async def _auth(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.mode == "hang":
            await self._hang()
            raise web.HTTPServiceUnavailable()
        if self.mode == "garbage-no-headers":
            return web.Response(status=202)
        if self.mode == "garbage-body":
            return web.Response(
                status=200,
                body=b"\x00\xff<html>not oauth2-proxy</html>\x1b[0m" * 8,
                content_type="application/octet-stream",
            )
        if self.mode == "garbage-status":
            return _malformed_response(request)

        session = self.session_for(request.cookies)
        if session is None:
            return web.Response(status=401, text="Unauthorized\n")
        allowed_groups = [
            group
            for group in request.query.get("allowed_groups", "").split(",")
            if group
        ]
        if not self.allows(session, allowed_groups):
            return web.Response(status=403, text="Forbidden\n")
        return web.Response(status=202, headers=session.headers())

    async def _hang(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._released.wait(), self.hang_seconds)

    async def _release(self, app: web.Application) -> None:
        self._released.set()

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response({"mode": self.mode, "requests": self.requests})

    async def _set_mode(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            mode = _checked_mode(body["mode"])
        except StandInError as error:
            return web.json_response({"error": str(error)}, status=400)
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": f'expected {{"mode": "..."}} with one of {", ".join(MODES)}'},
                status=400,
            )
        self.mode = mode
        return web.json_response({"mode": self.mode, "requests": self.requests})

    async def _add_session(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("cookie"), str):
            return web.json_response(
                {"error": 'expected {"cookie": "...", "user": "...", "email": "..."}'},
                status=400,
            )
        cookie = body.pop("cookie")
        try:
            session = _session("request body", cookie, body)
        except StandInError as error:
            return web.json_response({"error": str(error)}, status=400)
        self.sessions[cookie] = session
        return web.json_response(session.as_json(), status=201)


def _checked_mode(mode: object) -> Mode:
    if mode not in MODES:
        raise StandInError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    return mode


def _joined_parts(cookies: Mapping[str, str]) -> str | None:
    # oauth2-proxy splits a session too large for one cookie into numbered
    # parts and joins them back in order.
    parts: dict[int, str] = {}
    for name, value in cookies.items():
        if name.startswith(SESSION_COOKIE):
            match = _SPLIT_PART.match(name[len(SESSION_COOKIE) :])
            if match:
                parts[int(match.group(1))] = value
    if not parts or sorted(parts) != list(range(len(parts))):
        return None
    return "".join(parts[index] for index in range(len(parts)))


def _malformed_response(request: web.Request) -> web.StreamResponse:
    # aiohttp only writes well-formed responses, so the bytes go straight to
    # the socket and the connection is closed before aiohttp can add its own.
    transport = request.transport
    if transport is not None:
        transport.write(_MALFORMED_RESPONSE)
        transport.close()
    raise asyncio.CancelledError


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the stand-in on a loopback port until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(
        prog="python -m gate.identity_standin",
        description="A test double playing oauth2-proxy's /oauth2/auth contract.",
    )
    parser.add_argument("--sessions", type=Path, required=True, metavar="FILE")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--email-domain",
        action="append",
        metavar="DOMAIN",
        help="a domain the proxy allows (repeatable; default: every domain)",
    )
    parser.add_argument("--mode", choices=MODES, default="normal")
    arguments = parser.parse_args(argv)
    try:
        sessions = load_sessions(arguments.sessions)
    except StandInError as error:
        print(f"identity stand-in: error: {error}", file=sys.stderr)
        return 2
    stand_in = IdentityStandIn(
        sessions, email_domains=arguments.email_domain, mode=arguments.mode
    )
    return asyncio.run(_serve(stand_in, arguments.port))


async def _serve(stand_in: IdentityStandIn, port: int) -> int:
    server = LoopbackServer(stand_in.application(), port)
    try:
        await server.start()
    except OSError as error:
        print(
            f"identity stand-in: error: port {port}: {error.strerror}", file=sys.stderr
        )
        return 2
    print(f"identity stand-in {server.url}{AUTH_PATH}", flush=True)
    await server.serve_until_signalled()
    return 0


if __name__ == "__main__":
    sys.exit(main())
