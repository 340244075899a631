"""Setting the phase and wave in a Pulumi stack file, keeping everything else."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from assessment.atomic_file import write_atomic
from assessment.document import read_text
from assessment.errors import StackFileError

PROJECT = "ztkit"


def stack_path(stacks_dir: Path, stack: str) -> Path:
    """The file of ``stack`` in the project's stack directory."""
    return stacks_dir / f"Pulumi.{stack}.yaml"


def set_phase_and_wave(path: Path, phase: int, wave: list[str]) -> tuple[Any, Any]:
    """Write ``ztkit:phase`` and ``ztkit:wave`` into a stack file.

    Every other key, comment and the order of keys stay as they were. A stack
    file that does not exist yet is created with just these two keys.

    Returns:
        The previous phase and wave (``None`` where unset).

    Raises:
        StackFileError: when the file is not a Pulumi stack file.
    """
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    if path.exists():
        text = read_text(path, StackFileError)
        try:
            document = yaml.load(text)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise StackFileError(
                path,
                "malformed YAML",
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            ) from None
    else:
        document = None
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise StackFileError(path, "a stack file must be a mapping with a 'config' key")
    config = document.setdefault("config", CommentedMap())
    if config is None:
        config = document["config"] = CommentedMap()
    if not isinstance(config, CommentedMap):
        raise StackFileError(path, f"{config!r} is not a mapping", field="config")

    previous = (config.get(f"{PROJECT}:phase"), config.get(f"{PROJECT}:wave"))
    config[f"{PROJECT}:phase"] = phase
    new_wave = CommentedSeq(wave)
    new_wave.fa.set_flow_style() if len(wave) <= 3 else new_wave.fa.set_block_style()
    config[f"{PROJECT}:wave"] = new_wave

    stream = io.StringIO()
    yaml.dump(document, stream)
    write_atomic(path, stream.getvalue())
    return previous
