"""Benchmark: the assessment of a 10,000-application inventory.

Prints the time of the whole assessment (load, validate, cross-check, score,
risk, plan, indented JSON, with the cyclic garbage collector paused as
``ztkit assess`` pauses it) and its ratio to plain YAML loading of the same
file, all measured in this run. Two plain loads are measured, because they differ
twenty-fold: PyYAML's libyaml loader (``CSafeLoader``, what the project's
loader was built on) and yaml_rs (the compiled parser the loader now uses
where it reads a text the same way). The targets are under 2 s, and under 3x
plain loading; the 3x target is judged against each baseline and both
verdicts are printed.

Run: ``uv run python bench/assess.py [--apps N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from assessment import fast_yaml
from assessment.answers import load_answers
from assessment.assess import run_assessment
from assessment.gc_pause import collector_paused
from assessment.inventory import load_inventory
from assessment.maturity_model import load_model
from assessment.report_text import render_json
from bench.generate import generate_inventory

SAMPLE_ANSWERS = Path(__file__).resolve().parent.parent / "sample" / "answers.yaml"
RATIO_TARGET = 3.0
ABSOLUTE_TARGET = 2.0


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds.

    Earlier runs' objects are collected first, so no run pays for another's.
    """
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def verdict(met: bool) -> str:
    """How a target line ends."""
    return "met" if met else "missed"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "inventory.yaml"
        path.write_text(generate_inventory(arguments.apps))
        size = path.stat().st_size
        model = load_model()
        declined = fast_yaml.decline_reason(path.read_text())

        def plain_pyyaml() -> object:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            return yaml.load(path.read_text(), Loader=loader)

        def plain_yaml_rs() -> object:
            import yaml_rs

            return yaml_rs.loads(path.read_text())

        def assess() -> object:
            # As `ztkit assess --format json` runs it.
            with collector_paused():
                inventory = load_inventory(path)
                answers = load_answers(SAMPLE_ANSWERS, model)
                result = run_assessment(inventory, model, answers)
                return render_json(result.as_json())

        baselines = {"PyYAML CSafeLoader": best_of(arguments.repeat, plain_pyyaml)}
        if importlib.util.find_spec("yaml_rs") is not None:
            baselines["yaml_rs"] = best_of(arguments.repeat, plain_yaml_rs)
        measured = best_of(arguments.repeat, assess)

    print(f"inventory: {arguments.apps} applications, {size / 1e6:.1f} MB")
    if not fast_yaml.available():
        print("YAML fast path: unavailable (yaml_rs missing or unverified)")
    else:
        print(f"YAML fast path: {'declined, ' + declined if declined else 'taken'}")
    for name, seconds in baselines.items():
        print(f"plain load, {name + ':':20s}{seconds:7.3f} s")
    print(f"assessment:{'':21s}{measured:7.3f} s")
    print(
        f"absolute (target under {ABSOLUTE_TARGET:g} s): "
        f"{verdict(measured < ABSOLUTE_TARGET)}"
    )
    for name, seconds in baselines.items():
        ratio = measured / seconds
        print(
            f"ratio to {name}: {ratio:.2f}x "
            f"(target under {RATIO_TARGET:g}x: {verdict(ratio < RATIO_TARGET)})"
        )
    if "yaml_rs" not in baselines:
        print("ratio to yaml_rs: not measured, yaml_rs is not installed")


if __name__ == "__main__":
    main()
