"""The posture gate's HTTP service.

Port ``--port`` serves:

- ``/auth`` (any method, any path below it): the gateway's external-auth
  sub-request. 200 allows, 401 means sign in, 403 denies.
- ``POST /push/devices``: device records pushed by MDM/EDR, HMAC-signed.
- ``/healthz`` (the process is alive) and ``/readyz`` (it can decide).

Port ``--metrics-port`` serves ``/metrics`` for Prometheus, away from the
port the gateway reaches.

SIGHUP reloads the configuration and the feed; an invalid configuration is
refused and the running one kept. SIGTERM stops taking connections, answers
the requests in flight and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import ipaddress
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gate.conditional_access import Decision, decide
from gate.config import GateApp, GateConfig, load_gate_config
from gate.decision_log import DecisionLine, configure_decision_log, log_decision
from gate.device_feed import parse_records
from gate.device_store import DeviceStore, SharedStore, StoreUnavailable
from gate.errors import FeedError, GateConfigError, GateError
from gate.forwarded import (
    ForwardedRequest,
    MalformedRequest,
    parse_forwarded,
    session_cookies,
)
from gate.identity import IdentityClient
from gate.metrics import GateMetrics
from gate.posture import DeviceTrust, assess_device
from gate.push import NonceLedger, PushRejected, verify_push

logger = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
SHUTDOWN_GRACE_SECONDS = 10.0
_AUTH_PREFIX = "/auth"
_DECISION_MEMO_SIZE = 50_000
_FEED_MISSING = (0, 0, 0)
"""What the feed watcher remembers of a missing file, so it logs the loss once."""
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class _Policy:
    """The parts of the configuration each request reads, prepared once."""

    config: GateConfig
    apps_by_host: dict[str, GateApp]
    trusted_peers: tuple[_Network, ...]
    office_networks: tuple[_Network, ...]
    push_key: bytes | None
    decisions: dict[tuple[object, ...], Decision] = field(default_factory=dict)
    """Decisions already made: they depend only on the key, never on the user."""

    def decide(
        self,
        groups: tuple[str, ...],
        app: GateApp,
        method: str,
        trust: DeviceTrust,
        on_office: bool,
    ) -> Decision:
        """``conditional_access.decide``, remembered for requests alike."""
        key = (groups, app.id, method, trust, on_office)
        decision = self.decisions.get(key)
        if decision is None:
            decision = decide(groups, app, method, trust, on_office, self.config.access)
            if len(self.decisions) >= _DECISION_MEMO_SIZE:
                self.decisions.clear()
            self.decisions[key] = decision
        return decision

    @classmethod
    def prepare(cls, config: GateConfig) -> _Policy:
        return cls(
            config=config,
            apps_by_host={app.host: app for app in config.apps},
            trusted_peers=tuple(
                ipaddress.ip_network(c, strict=False) for c in config.trusted_peers
            ),
            office_networks=tuple(
                ipaddress.ip_network(c, strict=False) for c in config.office_networks
            ),
            push_key=config.push_key(),
        )


def _within(address: str | None, networks: tuple[_Network, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class Gate:
    """The gate's state and request handlers."""

    def __init__(self, config_path: Path, config: GateConfig) -> None:
        self.config_path = config_path
        self.policy = _Policy.prepare(config)
        self.metrics = GateMetrics()
        self.devices = DeviceStore()
        self.identity = self._identity_client(config)
        self.nonces = NonceLedger(config.push.max_age.total_seconds())
        self.shared: SharedStore | None = None
        self.stopping = False
        self._feed_seen: tuple[int, int, int] | None = None
        self._feed_loaded = False
        self._trusted_cache: dict[str | None, bool] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @staticmethod
    def _identity_client(config: GateConfig) -> IdentityClient:
        settings = config.identity
        return IdentityClient(
            timeout=settings.timeout.total_seconds(),
            cache_ttl=settings.cache_ttl.total_seconds(),
            cache_size=settings.cache_size,
            max_connections=settings.max_connections,
        )

    # Lifecycle

    async def start(self) -> None:
        """Load the feed, join the shared store and start watching the feed."""
        self.check_feed()
        url = self.policy.config.redis_url()
        if url:
            store = self.policy.config.store
            self.shared = SharedStore(url, store.key_prefix, self.devices)
            self.shared.start()
        self._tasks.append(asyncio.create_task(self._watch_feed(), name="feed"))

    async def stop(self) -> None:
        """Stop background work and close connections."""
        self.stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.shared is not None:
            await self.shared.close()
        await self.identity.close()

    def reload(self) -> bool:
        """Re-read the configuration and the feed, keeping the old ones if bad.

        Returns:
            Whether the new configuration was taken.
        """
        try:
            config = load_gate_config(self.config_path)
            policy = _Policy.prepare(config)
        except GateConfigError as error:
            self.metrics.config_reloads.labels("refused").inc()
            logger.error(
                "configuration reload refused, keeping the running one: %s", error
            )
            return False

        old = self.policy.config
        if config.store != old.store:
            logger.warning("store settings change only on restart")
        self.policy = policy
        if config.identity != old.identity:
            previous = self.identity
            self.identity = self._identity_client(config)
            asyncio.get_running_loop().create_task(previous.close())
        else:
            # Group membership may have changed with the apps: ask again.
            self.identity.cache.clear()
        self._trusted_cache.clear()
        self._feed_seen = None
        self.check_feed()
        self.metrics.config_reloads.labels("taken").inc()
        logger.info("configuration reloaded")
        return True

    # The device feed

    def check_feed(self) -> None:
        """Reload the feed file if it changed since the last look."""
        path = self.policy.config.feed.path
        if path is None:
            return
        try:
            status = path.stat()
        except OSError:
            if self._feed_seen != _FEED_MISSING:
                logger.error(
                    "device feed %s is missing; keeping the last good snapshot", path
                )
            self._feed_seen = _FEED_MISSING
            return

        seen = (status.st_mtime_ns, status.st_size, status.st_ino)
        if seen == self._feed_seen:
            return
        self._feed_seen = seen
        try:
            self.devices.feed.reload(path)
        except FeedError as error:
            self.metrics.feed_reloads.labels("refused").inc()
            logger.error(
                "device feed refused, keeping the last good snapshot: %s", error
            )
            return
        self._feed_loaded = True
        self.metrics.feed_reloads.labels("taken").inc()
        self.metrics.feed_devices.set(len(self.devices.feed))
        self.metrics.feed_loaded_time.set(time.time())

    async def _watch_feed(self) -> None:
        while True:
            await asyncio.sleep(self.policy.config.feed.reload_interval.total_seconds())
            self.check_feed()

    # Health

    def readiness(self) -> list[str]:
        """Why the gate cannot decide yet; empty when it can."""
        problems = []
        if self.stopping:
            problems.append("shutting down")
        config = self.policy.config
        if config.feed.path is not None and not self._feed_loaded:
            problems.append("device feed not loaded")
        if config.store.required and (self.shared is None or not self.shared.connected):
            problems.append("shared store not connected")
        return problems

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(self, request: web.Request) -> web.Response:
        problems = self.readiness()
        if problems:
            return web.json_response(
                {"status": "not ready", "problems": problems}, status=503
            )
        return web.json_response({"status": "ready"})

    async def metrics_page(self, request: web.Request) -> web.Response:
        self.metrics.identity_cache_sessions.set(len(self.identity.cache))
        self.metrics.pushed_devices.set(self.devices.pushed_count)
        self.metrics.store_connected.set(
            1 if self.shared is not None and self.shared.connected else 0
        )
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    # The auth sub-request

    def _trusted(self, peer: str | None) -> bool:
        known = self._trusted_cache.get(peer)
        if known is None:
            known = _within(peer, self.policy.trusted_peers)
            if len(self._trusted_cache) > 4096:
                self._trusted_cache.clear()
            self._trusted_cache[peer] = known
        return known

    async def auth(self, request: web.Request) -> web.Response:
        """Answer the gateway: may this request through?"""
        started = time.perf_counter()
        policy = self.policy
        config = policy.config
        line = _LineBuilder(started)

        if not self._trusted(request.remote):
            return self._finish(
                line.deny("untrusted_peer", "caller is not a trusted gateway")
            )

        own_path = request.path[len(_AUTH_PREFIX) :] or "/"
        try:
            forwarded = parse_forwarded(
                request.headers, request.method, request.host, own_path, config
            )
        except MalformedRequest as error:
            return self._finish(line.deny("malformed_request", str(error)))
        line.forwarded(forwarded)

        app = policy.apps_by_host.get(forwarded.host)
        if app is None:
            return self._finish(
                line.deny("unknown_app", "no application for this host")
            )
        line.app = app.id
        certificate = forwarded.certificate
        if certificate.state in ("rejected", "malformed"):
            return self._finish(
                line.deny(
                    "certificate_rejected", f"client certificate {certificate.state}"
                )
            )

        # Several Cookie headers are read as one, as nginx's $http_cookie does.
        cookie_header = "; ".join(request.headers.getall("Cookie", ())) or None
        if (
            cookie_header is not None
            and len(cookie_header) > config.limits.max_cookie_bytes
        ):
            return self._finish(
                line.deny("malformed_request", "Cookie header too large")
            )
        try:
            cookies = session_cookies(cookie_header, config.identity.cookie_names)
        except MalformedRequest as error:
            return self._finish(line.deny("malformed_request", str(error)))

        # The device is judged before the person so every line names its trust.
        record = self.devices.lookup(certificate.fingerprint)
        trust = assess_device(
            record, config.posture, datetime.datetime.now(datetime.UTC)
        )
        line.device_trust = trust.level

        url = config.identity_url_for(app)
        if url is None:
            return self._finish(
                line.deny("identity_unavailable", "no identity endpoint")
            )

        identity, source = await self.identity.lookup(url, cookies)
        if source == "cache":
            self.metrics.identity_cache_hits.inc()
        elif source == "lookup":
            self.metrics.identity_lookups.labels(identity.status).inc()
        line.user = identity.user
        if identity.status == "signed_out":
            return self._finish(line.sign_in(identity.detail))
        if identity.status == "forbidden":
            return self._finish(line.deny("identity_refused", identity.detail))
        if identity.status != "signed_in":
            return self._finish(line.deny("identity_unavailable", identity.detail))

        on_office = _within(forwarded.client_address, policy.office_networks)
        decision = policy.decide(
            identity.groups, app, forwarded.method, trust, on_office
        )
        line.access_level = decision.access_level
        if not decision.allowed:
            cause = "device_failing" if trust.level == "failing" else "policy_denied"
            return self._finish(line.deny(cause, decision.reason))

        response = web.Response(
            status=200,
            headers={
                "X-Auth-Request-User": identity.user or "",
                "X-Auth-Request-Email": identity.email or "",
                "X-Auth-Request-Groups": ",".join(identity.groups),
                "X-Ztkit-Device-Trust": trust.level,
                "X-Ztkit-Access-Level": decision.access_level,
            },
        )
        return self._finish(line.allow(decision.reason), response)

    def _finish(
        self, line: DecisionLine, response: web.Response | None = None
    ) -> web.Response:
        self.metrics.decisions.labels(line.decision, line.cause).inc()
        self.metrics.decision_seconds.observe(line.latency_ms / 1000)
        log_decision(line)
        if response is None:
            response = web.Response(
                status=line.status,
                text="sign in required\n" if line.status == 401 else "access denied\n",
            )
        return response

    # Pushes from MDM/EDR

    async def push(self, request: web.Request) -> web.Response:
        """Take device records pushed by MDM/EDR."""
        config = self.policy.config
        key = self.policy.push_key
        if key is None:
            self.metrics.pushes.labels("disabled").inc()
            return web.json_response({"error": "pushes are not enabled"}, status=404)
        limit = config.push.max_body_bytes
        if request.content_length is None or request.content_length > limit:
            self.metrics.pushes.labels("too_large").inc()
            return web.json_response(
                {
                    "error": f"a push may carry at most {limit} bytes, with a Content-Length"
                },
                status=413,
            )

        body = await request.read()
        max_age = config.push.max_age.total_seconds()
        try:
            nonce = verify_push(key, request.headers, body, time.time(), max_age)
        except PushRejected as error:
            self.metrics.pushes.labels("unauthenticated").inc()
            logger.warning("push refused: %s", error)
            return web.json_response({"error": str(error)}, status=401)

        try:
            records = parse_records("push", json.loads(body))
        except (ValueError, FeedError) as error:
            self.metrics.pushes.labels("invalid").inc()
            message = (
                str(error) if isinstance(error, FeedError) else "push: body is not JSON"
            )
            return web.json_response({"error": message}, status=400)

        try:
            if self.shared is not None:
                fresh = await self.shared.claim_nonce(nonce, max_age)
            else:
                fresh = self.nonces.claim(nonce, time.time())
            if not fresh:
                self.metrics.pushes.labels("replayed").inc()
                return web.json_response({"error": "nonce already used"}, status=401)
            if self.shared is not None:
                await self.shared.publish(records)
        except StoreUnavailable as error:
            self.metrics.pushes.labels("store_unavailable").inc()
            logger.error("push not taken: %s", error)
            return web.json_response(
                {"error": "shared store unavailable; retry"}, status=503
            )

        taken = self.devices.apply(records)
        self.metrics.pushes.labels("taken").inc()
        return web.json_response({"received": len(records), "newer": taken})


