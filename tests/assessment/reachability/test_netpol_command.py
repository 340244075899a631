"""``ztkit netpol``: matrix, diff and exposure from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.assessment.reachability.tables import BASE, NETPOL
from ztkit.cli import main

POLICIES = NETPOL / "policies"


def test_matrix_json_lists_every_destination_of_every_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "netpol",
            "matrix",
            str(BASE),
            str(POLICIES / "deny-ingress-x.yaml"),
            "--port",
            "80",
            "--format",
            "json",
        ]
    )

    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "x/a": {"x/a": True, "x/b": False, "y/a": True, "y/b": True},
        "x/b": {"x/a": False, "x/b": True, "y/a": True, "y/b": True},
        "y/a": {"x/a": False, "x/b": False, "y/a": True, "y/b": True},
        "y/b": {"x/a": False, "x/b": False, "y/a": True, "y/b": True},
    }


def test_matrix_text_is_a_grid(capsys: pytest.CaptureFixture[str]) -> None:
    deny = str(POLICIES / "deny-ingress-x.yaml")

    main(["netpol", "matrix", str(BASE), deny, "--port", "80"])

    assert capsys.readouterr().out.splitlines() == [
        "reachability on 80/TCP: 4 pods and workloads, 6 of 12 connections allowed "
        "(a pod always reaches itself; not counted)",
        "",
        "    1 2 3 4",
        "1   = . x x   x/a",
        "2   . = x x   x/b",
        "3   . . = x   y/a",
        "4   . . x =   y/b",
        "",
        "x: the row may reach the column; .: it may not; =: itself",
    ]


def test_diff_text_says_in_one_line_what_opens(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = NETPOL / "diff" / "old", NETPOL / "diff" / "new"

    assert main(["netpol", "diff", str(old), str(new)]) == 0

    assert capsys.readouterr().out.splitlines() == [
        f"netpol diff {old} -> {new}: 1 connection opened, 1 connection closed "
        "(5 port classes examined)",
        "opened: engineering -> finance: 1 connection on 5432/TCP",
        "  engineering/ci -> finance/ledger: 5432/TCP",
        "closed: finance -> finance: 1 connection on 8080/TCP",
        "  finance/reports -> finance/ledger: 8080/TCP",
    ]


def test_exposure_writes_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "evidence" / "netpol.json"
    output.parent.mkdir()

    code = main(
        [
            "netpol",
            "exposure",
            str(NETPOL / "exposure" / "open"),
            "--inventory",
            str(NETPOL / "exposure" / "inventory.yaml"),
            "--format",
            "json",
            "--evidence-output",
            str(output),
        ]
    )

    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)
    assert [jewel["app"] for jewel in report["crown_jewels"]] == ["ledger", "hr"]
    assert report["crown_jewels"][0]["undeclared_sources"] == ["engineering/ci"]
    assert "2 items (2 failing)" in captured.err
    assert json.loads(output.read_text())["collector"] == "netpol"


def test_an_invalid_policy_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = NETPOL / "invalid" / "end-port-below-port.yaml"

    code = main(["netpol", "matrix", str(path), "--port", "80"])

    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1
    assert error.startswith(f"ztkit: error: {path}:8:")
    assert "spec.ingress[0].ports[0].endPort" in error


def test_the_command_offers_the_protocols_the_analyzer_knows() -> None:
    from assessment.reachability.policy import PROTOCOLS
    from ztkit.netpol_command import PROTOCOLS as OFFERED

    assert OFFERED == PROTOCOLS
