"""``ztkit tui``: the security lead's workbench; also what plain ``ztkit`` opens.

Textual is imported only when the workbench is opened, so other commands do
not pay for it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_INVENTORY = PROJECT_ROOT / "sample" / "inventory.yaml"
STACKS_DIR = PROJECT_ROOT / "stacks"


def add_parser(commands: Any) -> None:
    """Add ``ztkit tui``."""
    from ztkit.cli import _add_inputs

    tui = commands.add_parser(
        "tui",
        help="open the workbench: answer the questionnaire, see evidence and risk, "
        "pick the next phase",
        description="Open the security lead's workbench in the terminal. With no "
        "options it opens the bundled sample organisation.",
    )
    _add_inputs(tui)
    tui.add_argument(
        "--stacks-dir",
        type=Path,
        default=STACKS_DIR,
        metavar="DIR",
        help="where the stack files live (default: the project's stacks/)",
    )
    tui.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    """Open the workbench on the files named on the command line."""
    from tui.app import build_app

    app = build_app(
        arguments.inventory,
        arguments.answers,
        evidence_paths=arguments.evidence,
        history_path=arguments.history,
        stacks_dir=arguments.stacks_dir,
    )
    app.run()
    return app.return_code or 0


def run_default() -> int:
    """Open the workbench on the bundled sample organisation."""
    from tui.app import build_app

    app = build_app(SAMPLE_INVENTORY, stacks_dir=STACKS_DIR)
    app.run()
    return app.return_code or 0
