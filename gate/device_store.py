"""Device state: the feed file's last good snapshot and records pushed since.

The feed file is the source of truth that every replica reads for itself.
Pushes carry fresher reports between exports; a push to one replica reaches
the others through the shared store (Redis): the record is written to a hash
and announced on a channel every replica subscribes to. A replica that
(re)connects reads the whole hash before trusting the channel, so it never
misses a push made while it was away.

For each device the newest report wins, by ``last_check_in``, whether it came
from the feed or a push.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any, cast

import redis.asyncio as redis
from pydantic import ValidationError
from redis.exceptions import RedisError

from gate.device_feed import DeviceFeed, DeviceRecord, fingerprint_key
from gate.errors import GateError

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.5
"""How long the follower waits for a message before checking whether to stop."""
_CLOSE_TIMEOUT = 3.0


class StoreUnavailable(GateError):
    """The shared store cannot be reached, so a push cannot reach every replica."""


class DeviceStore:
    """The devices this replica knows: feed snapshot plus pushed records."""

    def __init__(self) -> None:
        self.feed = DeviceFeed()
        self._pushed: dict[str, DeviceRecord] = {}

    @property
    def pushed_count(self) -> int:
        """How many devices have a pushed record."""
        return len(self._pushed)

    def apply(self, records: Iterable[DeviceRecord]) -> int:
        """Take pushed records that are newer than what is known.

        Returns:
            How many records were newer and taken.
        """
        taken = 0
        for record in records:
            held = self._pushed.get(record.fingerprint)
            if held is None or record.last_check_in >= held.last_check_in:
                self._pushed[record.fingerprint] = record
                taken += 1
        return taken

    def lookup(self, fingerprint: str | None) -> DeviceRecord | None:
        """The newest report for a certificate fingerprint, or ``None``."""
        key = fingerprint_key(fingerprint)
        if key is None:
            return None
        from_feed = self.feed.devices.get(key)
        pushed = self._pushed.get(key)
        if pushed is None:
            return from_feed
        if from_feed is None or pushed.last_check_in > from_feed.last_check_in:
            return pushed
        return from_feed


def _decode(fingerprint: str, raw: str | bytes) -> DeviceRecord | None:
    try:
        record = DeviceRecord.model_validate_json(raw)
    except ValidationError:
        logger.warning("shared store: ignoring an invalid record for %s", fingerprint)
        return None
    return record if record.fingerprint == fingerprint else None


class SharedStore:
    """Pushed records and push nonces shared by every replica through Redis."""

    def __init__(self, url: str, prefix: str, devices: DeviceStore) -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
        )
        self._devices = devices
        self._hash = f"{prefix}:devices"
        self._channel = f"{prefix}:device-updates"
        self._nonce_prefix = f"{prefix}:push-nonce:"
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.connected = False

    def start(self) -> None:
        """Begin following the channel in the background."""
        self._task = asyncio.create_task(self._follow(), name="shared-store")

    async def close(self) -> None:
        """Stop following and close the connection."""
        # The follower polls and checks this event rather than being cancelled:
        # redis-py can lose a cancellation that lands inside one of its
        # timeouts, which would leave shutdown waiting for ever.
        self._stopping.set()
        if self._task is not None:
            _, pending = await asyncio.wait({self._task}, timeout=_CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()
        self.connected = False
        await self._client.aclose()

    async def publish(self, records: list[DeviceRecord]) -> None:
        """Store and announce pushed records.

        Raises:
            StoreUnavailable: Redis did not take them.
        """
        encoded = {r.fingerprint: r.model_dump_json() for r in records}
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(self._hash, mapping=cast("Mapping[Any, Any]", encoded))
                pipe.publish(self._channel, json.dumps(encoded))
                await pipe.execute()
        except (RedisError, OSError) as error:
            raise StoreUnavailable(f"shared store: {type(error).__name__}") from None

    async def claim_nonce(self, nonce: str, window: float) -> bool:
        """Record a push nonce for every replica; ``False`` when already used.

        Raises:
            StoreUnavailable: Redis could not be asked.
        """
        try:
            claimed = await self._client.set(
                self._nonce_prefix + nonce, "1", nx=True, ex=max(1, int(2 * window))
            )
        except (RedisError, OSError) as error:
            raise StoreUnavailable(f"shared store: {type(error).__name__}") from None
        return bool(claimed)

    async def _follow(self) -> None:
        delay = 0.1
        while not self._stopping.is_set():
            try:
                await self._follow_once()
            except (RedisError, OSError) as error:
                if self.connected:
                    logger.warning("shared store lost: %s", type(error).__name__)
                self.connected = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(delay * 2, 5.0)

    async def _follow_once(self) -> None:
        async with self._client.pubsub() as pubsub:
            # Subscribe before reading the hash so no push falls between the two.
            await pubsub.subscribe(self._channel)
            self._take(await self._client.hgetall(self._hash))
            self.connected = True
            logger.info("shared store connected")
            while not self._stopping.is_set():
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=_POLL_SECONDS
                )
                if message is None or message.get("type") != "message":
                    continue
                try:
                    update = json.loads(message["data"])
                except (TypeError, ValueError):
                    continue
                if isinstance(update, dict):
                    self._take(update)

    def _take(self, encoded: Mapping[str | bytes, object]) -> None:
        records = []
        for fingerprint, raw in encoded.items():
            if isinstance(fingerprint, str) and isinstance(raw, str | bytes):
                record = _decode(fingerprint, raw)
                if record is not None:
                    records.append(record)
        self._devices.apply(records)
