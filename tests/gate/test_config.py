"""Reading the gate's configuration file."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from gate.config import load_gate_config
from gate.errors import GateConfigError


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    path = tmp_path / "gate.yaml"
    path.write_text("")

    config = load_gate_config(path)

    assert config.posture.max_check_in_age == datetime.timedelta(hours=24)
    assert config.access.levels["restricted"]["managed_healthy"] == "full"


def test_settings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "gate.yaml"
    path.write_text(
        "posture:\n"
        "  min_os_version: {macos: '14.2'}\n"
        "  max_check_in_age: PT12H\n"
        "access:\n"
        "  office_network: {internal: {unknown: read_only}}\n"
    )

    config = load_gate_config(path)

    assert config.posture.min_os_version == {"macos": "14.2"}
    assert config.posture.max_check_in_age == datetime.timedelta(hours=12)
    assert config.access.office_network == {"internal": {"unknown": "read_only"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("posture: {min_os_version: {macos: fourteen}}\n", "posture.min_os_version"),
        ("access: {office_network: {secret: {unknown: full}}}\n", "'secret'"),
        ("posture: [\n", ":2:1: malformed YAML"),
        ("typo: 1\n", ":1:1: typo: unknown field"),
        ("apps:\n  - {id: hr, host: hr.example, classification: x}\n", ":2:"),
        ("trusted_peers: [10.0.0.0/33]\n", "'10.0.0.0/33' is not an address"),
    ],
)
def test_invalid_config_is_a_gate_config_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "gate.yaml"
    path.write_text(text)

    with pytest.raises(GateConfigError) as caught:
        load_gate_config(path)

    assert str(path) in str(caught.value)
    assert expected in str(caught.value)
