"""Rendering the Pulumi program offline, under the SDK's mock monitor.

The program runs exactly as under ``pulumi up``, but every resource it
registers is recorded instead of created. Kubernetes objects come out as the
manifests the provider would send; random passwords get fresh random values
that never leave the render unless asked for.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import secrets
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pulumi

from components.program import PROJECT, build

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
REDACTED = "<redacted>"
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
"""How the SDK marks a secret value when it serialises resource inputs."""
RENDER_GC_THRESHOLD = 100_000
"""Allocations between two young-generation collections during a render."""
REVIEWABLE_SECRET_KEYS = frozenset({"ztkit-realm.json"})
"""Secret entries that are configuration worth reviewing: shown with every
secret value inside them redacted, instead of redacted whole."""


@dataclass(frozen=True)
class RecordedResource:
    """One resource the program registered."""

    type: str
    name: str
    inputs: dict[str, Any]

    @property
    def is_kubernetes(self) -> bool:
        """Whether this is a Kubernetes object (rather than a component or a random value)."""
        return self.type.startswith("kubernetes:")


@dataclass
class Render:
    """What one run of the program declared."""

    resources: list[RecordedResource] = field(default_factory=list)
    protected: set[str] = field(default_factory=set)
    """Names of the resources declared with ``protect``: never deleted by Pulumi."""
    parents: dict[str, str] = field(default_factory=dict)
    """The parent component's name of every resource that has one."""
    secret_values: set[str] = field(default_factory=set)
    """Every secret value the render saw: generated passwords and secret config."""
    warnings: list[str] = field(default_factory=list)

    def manifests(self, show_secrets: bool = False) -> list[dict[str, Any]]:
        """The Kubernetes objects, secret values redacted unless ``show_secrets``."""
        objects = []
        for resource in self.resources:
            if not resource.is_kubernetes:
                continue
            manifest = _plain(self._unwrap(resource.inputs, show_secrets))
            if not show_secrets:
                manifest = self._scrub(manifest)
            objects.append(_ordered(manifest))
        return objects

    def _unwrap(self, value: Any, show_secrets: bool) -> Any:
        """Replace the SDK's secret wrappers by their value, or by a redaction."""
        if isinstance(value, dict):
            if value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE:
                inner = self._unwrap(value.get("value"), show_secrets)
                return inner if show_secrets else self._redact(inner)
            return {
                key: self._unwrap(item, show_secrets) for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._unwrap(item, show_secrets) for item in value]
        return value

    def _redact(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: self._scrub(item) if key in REVIEWABLE_SECRET_KEYS else REDACTED
                for key, item in value.items()
            }
        return REDACTED

    @cached_property
    def _secret_pattern(self) -> re.Pattern[str] | None:
        # One pass over each string instead of one per secret; longest first so
        # a secret that contains another is replaced whole. Read once the
        # render is complete.
        secrets = sorted((s for s in self.secret_values if s), key=len, reverse=True)
        if not secrets:
            return None
        return re.compile("|".join(re.escape(secret) for secret in secrets))

    def _scrub(self, value: Any) -> Any:
        """Replace every known secret value inside ``value``, however it got there."""
        if isinstance(value, str):
            pattern = self._secret_pattern
            return pattern.sub(REDACTED, value) if pattern else value
        if isinstance(value, list):
            return [self._scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: self._scrub(item) for key, item in value.items()}
        return value


def _ordered(manifest: dict[str, Any]) -> dict[str, Any]:
    # The mock monitor hands fields back in no fixed order; sorting them makes
    # two renders of the same program byte-identical, with the identifying
    # fields first as in any manifest.
    first = ("apiVersion", "kind", "metadata")
    ordered = {key: _sorted(manifest[key]) for key in first if key in manifest}
    ordered.update(
        {key: _sorted(manifest[key]) for key in sorted(manifest) if key not in first}
    )
    return ordered


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


