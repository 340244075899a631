"""Benchmark: rendering phase 2 for a 1,000-application inventory, against the SDK.

The render is ``components.render.render_program`` on the dev stack's ``ztkit:``
settings, with ``ztkit:inventory`` pointing at a generated inventory,
``ztkit:phase`` 2 and ``ztkit:wave`` "all": every app gets its access proxy.

The floor is the bare Pulumi SDK under the same mocks in the same process: as
many resources as the render registered (its components and random passwords
included), each a ``pulumi_kubernetes.core.v1.ConfigMap`` with a name, a
namespace and a one-key data dict, registered through
``pulumi.runtime.set_mocks`` with the render's own mocks and run by
``pulumi.runtime.test``, as the render is. It is measured twice: with Python's
default garbage-collector settings, and with the setting the render uses.

To tell the SDK's cost of real inputs from ztkit's own, the render's resources
are also replayed: the same classes with the same recorded inputs, declared
one after the other with no inventory, no components' logic and no parents.

Everything is warmed up first (imports, the SDK's caches of input types), then
measured in turns; each figure is the best of ``--repeat`` runs (five by
default), in wall-clock and in CPU seconds of the process. On a shared two-core
machine a single run of either side now and then takes a third longer; with
five turns, each side's best is seldom such a run. Target: the render under
1.5x the floor, both under the same garbage-collector setting.

Run: ``uv run python bench/plan.py [--apps N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from bench.generate import generate_inventory
from components.program import PROJECT
from components.render import (
    RANDOM_PASSWORD,
    SECRET_SIGNATURE,
    SECRET_SIGNATURE_KEY,
    RecordedResource,
    Render,
    _ensure_event_loop,
    _fewer_collections,
    _RecordingMocks,
    render_program,
)
from ztkit.plan_command import PROJECT_ROOT, STACKS_DIR, stack_config

STACK = "dev"
TARGET = 1.5
WARM_UP_APPS = 20
TYPED_KINDS: dict[str, Any] = {"core/v1": k8s.core.v1}
"""The API groups whose objects the components declare through typed classes;
every other kind goes through the provider's generic class, as
``components.declare`` does."""


@dataclass
class Timing:
    """The best wall-clock and CPU seconds over several runs."""

    wall: float = float("inf")
    cpu: float = float("inf")

    def add(self, wall: float, cpu: float) -> None:
        """Keep the faster of this run and the best so far."""
        self.wall = min(self.wall, wall)
        self.cpu = min(self.cpu, cpu)


def render(inventory: Path) -> Render:
    """The phase-2 render of every app of ``inventory``."""
    values, secret_keys = stack_config(STACKS_DIR, STACK)
    values["ztkit:inventory"] = str(inventory)
    values["ztkit:phase"] = "2"
    values["ztkit:wave"] = json.dumps("all")
    return render_program(values, PROJECT_ROOT, STACK, secret_keys)


def _run_mocked(program: Callable[[], None]) -> Render:
    """Run ``program`` the way ``render_program`` runs the real one."""
    recorded = Render()
    _ensure_event_loop()
    pulumi.runtime.settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(
        _RecordingMocks(recorded), project=PROJECT, stack=STACK, preview=False
    )
    pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    return recorded


def floor(resources: int) -> Render:
    """``resources`` ConfigMaps with trivial inputs, under the render's mocks."""

    def program() -> None:
        for index in range(resources):
            name = f"floor-{index}"
            k8s.core.v1.ConfigMap(
                name, metadata={"name": name, "namespace": "floor"}, data={"k": "v"}
            )

    return _run_mocked(program)


def replay_specs(resources: list[RecordedResource]) -> str:
    """The render's resources as JSON: type, name and constructor arguments."""
    specs = []
    for resource in resources:
        inputs = dict(resource.inputs)
        if resource.is_kubernetes:
            arguments = {_snake(key): value for key, value in inputs.items()}
        elif resource.type == RANDOM_PASSWORD:
            arguments = {
                "length": int(inputs["length"]),
                "special": bool(inputs["special"]),
            }
        else:
            arguments = {}
        specs.append([resource.type, resource.name, arguments])
    return json.dumps(specs)


