"""Where the workbench finds an organisation's files.

The conventions are those of ``ztkit assess``: answers, history and evidence
sit beside the inventory unless given explicitly. This module imports nothing
heavy, so the first screen can name the files before any of them is read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STACKS_DIR = PROJECT_ROOT / "stacks"


@dataclass(frozen=True)
class WorkspacePaths:
    """The files of one organisation, as the workbench reads and writes them."""

    inventory: Path
    answers: Path
    """Created by the first answer saved, when it does not exist yet."""
    history: Path
    stacks_dir: Path
    evidence: tuple[Path, ...] | None = None
    """``None``: every ``evidence/*.json`` beside the inventory, found at load time."""

    @classmethod
    def beside(
        cls,
        inventory: Path,
        answers: Path | None = None,
        evidence: Sequence[Path] | None = None,
        history: Path | None = None,
        stacks_dir: Path | None = None,
    ) -> WorkspacePaths:
        """Paths for ``inventory``, filling in what is not given from its folder."""
        folder = inventory.parent
        return cls(
            inventory=inventory,
            answers=answers or folder / "answers.yaml",
            history=history or folder / "history.json",
            stacks_dir=stacks_dir or DEFAULT_STACKS_DIR,
            evidence=tuple(evidence) if evidence is not None else None,
        )

    def evidence_files(self) -> list[Path]:
        """The evidence files to read."""
        if self.evidence is not None:
            return list(self.evidence)
        return sorted((self.inventory.parent / "evidence").glob("*.json"))


def display_path(path: Path) -> str:
    """``path`` as short as it can be said: relative to the working folder if inside."""
    try:
        return str(path.resolve().relative_to(Path(os.getcwd()).resolve()))
    except (ValueError, OSError):
        return str(path)
