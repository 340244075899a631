"""The oauth2-proxy stand-in plays the documented /oauth2/auth contract."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from gate.identity_standin import (
    MODES,
    IdentityStandIn,
    Session,
    StandInError,
    load_sessions,
)
from gate.loopback import LoopbackServer

ALICE = Session("alice", "alice@fern.example", ("hr-staff", "all-staff"), "ally")
CONTRACTOR = Session("mallory", "mallory@contractor.example", ("all-staff",))
SESSIONS = {"alice-cookie": ALICE, "contractor-cookie": CONTRACTOR}
IDENTITY = (
    "X-Auth-Request-User",
    "X-Auth-Request-Email",
    "X-Auth-Request-Groups",
    "X-Auth-Request-Preferred-Username",
)

Check = Callable[[aiohttp.ClientSession, str, IdentityStandIn], Awaitable[None]]


def _run(check: Check, **options: object) -> None:
    async def scenario() -> None:
        stand_in = IdentityStandIn(
            SESSIONS,
            email_domains=["fern.example"],
            **options,  # type: ignore[arg-type]
        )
        server = LoopbackServer(stand_in.application())
        await server.start()
        try:
            timeout = aiohttp.ClientTimeout(total=5)
            async with aiohttp.ClientSession(timeout=timeout) as client:
                await check(client, server.url, stand_in)
        finally:
            await server.stop()

    asyncio.run(scenario())


async def _auth(
    client: aiohttp.ClientSession, url: str, cookie: str | None, query: str = ""
) -> tuple[int, dict[str, str]]:
    headers = {"Cookie": cookie} if cookie is not None else {}
    async with client.get(f"{url}/oauth2/auth{query}", headers=headers) as response:
        await response.read()
        return response.status, dict(response.headers)


def test_a_known_session_gets_202_with_the_identity_headers() -> None:
    async def check(
        client: aiohttp.ClientSession, url: str, _: IdentityStandIn
    ) -> None:
        status, headers = await _auth(client, url, "_oauth2_proxy=alice-cookie")

        assert status == 202
        assert headers["X-Auth-Request-User"] == "alice"
        assert headers["X-Auth-Request-Email"] == "alice@fern.example"
        assert headers["X-Auth-Request-Groups"] == "hr-staff,all-staff"
        assert headers["X-Auth-Request-Preferred-Username"] == "ally"

    _run(check)


@pytest.mark.parametrize(
    "cookie",
    [
        None,
        "",
        "_oauth2_proxy=",
        "_oauth2_proxy=someone-elses-cookie",
        "other=alice-cookie",
        "_oauth2_proxy_0=alice-;_oauth2_proxy_2=cookie",
    ],
)
def test_no_session_or_an_unknown_one_gets_401(cookie: str | None) -> None:
    async def check(
        client: aiohttp.ClientSession, url: str, _: IdentityStandIn
    ) -> None:
        status, headers = await _auth(client, url, cookie)

        assert status == 401
        assert not set(IDENTITY) & set(headers)

    _run(check)


def test_a_session_split_over_numbered_cookies_is_joined() -> None:
    async def check(
        client: aiohttp.ClientSession, url: str, _: IdentityStandIn
    ) -> None:
        status, headers = await _auth(
            client, url, "_oauth2_proxy_1=cookie; _oauth2_proxy_0=alice-"
        )

        assert status == 202
        assert headers["X-Auth-Request-User"] == "alice"

    _run(check)


def test_a_user_the_proxy_does_not_allow_gets_403() -> None:
    async def check(
        client: aiohttp.ClientSession, url: str, _: IdentityStandIn
    ) -> None:
        status, headers = await _auth(client, url, "_oauth2_proxy=contractor-cookie")

        assert status == 403
        assert "X-Auth-Request-User" not in headers

    _run(check)


def test_allowed_groups_in_the_query_are_enforced() -> None:
    async def check(
        client: aiohttp.ClientSession, url: str, _: IdentityStandIn
    ) -> None:
        cookie = "_oauth2_proxy=alice-cookie"
        assert (await _auth(client, url, cookie, "?allowed_groups=sre,hr-staff"))[
            0
        ] == 202
        assert (await _auth(client, url, cookie, "?allowed_groups=sre"))[0] == 403

    _run(check)


def test_every_domain_is_allowed_without_a_domain_list() -> None:
    async def scenario() -> None:
        stand_in = IdentityStandIn(SESSIONS)
        server = LoopbackServer(stand_in.application())
        await server.start()
        try:
            async with aiohttp.ClientSession() as client:
                status, _ = await _auth(
                    client, server.url, "_oauth2_proxy=contractor-cookie"
                )
        finally:
            await server.stop()
        assert status == 202

    asyncio.run(scenario())


def test_garbage_modes_answer_without_identity_headers() -> None:
    async def check(
        client: aiohttp.ClientSession, url: str, stand_in: IdentityStandIn
    ) -> None:
        cookie = "_oauth2_proxy=alice-cookie"
        stand_in.mode = "garbage-no-headers"
        status, headers = await _auth(client, url, cookie)
        assert status == 202
        assert not set(IDENTITY) & set(headers)

        stand_in.mode = "garbage-body"
        async with client.get(
            f"{url}/oauth2/auth", headers={"Cookie": cookie}
        ) as response:
            body = await response.read()
        assert response.status == 200
        assert not set(IDENTITY) & set(response.headers)
        with pytest.raises(ValueError):
            json.loads(body)

        stand_in.mode = "garbage-status"
        with pytest.raises(aiohttp.ClientResponseError, match=r"[Bb]ad status"):
            await _auth(client, url, cookie)

    _run(check)


def test_hang_holds_the_request_past_any_timeout_and_stop_releases_it() -> None:
    async def scenario() -> None:
        stand_in = IdentityStandIn(SESSIONS, mode="hang")
        server = LoopbackServer(stand_in.application())
        await server.start()
        timeout = aiohttp.ClientTimeout(total=0.5)
        async with aiohttp.ClientSession(timeout=timeout) as client:
            with pytest.raises(TimeoutError):
                await _auth(client, server.url, "_oauth2_proxy=alice-cookie")

            pending = asyncio.create_task(
                _auth(client, server.url, "_oauth2_proxy=alice-cookie")
            )
            await asyncio.sleep(0.1)
            started = time.monotonic()
            await server.stop()
            assert time.monotonic() - started < 2
            # Released at shutdown: 503, or the connection simply closes.
            try:
                status, _ = await pending
            except aiohttp.ClientError:
                status = None
            assert status in (None, 503)
        assert stand_in.requests == 2

    asyncio.run(scenario())


def test_the_mode_is_switched_and_reported_at_run_time() -> None:
    async def check(
        client: aiohttp.ClientSession, url: str, stand_in: IdentityStandIn
    ) -> None:
        await _auth(client, url, None)
        async with client.put(
            f"{url}/_standin/mode", json={"mode": "garbage-body"}
        ) as response:
            assert response.status == 200
        async with client.get(f"{url}/_standin/state") as response:
            assert await response.json() == {"mode": "garbage-body", "requests": 1}
        assert stand_in.mode == "garbage-body"

        async with client.put(f"{url}/_standin/mode", json={"mode": "down"}) as bad:
            error = (await bad.json())["error"]
        assert bad.status == 400
        assert "'down'" in error
        assert all(mode in error for mode in MODES)
        async with client.put(f"{url}/_standin/mode", data=b"{") as bad:
            assert bad.status == 400
        assert stand_in.mode == "garbage-body"

    _run(check)


def test_a_session_added_at_run_time_is_known() -> None:
    async def check(
        client: aiohttp.ClientSession, url: str, _: IdentityStandIn
    ) -> None:
        async with client.post(
            f"{url}/_standin/sessions",
            json={"cookie": "fresh", "user": "erin", "email": "erin@fern.example"},
        ) as response:
            assert response.status == 201
        status, headers = await _auth(client, url, "_oauth2_proxy=fresh")
        assert status == 202
        assert headers["X-Auth-Request-Groups"] == ""

        async with client.post(
            f"{url}/_standin/sessions", json={"cookie": "x", "user": "erin"}
        ) as response:
            assert response.status == 400
            assert "email" in (await response.json())["error"]

    _run(check)


def test_an_unknown_mode_is_refused_by_the_constructor() -> None:
    with pytest.raises(StandInError, match="'sleepy'"):
        IdentityStandIn(SESSIONS, mode="sleepy")  # type: ignore[arg-type]


def test_sessions_are_read_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    path.write_text(
        json.dumps({"c1": ALICE.as_json(), "c2": {"user": "b", "email": "b@x"}})
    )

    sessions = load_sessions(path)

    assert sessions["c1"] == ALICE
    assert sessions["c2"] == Session("b", "b@x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"secret-cookie": {"user": "a"}}', "field 'email'"),
        ('{"c": {"user": "a", "email": "a@x", "groups": "staff"}}', "'groups'"),
        ('{"c": {"user": "a", "email": "a@x", "role": "admin"}}', "'role'"),
    ],
)
def test_a_malformed_sessions_file_is_a_stand_in_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "sessions.json"
    path.write_text(text)

    with pytest.raises(StandInError, match=expected) as caught:
        load_sessions(path)

    assert str(path) in str(caught.value)
    assert "secret-cookie" not in str(caught.value)