def replay(specs: list[list[Any]]) -> Render:
    """Declare the recorded resources again, flat, with nothing of ztkit's."""

    def program() -> None:
        for kind, name, arguments in specs:
            arguments = {key: _secret(value) for key, value in arguments.items()}
            if kind == RANDOM_PASSWORD:
                random.RandomPassword(name, **arguments)
            elif kind.startswith("kubernetes:"):
                _, group, class_name = kind.split(":")
                module = TYPED_KINDS.get(group)
                if module is None:
                    k8s.apiextensions.CustomResource(name, **arguments)
                else:
                    del arguments["api_version"], arguments["kind"]
                    getattr(module, class_name)(name, **arguments)
            else:
                component = pulumi.ComponentResource(kind, name)
                component.register_outputs({})

    with _fewer_collections():
        return _run_mocked(program)


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _secret(value: Any) -> Any:
    if isinstance(value, dict) and value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE:
        return pulumi.Output.secret(value["value"])
    return value


def timed(work: Callable[[], Render]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one run, and how many resources it registered.

    The previous run's objects are collected first, so no run pays for
    another's garbage.
    """
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    count = len(result.resources)
    del result
    return wall, cpu, count


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        inventory = Path(directory) / "inventory.yaml"
        inventory.write_text(generate_inventory(arguments.apps))
        small = Path(directory) / "warm-up.yaml"
        small.write_text(generate_inventory(WARM_UP_APPS))

        # The first run in a process imports modules and fills the SDK's
        # caches of input types: warm every path before measuring any.
        warm = render(small)
        floor(len(warm.resources))
        replay(json.loads(replay_specs(warm.resources)))
        full = render(inventory)
        kinds = Counter(resource.type for resource in full.resources)
        specs = replay_specs(full.resources)
        resources = len(full.resources)
        del warm, full

        def floor_tuned() -> Render:
            with _fewer_collections():
                return floor(resources)

        def replay_recorded() -> Render:
            # Decoded outside the timing, like the inputs a program builds.
            return replay(decoded)

        works: dict[str, Callable[[], Render]] = {
            "render": lambda: render(inventory),
            "floor": lambda: floor(resources),
            "floor_tuned": floor_tuned,
            "replay": replay_recorded,
        }
        timings = {name: Timing() for name in works}
        for run in range(1, arguments.repeat + 1):
            line = []
            for name, work in works.items():
                decoded = json.loads(specs) if name == "replay" else []
                wall, cpu, count = timed(work)
                decoded = []
                assert count == resources, (name, count, resources)
                timings[name].add(wall, cpu)
                line.append(f"{name} {wall:.2f} s ({cpu:.2f} s CPU)")
            print(f"run {run}: " + ", ".join(line), flush=True)

    _report(arguments, resources, kinds, timings)


def _report(
    arguments: argparse.Namespace,
    resources: int,
    kinds: Counter[str],
    timings: dict[str, Timing],
) -> None:
    print(f"\ninventory: {arguments.apps} applications; phase 2, wave all")
    print(f"resources: {resources} registered by each run; the render's:")
    for kind, count in kinds.most_common():
        print(f"  {count:>6}  {kind}")
    labels = {
        "floor": "SDK floor (ConfigMaps), default GC",
        "floor_tuned": "SDK floor (ConfigMaps), render's GC",
        "replay": "replay of the render's resources",
        "render": "render_program",
    }
    print(
        f"\n{'best of ' + str(arguments.repeat):38} {'wall':>9} {'CPU':>9}  per resource"
    )
    for name, label in labels.items():
        timing = timings[name]
        print(
            f"{label:38} {timing.wall:8.2f}s {timing.cpu:8.2f}s  "
            f"{1000 * timing.wall / resources:.2f} ms"
        )

    def ratio(top: str, bottom: str) -> str:
        wall = timings[top].wall / timings[bottom].wall
        cpu = timings[top].cpu / timings[bottom].cpu
        return f"{wall:5.2f}x wall, {cpu:5.2f}x CPU"

    # The verdict compares like with like: the floor under the same garbage-
    # collector setting the render runs with.
    target = timings["render"].wall / timings["floor_tuned"].wall
    print(
        f"\nrender / floor, same GC:        {ratio('render', 'floor_tuned')}  "
        f"(target under {TARGET}x: {'met' if target < TARGET else 'missed'})"
    )
    print(
        f"render / floor, default GC:     {ratio('render', 'floor')}  "
        "(the render's GC setting helps it, not the floor)"
    )
    print(
        f"replay / floor, same GC:        {ratio('replay', 'floor_tuned')}  "
        "(the SDK's cost of the real inputs)"
    )
    print(
        f"render / replay:                {ratio('render', 'replay')}  "
        "(ztkit's own share)"
    )


if __name__ == "__main__":
    main()
