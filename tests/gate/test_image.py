"""The gate's image installs only gate/image-requirements.txt beside ztkit.

No container runtime runs here, so the test repeats the Dockerfile's install
steps in a fresh virtual environment and starts the gate from it: if the gate
imported anything outside that list, it would fail to start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.gate.gate_harness import free_port

DOCKERFILE = ROOT / "gate" / "Dockerfile"
REQUIREMENTS = ROOT / "gate" / "image-requirements.txt"


def _uv() -> str:
    found = shutil.which("uv")
    assert found, "uv runs the tests, so it is on PATH"
    return found


def test_the_dockerfile_installs_the_listed_requirements_as_an_unprivileged_user() -> (
    None
):
    text = DOCKERFILE.read_text()
    assert "--requirement gate/image-requirements.txt" in text
    assert "--constraint /tmp/constraints.txt" in text
    assert "USER 65532:65532" in text
    assert '"-m", "gate"' in text


def test_the_gate_starts_with_only_its_image_requirements(tmp_path: Path) -> None:
    uv = _uv()
    venv = tmp_path / "venv"
    constraints = tmp_path / "constraints.txt"
    python = venv / "bin" / "python"

    def run(*command: str | Path, **environment: str) -> None:
        subprocess.run(
            [str(part) for part in command],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, **environment},
        )

    run(
        uv,
        "export",
        "--frozen",
        "--no-dev",
        "--no-hashes",
        "--no-emit-project",
        "--format",
        "requirements-txt",
        "--output-file",
        constraints,
    )
    run(uv, "venv", "--python", sys.executable, venv)
    run(
        uv,
        "pip",
        "install",
        "--constraint",
        constraints,
        "--requirement",
        REQUIREMENTS,
        VIRTUAL_ENV=str(venv),
    )
    run(uv, "pip", "install", "--no-deps", ".", VIRTUAL_ENV=str(venv))

    config = tmp_path / "gate.yaml"
    config.write_text("apps: []\n")
    port = free_port()
    log = tmp_path / "gate.log"
    with log.open("wb") as stderr:
        gate = subprocess.Popen(
            [python, "-m", "gate", "serve", "--config", config, "--port", str(port)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        status = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and gate.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/readyz"
                ) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.1)
        assert gate.poll() is None, log.read_text()
        assert status == 200
        # Nothing the rest of ztkit needs came along.
        listing = (
            subprocess.run(
                [uv, "pip", "list", "--python", str(python)],
                capture_output=True,
                text=True,
            )
            .stdout.lower()
            .split()
        )
        assert "aiohttp" in listing
        for heavy in ("pulumi", "boto3", "kubernetes", "textual"):
            assert heavy not in listing
    finally:
        gate.terminate()
        gate.wait(10)
