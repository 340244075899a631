"""Benchmark: the assessment of a 10,000-application inventory.

Prints the time of ``ztkit assess --format json`` on a generated inventory,
run in this process through the command's own entry point (load, validate,
cross-check, score, risk, plan, indented JSON, with the cyclic garbage
collector paused as the command pauses it; standard output is kept in
memory), and its ratio to plain YAML loading of the same file, all measured
in this run. Two plain loads are measured, because they differ twenty-fold:
PyYAML's libyaml loader (``CSafeLoader``, what the project's loader was built
on) and yaml_rs (the compiled parser the loader now uses where it reads a
text the same way). The assessment and the yaml_rs load are interleaved,
round by round, so that a change in the machine's speed touches both alike;
PyYAML's slow rounds follow. Each figure is the fastest of its rounds. The
targets are under 2 s, and under 3x plain loading; the 3x target is judged
against each baseline and both verdicts are printed.

Run: ``uv run python bench/assess.py [--apps N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from assessment import fast_yaml
from bench.generate import generate_inventory
from ztkit.cli import main as ztkit_main

SAMPLE_ANSWERS = Path(__file__).resolve().parent.parent / "sample" / "answers.yaml"
RATIO_TARGET = 3.0
ABSOLUTE_TARGET = 2.0


def timed(work: Callable[[], object]) -> float:
    """Seconds of one run of ``work``, its result freed inside the timing.

    Earlier runs' objects are collected first, so no run pays for another's.
    """
    gc.collect()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def verdict(met: bool) -> str:
    """How a target line ends."""
    return "met" if met else "missed"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "inventory.yaml"
        path.write_text(generate_inventory(arguments.apps))
        size = path.stat().st_size
        declined = fast_yaml.decline_reason(path.read_text())
        command = [
            "assess",
            *("--inventory", str(path), "--answers", str(SAMPLE_ANSWERS)),
            *("--format", "json"),
        ]

        def plain_pyyaml() -> object:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            return yaml.load(path.read_text(), Loader=loader)

        def plain_yaml_rs() -> object:
            import yaml_rs

            return yaml_rs.loads(path.read_text())

        def assess() -> str:
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                code = ztkit_main(command)
            if code != 0:
                raise SystemExit(f"ztkit {' '.join(command)} exited {code}")
            return output.getvalue()

        # The command's output is checked once, outside the timings, so the
        # benchmark is known to time the whole assessment.
        assessed = json.loads(assess())
        if len(assessed["apps"]) != arguments.apps:
            raise SystemExit(f"the assessment lists {len(assessed['apps'])} apps")
        del assessed

        works: dict[str, Callable[[], object]] = {"assessment": assess}
        if importlib.util.find_spec("yaml_rs") is not None:
            works["yaml_rs"] = plain_yaml_rs
        fastest = dict.fromkeys(works, float("inf"))
        for _ in range(arguments.repeat):
            for name, work in works.items():
                fastest[name] = min(fastest[name], timed(work))
        # PyYAML's rounds come last: its millions of short-lived objects
        # leave the heap in a state that slowed whatever ran after it by a
        # fifth on a two-core machine, the assessment more than yaml_rs.
        best = {
            "PyYAML CSafeLoader": min(
                timed(plain_pyyaml) for _ in range(arguments.repeat)
            )
        }
        if "yaml_rs" in fastest:
            best["yaml_rs"] = fastest["yaml_rs"]

    measured = fastest["assessment"]
    print(f"inventory: {arguments.apps} applications, {size / 1e6:.1f} MB")
    if not fast_yaml.available():
        print("YAML fast path: unavailable (yaml_rs missing or unverified)")
    else:
        print(f"YAML fast path: {'declined, ' + declined if declined else 'taken'}")
    print(f"fastest of {arguments.repeat} rounds:")
    for name, seconds in best.items():
        print(f"plain load, {name + ':':20s}{seconds:7.3f} s")
    print(f"ztkit assess --format json:{'':5s}{measured:7.3f} s")
    print(
        f"absolute (target under {ABSOLUTE_TARGET:g} s): "
        f"{verdict(measured < ABSOLUTE_TARGET)}"
    )
    for name, seconds in best.items():
        ratio = measured / seconds
        print(
            f"ratio to {name}: {ratio:.2f}x "
            f"(target under {RATIO_TARGET:g}x: {verdict(ratio < RATIO_TARGET)})"
        )
    if "yaml_rs" not in best:
        print("ratio to yaml_rs: not measured, yaml_rs is not installed")


if __name__ == "__main__":
    main()