class _LineBuilder:
    """Collects the fields of a request's decision line as the request goes."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.app: str | None = None
        self.method: str | None = None
        self.path: str | None = None
        self.user: str | None = None
        self.device: str | None = None
        self.device_trust = "unknown"
        self.access_level = "deny"
        self.request_id: str | None = None
        self.client: str | None = None

    def forwarded(self, request: ForwardedRequest) -> None:
        self.method = request.method
        self.path = request.path
        self.device = request.certificate.fingerprint
        self.request_id = request.request_id
        self.client = request.client_address

    def _line(
        self, decision: str, status: int, cause: str, reason: str
    ) -> DecisionLine:
        return DecisionLine(
            app=self.app,
            method=self.method,
            path=self.path,
            user=self.user,
            device=self.device,
            device_trust=self.device_trust,
            decision=decision,
            access_level=self.access_level,
            status=status,
            reason=reason,
            cause=cause,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 3),
            request_id=self.request_id,
            client=self.client,
        )

    def allow(self, reason: str) -> DecisionLine:
        return self._line("allow", 200, "allowed", reason)

    def deny(self, cause: str, reason: str) -> DecisionLine:
        return self._line("deny", 403, cause, reason)

    def sign_in(self, reason: str) -> DecisionLine:
        return self._line("sign_in", 401, "no_session", reason)


def build_app(gate: Gate) -> web.Application:
    """The gateway-facing application."""
    config = gate.policy.config
    # aiohttp refuses longer headers itself (400); the gate's own limits are lower.
    field_size = (
        max(config.limits.max_header_bytes, config.limits.max_cookie_bytes) + 64
    )
    app = web.Application(
        client_max_size=config.push.max_body_bytes,
        handler_args={"max_field_size": field_size, "max_line_size": field_size},
    )
    app.router.add_route("*", _AUTH_PREFIX, gate.auth)
    app.router.add_route("*", _AUTH_PREFIX + "/{tail:.*}", gate.auth)
    app.router.add_post("/push/devices", gate.push)
    app.router.add_get("/healthz", gate.healthz)
    app.router.add_get("/readyz", gate.readyz)
    return app


def build_metrics_app(gate: Gate) -> web.Application:
    """The application serving ``/metrics``."""
    app = web.Application()
    app.router.add_get("/metrics", gate.metrics_page)
    return app


class _JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": datetime.datetime.fromtimestamp(
                    record.created, datetime.UTC
                ).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
            },
            separators=(",", ":"),
        )


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    configure_decision_log(sys.stdout)


async def serve(
    config_path: Path,
    host: str,
    port: int,
    metrics_port: int | None,
    *,
    started: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the gate until ``stop`` is set, or SIGTERM or SIGINT when it is not given.

    Args:
        config_path: The gate's YAML file.
        host: The address to listen on.
        port: The port for auth, push and health.
        metrics_port: The port for ``/metrics``; none when ``None``.
        started: Set once the gate is listening.
        stop: Set by the caller to stop; signals are handled only without it.

    Raises:
        GateError: The configuration is invalid.
        OSError: A port cannot be bound.
    """
    config = load_gate_config(config_path)
    gate = Gate(config_path, config)
    runner = web.AppRunner(
        build_app(gate), access_log=None, shutdown_timeout=SHUTDOWN_GRACE_SECONDS
    )
    metrics_runner = web.AppRunner(build_metrics_app(gate), access_log=None)
    loop = asyncio.get_running_loop()
    if stop is None:
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, gate.reload)

    await runner.setup()
    await metrics_runner.setup()
    try:
        await gate.start()
        await web.TCPSite(runner, host, port).start()
        if metrics_port is not None:
            await web.TCPSite(metrics_runner, host, metrics_port).start()
        logger.info("posture gate listening on %s:%s", host, port)
        if started is not None:
            started.set()
        await stop.wait()
        logger.info("stopping: finishing requests in flight")
        gate.stopping = True
    finally:
        await runner.cleanup()
        await metrics_runner.cleanup()
        await gate.stop()


def build_parser() -> argparse.ArgumentParser:
    """The ``gate`` command line."""
    parser = argparse.ArgumentParser(
        prog="gate", description="The ztkit device posture gate."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("serve", help="answer the gateway's auth sub-requests")
    run.add_argument("--config", type=Path, required=True, help="the gate's YAML file")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on")
    run.add_argument(
        "--port", type=int, default=8080, help="auth, push and health port"
    )
    run.add_argument(
        "--metrics-port", type=int, help="port for /metrics (off if unset)"
    )
    run.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """Run the gate's command line; returns the exit code."""
    arguments = build_parser().parse_args(list(argv))
    _configure_logging(arguments.log_level)
    try:
        asyncio.run(
            serve(
                arguments.config, arguments.host, arguments.port, arguments.metrics_port
            )
        )
    except GateError as error:
        print(f"gate: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(
            f"gate: cannot listen on {arguments.host}: {error.strerror}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
