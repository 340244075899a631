"""The Kubernetes collector over ztkit's own rendered plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessment.collectors.kubernetes import collect_kubernetes
from assessment.collectors.kubernetes_manifests import read_manifests
from assessment.inventory import load_inventory
from tests.conftest import SAMPLE
from ztkit.cli import main


@pytest.mark.parametrize("phase", [3, 4])
def test_a_segmented_plan_passes_the_proxy_segmentation_and_pod_checks(
    tmp_path: Path, phase: int
) -> None:
    out = tmp_path / "plan"
    assert main(["plan", "--phase", str(phase), "--out", str(out)]) == 0
    assert (out / "plan.json").exists()

    evidence = collect_kubernetes(
        read_manifests([out]), load_inventory(SAMPLE / "inventory.yaml")
    )

    results = {(item.function, item.status) for item in evidence.items}
    assert ("applications-workloads/application-access", "pass") in results
    assert ("applications-workloads/application-access", "fail") not in results
    assert ("networks/network-segmentation", "pass") in results
    assert ("applications-workloads/application-threat-protections", "pass") in results
