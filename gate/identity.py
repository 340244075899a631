"""Who is asking: oauth2-proxy's ``/oauth2/auth``, asked once per session.

oauth2-proxy answers 202 with ``X-Auth-Request-*`` headers for a valid session,
401 without one and 403 for a signed-in user it does not allow. Anything else
(another status, a 202 without a user, a timeout, a refused connection)
counts as unavailable, and the gate denies.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import aiohttp

logger = logging.getLogger(__name__)

IdentityStatus = Literal["signed_in", "signed_out", "forbidden", "unavailable"]

_GROUP = re.compile(r"^[^\s,;]{1,256}$")
_MAX_GROUPS = 512


@dataclass(frozen=True)
class Identity:
    """oauth2-proxy's answer about one session."""

    status: IdentityStatus
    user: str | None = None
    email: str | None = None
    groups: tuple[str, ...] = ()
    detail: str = ""
    """Why the status is not ``signed_in``; safe to log."""


def _identity_from(status: int, headers: Mapping[str, str]) -> Identity:
    getter = headers.get
    if status == 401:
        return Identity("signed_out", detail="no valid session")
    if status == 403:
        return Identity("forbidden", detail="identity provider refused the user")
    if status != 202:
        return Identity("unavailable", detail=f"identity provider answered {status}")

    user = getter("X-Auth-Request-User") or None
    email = getter("X-Auth-Request-Email") or None
    if user is None and email is None:
        return Identity("unavailable", detail="identity provider named no user")
    raw_groups = getter("X-Auth-Request-Groups") or ""
    groups = tuple(sorted({g.strip() for g in raw_groups.split(",") if g.strip()}))
    if len(groups) > _MAX_GROUPS or not all(_GROUP.match(g) for g in groups):
        return Identity("unavailable", detail="identity provider sent unusable groups")
    return Identity("signed_in", user=user or email, email=email, groups=groups)


class SessionCache:
    """Approved sessions for a short time, least recently used dropped first.

    Keys are SHA-256 digests of the forwarded cookies, so no session value is
    held in memory longer than a request. The size bound keeps memory flat
    under a flood of distinct sessions.
    """

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[bytes, tuple[float, Identity]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes, now: float) -> Identity | None:
        """The cached identity, if fresh."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, identity = entry
        if expires <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return identity

    def put(self, key: bytes, identity: Identity, now: float) -> None:
        """Remember an approved session until ``now + ttl``."""
        if self.ttl <= 0:
            return
        self._entries[key] = (now + self.ttl, identity)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every session, e.g. after the configuration changed."""
        self._entries.clear()


class IdentityClient:
    """Asks oauth2-proxy about sessions over pooled keep-alive connections."""

    def __init__(
        self,
        timeout: float,
        cache_ttl: float,
        cache_size: int,
        max_connections: int,
    ) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.cache = SessionCache(cache_ttl, cache_size)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, keepalive_timeout=30
                ),
                # The gate must see oauth2-proxy's own answer, never follow it.
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            await self._session.close()

    async def lookup(
        self, url: str, cookies: str | None
    ) -> tuple[Identity, Literal["cache", "lookup", "none"]]:
        """Who the session in ``cookies`` belongs to.

        Args:
            url: The app's oauth2-proxy ``/oauth2/auth``.
            cookies: The session cookies only, as a Cookie header value.

        Returns:
            The identity, and where it came from: the cache, a lookup, or
            ``none`` when there was no session cookie to ask about.
        """
        if not cookies:
            return Identity("signed_out", detail="no session cookie"), "none"

        key = hashlib.sha256(f"{url}\0{cookies}".encode()).digest()
        now = time.monotonic()
        cached = self.cache.get(key, now)
        if cached is not None:
            return cached, "cache"

        identity = await self._ask(url, cookies)
        if identity.status == "signed_in":
            self.cache.put(key, identity, time.monotonic())
        return identity, "lookup"

    async def _ask(self, url: str, cookies: str) -> Identity:
        try:
            async with self._client().get(
                url,
                headers={"Cookie": cookies, "Accept": "application/json"},
                allow_redirects=False,
                timeout=self.timeout,
            ) as response:
                # The body is never used; reading it frees the connection for reuse.
                await response.content.read(65536)
                return _identity_from(response.status, response.headers)
        except TimeoutError:
            return Identity("unavailable", detail="identity provider timed out")
        except (aiohttp.ClientError, ValueError) as error:
            logger.warning("identity lookup failed: %s", type(error).__name__)
            return Identity(
                "unavailable",
                detail=f"identity provider unreachable ({type(error).__name__})",
            )
