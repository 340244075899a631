"""The ``ztkit`` command line."""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assessment.errors import AssessmentError, InputError

if TYPE_CHECKING:
    from assessment.assess import Assessment

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "sample"
STACKS_DIR = PROJECT_ROOT / "stacks"
EXIT_BAD_INPUT = 2
COMMAND_MODULES: tuple[str, ...] = (
    "ztkit.collect_command",
    "ztkit.plan_command",
    "ztkit.tui_command",
    "ztkit.diff_command",
    "ztkit.netpol_command",
    "ztkit.gate_command",
)
"""Modules that add commands: each has ``add_parser(commands)``, which sets the
parser's ``run`` default to a function taking the parsed arguments and
returning the exit code."""


class UsageError(AssessmentError):
    """The command line asks for something impossible."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every ``ztkit`` command."""
    parser = argparse.ArgumentParser(
        prog="ztkit",
        description="Phased Zero Trust rollout for internal apps: assess maturity, "
        "pick the next phase, report.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    assess = commands.add_parser(
        "assess",
        help="score the organisation and recommend the next phase",
        description="Score the organisation on the CISA Zero Trust Maturity Model v2 "
        "and recommend the next rollout phase and its wave.",
    )
    _add_inputs(assess)
    assess.set_defaults(run=_run_assess)
    assess.add_argument(
        "--format",
        choices=("text", "json", "markdown", "html"),
        default="text",
        help="output format (default: text)",
    )
    assess.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE instead of standard output",
    )
    assess.add_argument(
        "--save", action="store_true", help="append this assessment to the history"
    )
    assess.add_argument(
        "--write-stack",
        metavar="NAME",
        help="set ztkit:phase and ztkit:wave in stacks/Pulumi.NAME.yaml",
    )
    assess.add_argument(
        "--stacks-dir",
        type=Path,
        default=STACKS_DIR,
        metavar="DIR",
        help="where the stack files live (default: the project's stacks/)",
    )

    report = commands.add_parser(
        "report",
        help="write the leadership report as one HTML file",
        description="Write a self-contained HTML report: maturity by pillar, risk "
        "ranking, next phase, trend and rollout cost.",
    )
    _add_inputs(report)
    report.set_defaults(run=_run_report)
    report.add_argument(
        "--output",
        type=Path,
        default=Path("ztkit-report.html"),
        metavar="FILE",
        help="where to write it (default: ztkit-report.html)",
    )

    inventory = commands.add_parser("inventory", help="work with inventory files")
    inventory_commands = inventory.add_subparsers(
        dest="inventory_command", metavar="ACTION", required=True
    )
    validate = inventory_commands.add_parser(
        "validate", help="check an inventory file and exit 0 (valid) or 2 (not)"
    )
    validate.set_defaults(run=_run_validate)
    validate.add_argument(
        "path",
        type=Path,
        nargs="?",
        default=SAMPLE_DIR / "inventory.yaml",
        metavar="PATH",
    )

    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(commands)
    return parser


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inventory",
        type=Path,
        default=SAMPLE_DIR / "inventory.yaml",
        metavar="PATH",
        help="the inventory (default: the bundled sample)",
    )
    parser.add_argument(
        "--answers",
        type=Path,
        metavar="PATH",
        help="the answers (default: answers.yaml beside the inventory, if present)",
    )
    parser.add_argument(
        "--evidence",
        type=Path,
        nargs="+",
        metavar="PATH",
        help="evidence files (default: evidence/*.json beside the inventory)",
    )
    parser.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help="the saved assessments (default: history.json beside the inventory)",
    )