class _RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, render: Render) -> None:
        self.render = render

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str, dict[str, Any]]:
        # Only outputs the provider computes are returned: a password's result.
        # For every property left out the SDK keeps the value the program gave,
        # as after a real update; echoing all inputs back would only make the
        # SDK serialise, parse and retype each manifest once more.
        outputs: dict[str, Any] = {}
        if args.typ == RANDOM_PASSWORD:
            value = random_password(args.inputs)
            outputs["result"] = value
            self.render.secret_values.add(value)
        self.render.resources.append(
            RecordedResource(args.typ, args.name, dict(args.inputs))
        )
        return f"{args.name}-id", outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(pulumi.runtime.mocks.MockMonitor):
    """Records each registration's ``protect`` option and parent, which the
    mocks themselves are not told."""

    def __init__(self, mocks: _RecordingMocks, render: Render) -> None:
        super().__init__(mocks)
        self.render = render

    def RegisterResource(self, request: Any) -> Any:
        if request.protect:
            self.render.protected.add(request.name)
        if request.parent and request.type != "pulumi:pulumi:Stack":
            parent = request.parent.rpartition("::")[2]
            if not request.parent.split("::")[2].endswith("pulumi:pulumi:Stack"):
                self.render.parents[request.name] = parent
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


class _WarningCollector(logging.Handler):
    def __init__(self, render: Render) -> None:
        super().__init__(logging.WARNING)
        self.render = render

    def emit(self, record: logging.LogRecord) -> None:
        self.render.warnings.append(record.getMessage())


def random_password(inputs: Mapping[str, Any]) -> str:
    """A fresh password as pulumi-random's RandomPassword makes it from ``inputs``.

    The random bytes are read once per password: ``secrets.choice`` reads the
    system's random source once per character, which made a fifth of the
    time of a 1,000-app render. Bytes that would favour the first characters
    of the alphabet are skipped, so every character stays equally likely.
    """
    alphabet = string.ascii_letters + string.digits
    if inputs.get("special", True):
        alphabet += "!#$%&*()-_=+[]{}<>:?"
    length = int(inputs.get("length", 32))
    unbiased_below = 256 - 256 % len(alphabet)
    characters: list[str] = []
    while len(characters) < length:
        characters += [
            alphabet[byte % len(alphabet)]
            for byte in secrets.token_bytes(2 * length)
            if byte < unbiased_below
        ]
    return "".join(characters[:length])


def _plain(value: Any) -> Any:
    # Numbers cross the mock monitor as floats; Kubernetes wants integers back.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def render_program(
    config: Mapping[str, str],
    project_root: Path,
    stack: str = "plan",
    secret_keys: tuple[str, ...] = (),
) -> Render:
    """Run the program with ``config`` (``ztkit:`` keys, values as text) and record it.

    Raises:
        StackConfigError, AssessmentError: as the program would under ``pulumi up``.
    """
    render = Render()
    for key in secret_keys:
        if key in config:
            render.secret_values.add(config[key])
            render.secret_values.update(_secret_leaves(config[key]))

    # The engine's log goes to a private logger so warnings reach the render,
    # not the user's terminal twice.
    logger = logging.Logger("ztkit.render")
    logger.addHandler(_WarningCollector(render))
    # Only warnings are kept: the SDK's debug messages, four per resource, are
    # dropped before they become log records.
    logger.setLevel(logging.WARNING)
    _ensure_event_loop()
    # A fresh root stack per render, so the options recorded below are this render's.
    pulumi.runtime.settings.set_root_resource(None)  # type: ignore[arg-type]
    mocks = _RecordingMocks(render)
    pulumi.runtime.set_mocks(
        mocks,
        monitor=_RecordingMonitor(mocks, render),
        project=PROJECT,
        stack=stack,
        preview=False,
        logger=logger,
    )
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))

    def program() -> None:
        build(project_root)

    # Most of what the SDK allocates lives until the end of the program, so the
    # collector is held back for the whole run (see _fewer_collections).
    with _fewer_collections():
        pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    return render


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often for the length of a render.

    The SDK keeps every resource, output and future alive until the program
    ends, and a render of a thousand apps makes millions of them. At the
    default threshold (a collection every 700 allocations) the collector walks
    them again and again: close to half the render's time. Collecting every
    100,000 allocations halves the render and leaves its peak memory as it was,
    as almost nothing a render allocates is garbage before the render ends.
    """
    previous = gc.get_threshold()
    gc.set_threshold(RENDER_GC_THRESHOLD, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


_loop: asyncio.AbstractEventLoop | None = None


def _ensure_event_loop() -> None:
    """Give the thread an event loop if it has none.

    The SDK makes futures on the thread's loop before it runs one, and an
    ``asyncio.run()`` elsewhere in the process leaves the thread without one.
    Renders share one loop for the life of the process.
    """
    global _loop
    try:
        current = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        current = None
    if current is not None and not current.is_closed():
        return
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    asyncio.set_event_loop(_loop)


def _secret_leaves(raw: str) -> set[str]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return set()
    if isinstance(value, dict):
        return {item for item in value.values() if isinstance(item, str)}
    return set()
