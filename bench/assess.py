"""Benchmark: the assessment of a 10,000-application inventory.

Prints the time of the whole assessment (load, validate, cross-check, score,
risk, plan, JSON) and its ratio to plain YAML loading of the same file with
PyYAML's libyaml loader, the fastest plain load available, both measured in
this run. Targets: under 2 s, under 3x the loading time.

Run: ``uv run python bench/assess.py [--apps N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from assessment.answers import load_answers
from assessment.assess import run_assessment
from assessment.inventory import load_inventory
from assessment.maturity_model import load_model
from bench.generate import generate_inventory

SAMPLE_ANSWERS = Path(__file__).resolve().parent.parent / "sample" / "answers.yaml"


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


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

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        def plain_load() -> object:
            return yaml.load(path.read_text(), Loader=loader)

        def assess() -> object:
            inventory = load_inventory(path)
            answers = load_answers(SAMPLE_ANSWERS, model)
            result = run_assessment(inventory, model, answers)
            return json.dumps(result.as_json())

        baseline = best_of(arguments.repeat, plain_load)
        measured = best_of(arguments.repeat, assess)

    ratio = measured / baseline
    print(f"inventory: {arguments.apps} applications, {size / 1e6:.1f} MB")
    print(f"plain YAML load (baseline): {baseline:.3f} s")
    print(f"assessment:                 {measured:.3f} s")
    print(
        f"ratio to baseline:          {ratio:.2f}x (target under 3x: "
        f"{'met' if ratio < 3 else 'missed'})"
    )
    print(f"absolute (target under 2 s): {'met' if measured < 2 else 'missed'}")


if __name__ == "__main__":
    main()
