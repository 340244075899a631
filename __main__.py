"""The Pulumi program: the stack's config and the inventory, joined."""

from __future__ import annotations

from pathlib import Path

from components.program import run

run(Path(__file__).resolve().parent)
