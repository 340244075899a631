"""The gate's configuration file: posture checks and the access policy."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from gate.conditional_access import AccessPolicy
from gate.errors import GateConfigError
from gate.posture import PostureConfig


class GateConfig(BaseModel):
    """Everything the gate decides with, apart from the device feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    posture: PostureConfig = PostureConfig()
    access: AccessPolicy = AccessPolicy()


def load_gate_config(path: Path) -> GateConfig:
    """Read the gate's YAML configuration; an empty file means all defaults.

    Raises:
        GateConfigError: The file is unreadable, not YAML or not a valid
            configuration; the message names the file, field and value.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise GateConfigError(
            f"{path}: cannot read the gate configuration: {error}"
        ) from None

    try:
        return GateConfig.model_validate(data or {})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise GateConfigError(
            f"{path}: {field}: {first['input']!r}: {first['msg']}"
        ) from None
