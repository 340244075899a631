"""Benchmark: rendering phase 2 for a 1,000-application inventory, against the SDK.

The render is ``components.render.render_program`` on the dev stack's ``ztkit:``
settings, with ``ztkit:inventory`` pointing at a generated inventory,
``ztkit:phase`` 2 and ``ztkit:wave`` "all": every app gets its access proxy.

The floor is the bare Pulumi SDK under the same mocks in the same process: as
many resources as the render registered (components and random passwords
included), each a ``pulumi_kubernetes.core.v1.ConfigMap`` with a name, a
namespace and a one-key data dict, registered through
``pulumi.runtime.set_mocks`` with the render's own mocks and run by
``pulumi.runtime.test``, exactly as the render is. It is what any program of
that many resources pays; the rest of the render's time is ztkit's program and
the SDK's handling of real (larger, typed) inputs.

Both are warmed up first (imports, the SDK's type caches), then measured
alternately; each figure is the best of ``--repeat`` runs, wall-clock time and
CPU time of the process. Target: the render under 1.5x the floor.

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi
import pulumi_kubernetes as k8s

from bench.generate import generate_inventory
from components.program import PROJECT
from components.render import Render, _RecordingMocks, render_program
from ztkit.plan_command import PROJECT_ROOT, STACKS_DIR, stack_config

STACK = "dev"
TARGET = 1.5
WARM_UP_APPS = 20


@dataclass
class Timing:
    """The best wall-clock and CPU seconds over several runs."""

    wall: float = float("inf")
    cpu: float = float("inf")

    def add(self, wall: float, cpu: float) -> None:
        """Keep the faster of this run and the best so far."""
        self.wall = min(self.wall, wall)
        self.cpu = min(self.cpu, cpu)


def render_config(inventory: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """The dev stack's ``ztkit:`` settings, for phase 2, every app of ``inventory``."""
    values, secret_keys = stack_config(STACKS_DIR, STACK)
    values["ztkit:inventory"] = str(inventory)
    values["ztkit:phase"] = "2"
    values["ztkit:wave"] = json.dumps("all")
    return values, secret_keys


def render(inventory: Path) -> Render:
    """The phase-2 render of every app of ``inventory``."""
    values, secret_keys = render_config(inventory)
    return render_program(values, PROJECT_ROOT, STACK, secret_keys)


def floor(resources: int) -> Render:
    """``resources`` ConfigMaps with trivial inputs, under the render's mocks."""
    recorded = Render()
    pulumi.runtime.set_mocks(
        _RecordingMocks(recorded), project=PROJECT, stack=STACK, preview=False
    )

    def program() -> None:
        for index in range(resources):
            name = f"floor-{index}"
            k8s.core.v1.ConfigMap(
                name, metadata={"name": name, "namespace": "floor"}, data={"k": "v"}
            )

    pulumi.runtime.test(program)()
    return recorded


def timed(work: Callable[[], Render]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one run, and how many resources it registered.

    The previous run's objects are collected first, so that no run pays for
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
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        inventory = Path(directory) / "inventory.yaml"
        inventory.write_text(generate_inventory(arguments.apps))
        small = Path(directory) / "warm-up.yaml"
        small.write_text(generate_inventory(WARM_UP_APPS))

        # The first run in a process imports modules and fills the SDK's
        # caches of input types: warm both paths before measuring either.
        warm = render(small)
        floor(len(warm.resources))
        kinds = Counter(resource.type for resource in render(inventory).resources)
        resources = sum(kinds.values())
        del warm

        measured, baseline = Timing(), Timing()
        for run in range(1, arguments.repeat + 1):
            wall, cpu, count = timed(lambda: render(inventory))
            assert count == resources
            measured.add(wall, cpu)
            floor_wall, floor_cpu, floor_count = timed(lambda: floor(resources))
            assert floor_count == resources
            baseline.add(floor_wall, floor_cpu)
            print(
                f"run {run}: render {wall:.2f} s ({cpu:.2f} s CPU), "
                f"floor {floor_wall:.2f} s ({floor_cpu:.2f} s CPU)",
                flush=True,
            )

    ratio = measured.wall / baseline.wall
    print(f"inventory: {arguments.apps} applications; phase 2, wave all")
    print(f"resources: {resources} registered by the render, {resources} by the floor")
    for kind, count in kinds.most_common():
        print(f"  {count:>6}  {kind}")
    print(
        f"SDK floor (ConfigMaps):  {baseline.wall:7.2f} s  "
        f"({baseline.cpu:.2f} s CPU, {1000 * baseline.wall / resources:.2f} ms/resource)"
    )
    print(
        f"render_program:          {measured.wall:7.2f} s  "
        f"({measured.cpu:.2f} s CPU, {1000 * measured.wall / resources:.2f} ms/resource)"
    )
    print(
        f"ratio to the floor:      {ratio:7.2f}x wall, "
        f"{measured.cpu / baseline.cpu:.2f}x CPU "
        f"(target under {TARGET}x: {'met' if ratio < TARGET else 'missed'}); "
        f"best of {arguments.repeat}"
    )


if __name__ == "__main__":
    main()
