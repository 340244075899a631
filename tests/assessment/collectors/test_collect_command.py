"""``ztkit collect`` end to end: evidence files that ``ztkit assess`` uses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from assessment.collectors.evidence_output import build_evidence, write_evidence
from assessment.collectors.observations import Findings
from assessment.evidence import load_evidence_file
from assessment.maturity_model import load_model
from tests.conftest import DATA
from ztkit import cli

INVENTORY = DATA / "collectors" / "inventory.yaml"
MANIFESTS = DATA / "collectors" / "manifests"


@pytest.fixture
def aws_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A moto server on loopback, and an environment with only fake credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    for variable in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.delenv(variable, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def assess(evidence: Path, tmp_path: Path) -> dict[str, object]:
    report = tmp_path / "assessment.json"
    code = cli.main(
        [
            "assess",
            "--inventory",
            str(INVENTORY),
            "--evidence",
            str(evidence),
            "--format",
            "json",
            "--output",
            str(report),
        ]
    )
    assert code == 0
    result: dict[str, object] = json.loads(report.read_text())
    return result


def evidence_of(result: dict[str, object], function: str) -> list[dict[str, str]]:
    pillar_id, _, function_id = function.partition("/")
    sections = (
        result["pillars"] if pillar_id != "cross_cutting" else result["cross_cutting"]
    )
    assert isinstance(sections, list)
    for section in sections:
        for row in section["functions"]:
            if f"{pillar_id}/{row['id']}" == function or (
                pillar_id == "cross_cutting" and row["id"] == function_id
            ):
                return list(row["evidence"])
    raise AssertionError(function)


def test_collect_aws_against_a_moto_server_then_assess(
    aws_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=aws_endpoint)
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="correct horse battery")
    boto3.client(
        "s3", region_name="us-east-1", endpoint_url=aws_endpoint
    ).create_bucket(Bucket="unlabelled-exports")
    output = tmp_path / "evidence" / "aws.json"
    output.parent.mkdir()

    code = cli.main(
        [
            "collect",
            "aws",
            "--endpoint-url",
            aws_endpoint,
            "--region",
            "us-east-1",
            "eu-west-1",
            "--admin-port",
            "5432",
            "--output",
            str(output),
        ]
    )

    assert code == 0
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"wrote {output}: ")
    collected = load_evidence_file(output, load_model())
    assert collected.collector == "ztkit-aws"
    assert collected.scope == "aws account 123456789012, regions us-east-1, eu-west-1"
    assert collected.collected_at.tzinfo is not None

    result = assess(output, tmp_path)
    assert result["evidence_sources"] == [
        {
            "path": str(output),
            "collector": "ztkit-aws",
            "collected_at": collected.collected_at.isoformat(),
            "scope": collected.scope,
            "items": len(collected.items),
        }
    ]
    authentication = evidence_of(result, "identity/authentication")
    assert {
        "function": "identity/authentication",
        "status": "fail",
        "stage": "traditional",
        "resource": "IAM users alice",
        "finding": "console users signing in without MFA: alice (1 of 1)",
        "source": "ztkit-aws (aws.json)",
    } in authentication
    inventory_candidates = evidence_of(result, "data/data-inventory-management")
    assert any("unlabelled-exports" in item["finding"] for item in inventory_candidates)


def test_collect_kubernetes_from_manifests_then_assess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "kubernetes.json"

    code = cli.main(
        [
            "collect",
            "kubernetes",
            "--manifests",
            str(MANIFESTS / "insecure"),
            "--inventory",
            str(INVENTORY),
            "--output",
            str(output),
        ]
    )

    assert code == 0
    err = capsys.readouterr().err
    assert (
        "ztkit: not checked: oauth2-proxy-settings: Deployment ci/ci-oauth2-proxy"
        in err
    )
    result = assess(output, tmp_path)
    segmentation = evidence_of(result, "networks/network-segmentation")
    assert [
        e["resource"]
        for e in segmentation
        if e["source"].startswith("ztkit-kubernetes")
    ] == [
        "Namespace ci",
        "Namespace wiki",
    ]
    assert any(
        "ztkit-kubernetes: oauth2-proxy-settings not checked" in w
        for w in result["warnings"]
    )  # type: ignore[union-attr]


def test_a_malformed_manifest_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "collect",
            "kubernetes",
            "--manifests",
            str(MANIFESTS / "malformed" / "not-an-object.yaml"),
            "--inventory",
            str(INVENTORY),
            "--output",
            str(tmp_path / "out.json"),
        ]
    )

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("ztkit: error: ")
    assert "not-an-object.yaml document 2: expected a Kubernetes object" in err
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["aws", "--profile", "no-such-profile"],
            "--profile: 'no-such-profile' is not a profile",
        ),
        (
            ["kubernetes", "--manifests", "m", "--kubeconfig", "k"],
            "--kubeconfig: only used with --context",
        ),
        (
            ["kubernetes", "--context", "x", "--kubeconfig", "missing-kubeconfig"],
            "missing-kubeconfig: ",
        ),
    ],
)
def test_unusable_sessions_are_one_line_and_exit_2(
    arguments: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.chdir(tmp_path)

    code = cli.main(["collect", *arguments, "--output", str(tmp_path / "out.json")])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err


def test_an_unwritable_output_is_one_line(tmp_path: Path) -> None:
    evidence = build_evidence("ztkit-test", "nothing", Findings(), {})

    with pytest.raises(Exception, match=r"missing[/\\]out\.json: cannot write"):
        write_evidence(tmp_path / "missing" / "out.json", evidence)


def test_a_written_file_replaces_the_old_one_whole(tmp_path: Path) -> None:
    output = tmp_path / "evidence.json"
    output.write_text("old")
    findings = Findings()
    findings.observe("check", True, "thing", "fine\nreally")
    findings.gap("other", "denied")
    from assessment.collectors.observations import Rule
    from assessment.maturity_model import Stage

    rules = {
        "check": Rule("identity/authentication", Stage.INITIAL, Stage.TRADITIONAL, "")
    }
    write_evidence(output, build_evidence("ztkit-test", "a test", findings, rules))

    collected = load_evidence_file(output, load_model())
    assert [item.finding for item in collected.items] == ["fine really"]
    assert collected.warnings == ["ztkit-test: other not checked: denied"]
    assert list(tmp_path.iterdir()) == [output]