def _assess(arguments: argparse.Namespace) -> Assessment:
    from assessment.answers import Answers, load_answers
    from assessment.assess import run_assessment
    from assessment.evidence import CollectedEvidence, load_evidence_file
    from assessment.inventory import load_inventory
    from assessment.maturity_model import load_model

    model = load_model()
    inventory = load_inventory(arguments.inventory)
    folder = arguments.inventory.parent

    answers_path = arguments.answers
    if answers_path is None and (folder / "answers.yaml").exists():
        answers_path = folder / "answers.yaml"
    answers = load_answers(answers_path, model) if answers_path else Answers()

    evidence_paths = arguments.evidence
    if evidence_paths is None:
        evidence_paths = sorted((folder / "evidence").glob("*.json"))
    evidence: list[CollectedEvidence] = [
        load_evidence_file(p, model) for p in evidence_paths
    ]
    return run_assessment(inventory, model, answers, evidence)


def _history_path(arguments: argparse.Namespace) -> Path:
    if arguments.history is not None:
        return Path(arguments.history)
    return Path(arguments.inventory).parent / "history.json"


def _write(output: Path | None, text: str) -> None:
    from assessment.atomic_file import write_atomic

    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text)
    except OSError as exc:
        raise InputError(output, f"cannot write: {exc.strerror or exc}") from None
    print(f"wrote {output}", file=sys.stderr)


def _run_assess(arguments: argparse.Namespace) -> int:
    from assessment.gc_pause import collector_paused
    from assessment.history import append, load_history, summary
    from assessment.report_text import render_json, render_markdown, render_text

    # A short-lived command over up to a million objects that hold no
    # reference cycles: the cyclic collector would only slow it down.
    with collector_paused():
        result = _assess(arguments).as_json()
        if arguments.format == "json":
            text = render_json(result)
        elif arguments.format == "markdown":
            text = render_markdown(result)
        elif arguments.format == "html":
            from assessment.report_html import render_html

            text = render_html(result, load_history(_history_path(arguments)))
        else:
            text = render_text(result)
    _write(arguments.output, text)

    if arguments.save:
        path = _history_path(arguments)
        entry = summary(result, datetime.datetime.now(datetime.UTC))
        count = append(path, entry)
        print(f"saved to {path} ({count} assessments)", file=sys.stderr)

    if arguments.write_stack:
        _write_stack(arguments.stacks_dir, arguments.write_stack, result["next_phase"])
    return 0


def _write_stack(stacks_dir: Path, stack: str, recommended: dict[str, object]) -> None:
    from assessment.stack_file import set_phase_and_wave, stack_path

    if not stack or "/" in stack or stack.startswith("."):
        raise UsageError(f"--write-stack: {stack!r} is not a stack name")
    path = stack_path(stacks_dir, stack)
    phase, wave = recommended["phase"], recommended["wave"]
    assert isinstance(phase, int) and isinstance(wave, list)
    old_phase, old_wave = set_phase_and_wave(path, phase, wave)
    print(
        f"{path}: ztkit:phase {old_phase} -> {phase}; ztkit:wave {old_wave} -> {wave}",
        file=sys.stderr,
    )


def _run_report(arguments: argparse.Namespace) -> int:
    from assessment.history import load_history
    from assessment.report_html import render_html

    assessment = _assess(arguments)
    history = load_history(_history_path(arguments))
    _write(arguments.output, render_html(assessment.as_json(), history))
    return 0


def _run_validate(arguments: argparse.Namespace) -> int:
    from assessment.inventory import load_inventory

    inventory = load_inventory(arguments.path)
    print(
        f"{arguments.path}: valid: {len(inventory.applications)} applications, "
        f"{len(inventory.data_stores)} data stores, {len(inventory.groups)} groups"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ztkit`` and return its exit code."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        run: Callable[[argparse.Namespace], int] | None = getattr(
            arguments, "run", None
        )
        if run is None:
            from ztkit.tui_command import run_default

            return run_default()
        return run(arguments)
    except AssessmentError as exc:
        print(f"ztkit: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("ZTKIT_DEBUG"):
            raise
        print(
            f"ztkit: internal error: {type(exc).__name__}: {exc} "
            "(run with ZTKIT_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


def entry_point() -> None:
    """The console script."""
    sys.exit(main())
