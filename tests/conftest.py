"""Shared fixtures: paths to the bundled sample and the test data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "sample"


@pytest.fixture
def small_inventory() -> Path:
    """The five-app inventory in tests/data."""
    return DATA / "small-inventory.yaml"


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled sample organisation's folder."""
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE, target)
    return target
