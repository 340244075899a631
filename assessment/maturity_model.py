"""The CISA Zero Trust Maturity Model v2: stages, pillars and their functions."""

from __future__ import annotations

import enum
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assessment.document import Document
from assessment.errors import AssessmentError

MODEL_FILE = Path(__file__).parent / "data" / "ztmm-v2.yaml"
CROSS_CUTTING = "cross_cutting"
"""The key under which the model-wide capabilities sit, in answers and results."""


class Stage(enum.IntEnum):
    """A maturity stage; its value is the score a function at that stage earns."""

    TRADITIONAL = 1
    INITIAL = 2
    ADVANCED = 3
    OPTIMAL = 4

    @property
    def id(self) -> str:
        """The lower-case name used in files: ``traditional`` ... ``optimal``."""
        return self.name.lower()

    @property
    def label(self) -> str:
        """The name shown to people: ``Traditional`` ... ``Optimal``."""
        return self.name.capitalize()

    @classmethod
    def from_id(cls, value: str) -> Stage:
        """The stage named ``value`` (``"initial"`` gives ``Stage.INITIAL``)."""
        return cls[value.upper()]

    @classmethod
    def from_score(cls, score: float) -> Stage:
        """The stage a score has fully reached: 2.9 is still Initial."""
        return cls(max(1, min(4, int(score + 1e-9))))


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageDescriptions(_Frozen):
    """What an organisation at each stage does, for one function."""

    traditional: str
    initial: str
    advanced: str
    optimal: str

    def of(self, stage: Stage) -> str:
        """The description of ``stage``."""
        text: str = getattr(self, stage.id)
        return text


class Function(_Frozen):
    """One row of a pillar's table: a function or a pillar-level capability."""

    id: str
    name: str
    number: str
    kind: Literal["function", "cross_cutting"]
    v2_change: str | None = None
    stages: StageDescriptions


class Pillar(_Frozen):
    """One of the five pillars."""

    id: str
    name: str
    cisa_section: str
    cisa_table: str
    functions: list[Function]


class Capability(_Frozen):
    """A model-wide cross-cutting capability."""

    id: str
    name: str
    stages: StageDescriptions


class StageSummary(_Frozen):
    """The general meaning of a stage across the model."""

    id: str
    name: str
    summary: str


class MaturityModel(_Frozen):
    """The whole model as bundled with ztkit."""

    model: str
    version: str
    stages: list[StageSummary]
    pillars: list[Pillar]
    cross_cutting: list[Capability]

    def function_keys(self) -> list[str]:
        """Every answerable key, ``pillar/function``, in the model's order."""
        keys = [f"{p.id}/{f.id}" for p in self.pillars for f in p.functions]
        keys += [f"{CROSS_CUTTING}/{c.id}" for c in self.cross_cutting]
        return keys

    def pillar(self, pillar_id: str) -> Pillar:
        """The pillar with id ``pillar_id``."""
        for pillar in self.pillars:
            if pillar.id == pillar_id:
                return pillar
        raise KeyError(pillar_id)

    def name_of(self, key: str) -> str:
        """The display name of a ``pillar/function`` key."""
        section, _, function_id = key.partition("/")
        if section == CROSS_CUTTING:
            rows: list[Function] | list[Capability] = self.cross_cutting
            prefix = "Cross-cutting"
        else:
            pillar = self.pillar(section)
            rows, prefix = pillar.functions, pillar.name
        for row in rows:
            if row.id == function_id:
                return f"{prefix}: {row.name}"
        raise KeyError(key)


class ModelFileError(AssessmentError):
    """The bundled maturity model file is damaged; a packaging fault."""


@cache
def load_model(path: Path = MODEL_FILE) -> MaturityModel:
    """Load the bundled maturity model (cached; the file never changes at run time)."""
    from assessment.errors import InputError

    try:
        document = Document.read(path, InputError)
        return document.validate(MaturityModel)
    except InputError as exc:
        raise ModelFileError(f"bundled maturity model is damaged: {exc}") from None
