"""Who can reach each crown jewel, blast radius, and the evidence written."""

from __future__ import annotations

import datetime
from pathlib import Path

from assessment.atomic_file import write_atomic
from assessment.evidence import load_evidence_file
from assessment.inventory import load_inventory
from assessment.maturity_model import load_model
from assessment.reachability.exposure import (
    ExposureReport,
    analyse_exposure,
    exposure_evidence,
    transitive_rows,
)
from assessment.reachability.manifests import load_cluster
from tests.assessment.reachability.tables import NETPOL

EXPOSURE = NETPOL / "exposure"
WHEN = datetime.datetime(2027, 1, 4, tzinfo=datetime.UTC)


def _report(folder: str, port: int | None = None) -> ExposureReport:
    inventory = load_inventory(EXPOSURE / "inventory.yaml")
    return analyse_exposure(load_cluster([EXPOSURE / folder]), inventory, port)


def test_who_can_reach_each_crown_jewel() -> None:
    report = _report("open")
    ledger, hr = report.crown_jewels

    assert (ledger.app.id, ledger.ports) == ("ledger", "8443/TCP")
    assert ledger.endpoints == ["finance/ledger"]
    assert ledger.sources == ["engineering/ci", "reporting/reports"]
    assert ledger.undeclared == ["engineering/ci"]
    assert ledger.external == []
    assert ledger.isolated and not ledger.every_namespace
    assert ledger.default_deny_ingress and ledger.default_deny_egress

    assert hr.app.id == "hr"
    assert not hr.isolated
    assert hr.external == ["anywhere"]
    assert hr.sources == ["engineering/ci", "reporting/reports"]
    assert not hr.every_namespace  # finance's egress is closed


def test_a_port_given_overrides_each_apps_port() -> None:
    ledger = _report("open", port=5432).crown_jewels[0]

    assert ledger.ports == "5432/TCP"
    assert ledger.sources == []


def test_blast_radius_direct_and_transitive() -> None:
    radii = {r.endpoint: (r.direct, r.transitive) for r in _report("open").blast_radius}

    # hr/hr cannot reach the ledger itself, but reaches ci, which can.
    assert radii == {
        "engineering/ci": (3, 3),
        "reporting/reports": (3, 3),
        "hr/hr": (2, 3),
        "finance/ledger": (0, 0),
    }


def test_transitive_rows_follow_chains_and_cycles() -> None:
    # 0 -> 1 -> 2 -> 1, 3 alone.
    rows = [0b0010, 0b0100, 0b0010, 0b0000]

    assert transitive_rows(rows) == [0b0110, 0b0110, 0b0110, 0b0000]


def test_evidence_caps_segmentation_for_open_crown_jewels(tmp_path: Path) -> None:
    evidence = exposure_evidence(_report("open"), "test manifests", WHEN)
    path = tmp_path / "netpol.json"
    write_atomic(path, evidence.model_dump_json(indent=2))

    collected = load_evidence_file(path, load_model())

    assert collected.collector == "netpol"
    assert [(i.status, i.stage.id, i.resource) for i in collected.items] == [
        ("fail", "initial", "ledger"),
        ("fail", "traditional", "hr"),
    ]
    assert {i.function for i in collected.items} == {"networks/network-segmentation"}
    assert "engineering/ci" in collected.items[0].finding


def test_evidence_passes_when_every_crown_jewel_is_segmented() -> None:
    evidence = exposure_evidence(_report("segmented"), "test manifests", WHEN)

    assert [(i.status, i.stage, i.resource) for i in evidence.items] == [
        ("pass", "initial", "crown jewels"),
        ("pass", "advanced", "all apps"),
    ]


def test_a_crown_jewel_without_workloads_is_a_warning(tmp_path: Path) -> None:
    manifests = tmp_path / "only-ci.yaml"
    manifests.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ci, namespace: engineering}\n"
    )
    inventory = load_inventory(EXPOSURE / "inventory.yaml")

    report = analyse_exposure(load_cluster([manifests]), inventory)
    evidence = exposure_evidence(report, "one pod", WHEN)

    assert report.crown_jewels == []
    assert [w.check for w in evidence.warnings] == [
        "crown jewel ledger",
        "crown jewel hr",
    ]
    assert evidence.items == []
