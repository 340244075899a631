"""``ztkit diff`` on NetworkPolicies: the connections a change opens and closes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import SAMPLE
from ztkit.cli import main

OPENING = [
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "ledger-to-ci", "namespace": "general-ledger"},
        "spec": {
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": "general-ledger"}
            },
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "ci"}
                            }
                        }
                    ],
                    "ports": [{"port": 8080}],
                }
            ],
        },
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "from-ledger", "namespace": "ci"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ci"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {
                                    "kubernetes.io/metadata.name": "general-ledger"
                                }
                            }
                        }
                    ],
                    "ports": [{"port": 8080}],
                }
            ],
        },
    },
]


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stack at phase 3, rendered once."""
    out = tmp_path_factory.mktemp("plans") / "phase-3"
    assert main(["plan", "--phase", "3", "--out", str(out), "--format", "json"]) == 0
    return out


def _opened_copy(segmented: Path, tmp_path: Path) -> Path:
    new = tmp_path / "new"
    shutil.copytree(segmented, new)
    (new / "general-ledger" / "NetworkPolicy-ledger-to-ci.yaml").write_text(
        yaml.safe_dump_all(OPENING, sort_keys=False)
    )
    return new


def test_opening_finance_to_engineering_says_so_in_one_line(
    segmented: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _opened_copy(segmented, tmp_path)
    capsys.readouterr()

    assert main(["diff", str(segmented), str(new), "--format", "markdown"]) == 0

    comment = capsys.readouterr().out
    assert "**1 opened · 0 closed**" in comment
    assert "> - `general-ledger/general-ledger -> ci/ci on 8080/TCP`" in comment


def test_json_lists_the_opened_connection(
    segmented: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _opened_copy(segmented, tmp_path)
    capsys.readouterr()

    main(["diff", str(segmented), str(new), "--format", "json"])

    connections = json.loads(capsys.readouterr().out)["connections"]
    assert connections == {
        "opened": [
            {
                "from": "general-ledger/general-ledger",
                "to": "ci/ci",
                "port": 8080,
                "protocol": "TCP",
            }
        ],
        "closed": [],
    }


def test_segmenting_closes_undeclared_paths_and_names_the_entry_to_declare(
    segmented: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tmp_path / "phase-2"
    assert main(["plan", "--phase", "2", "--out", str(before)]) == 0
    capsys.readouterr()

    main(["diff", str(before), str(segmented)])

    output = capsys.readouterr().out
    line = next(
        line for line in output.splitlines() if "closes crm/crm -> hris/hris " in line
    )
    assert (
        "declare it in applications[" in line and "{target: hris, port: 8443}" in line
    )
    assert "OPENS" not in output


def test_exposure_of_a_plan_with_stand_ins_shows_the_unsegmented_crown_jewel(
    segmented: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()

    main(
        [
            "netpol",
            "exposure",
            str(segmented),
            "--inventory",
            str(SAMPLE / "inventory.yaml"),
            "--stand-ins",
            "--format",
            "json",
        ]
    )

    report = json.loads(capsys.readouterr().out)
    jewels = {jewel["app"]: jewel for jewel in report["crown_jewels"]}
    assert jewels["payroll"]["undeclared_sources"]
    assert jewels["hris"]["undeclared_sources"] == []
