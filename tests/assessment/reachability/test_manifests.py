"""Reading manifests: files, folders, multi-document YAML, Lists, workloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessment.reachability.errors import ManifestError
from assessment.reachability.manifests import load_cluster
from assessment.reachability.objects import NAMESPACE_NAME_LABEL
from tests.assessment.reachability.tables import BASE, NETPOL


def test_a_folder_is_read_in_path_order_with_lists_and_documents() -> None:
    cluster = load_cluster([BASE])

    assert [endpoint.key for endpoint in cluster.endpoints] == [
        "x/a",
        "x/b",
        "y/a",
        "y/b",
    ]
    assert cluster.namespaces["x"].labels == {
        "team": "blue",
        "env": "prod",
        NAMESPACE_NAME_LABEL: "x",
    }
    assert cluster.namespaces["x"].declared


def test_namespaces_nobody_declares_exist_with_only_their_name_label() -> None:
    cluster = load_cluster([NETPOL / "ip-block"])

    assert cluster.namespaces["n"].labels == {NAMESPACE_NAME_LABEL: "n"}
    assert not cluster.namespaces["n"].declared


def test_workloads_take_template_labels_and_owned_objects_are_not_counted_twice() -> (
    None
):
    cluster = load_cluster([NETPOL / "workloads"])
    by_key = {endpoint.key: endpoint for endpoint in cluster.endpoints}

    assert sorted(by_key) == ["w/agent", "w/cron", "w/db", "w/job", "w/rs", "w/web"]
    assert by_key["w/web"].labels == {"app": "web"}
    assert by_key["w/web"].kind == "Deployment"
    assert by_key["w/cron"].labels == {"app": "cron"}
    assert [port.name for port in by_key["w/db"].ports] == ["pg"]
    assert cluster.warnings == [
        "1 NetworkPolicy (projectcalico.org/v3) object not evaluated"
    ]


def test_pod_ips_are_read_from_pod_ip_and_pod_ips() -> None:
    cluster = load_cluster([NETPOL / "ip-block"])
    hole = next(e for e in cluster.endpoints if e.name == "client-hole")

    assert [str(address) for address in hole.ips] == ["10.1.2.5", "fd00::5"]


def _write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_host_network_pods_are_left_out_with_a_warning(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: node-agent}\n"
        "spec: {hostNetwork: true, containers: [{name: c}]}\n",
    )

    cluster = load_cluster([path])

    assert cluster.endpoints == []
    assert cluster.warnings == ["1 host-network Pod object not evaluated"]


def test_documents_without_a_kind_are_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, "replicas: 3\n---\n---\nkind: ConfigMap\n")

    assert load_cluster([path]).endpoints == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a: [1\n", "m.yaml:2:1: malformed YAML"),
        ("- 1\n- 2\n", "m.yaml:1:1: [1, 2] is not a Kubernetes object"),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n",
            "m.yaml:3:11: metadata.name: Pod needs a name, found None",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {v: 1}}\n",
            "metadata.labels.v: label value 1 is not text",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
            "spec: {containers: [{name: c, ports: [{containerPort: 0}]}]}\n",
            "spec.containers[0].ports[0].containerPort: 0 is not a port number",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {podIP: ten}\n",
            "m.yaml:4:17: status.podIP: 'ten' is not an IP address (Pod default/p)",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n---\n"
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
            "m.yaml:7:18: metadata.name: 'default/web' is already the Pod in",
        ),
        (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata: {name: p}\n---\n"
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata: {name: p}\n",
            "NetworkPolicy 'default/p' is declared twice",
        ),
    ],
)
def test_malformed_manifests_are_named_by_file_and_field(
    tmp_path: Path, text: str, says: str
) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(ManifestError) as caught:
        load_cluster([path])

    assert says in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_a_missing_path_and_an_empty_folder_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="file not found"):
        load_cluster([tmp_path / "nothing.yaml"])
    with pytest.raises(ManifestError, match=r"no \.yaml, \.yml, \.json files"):
        load_cluster([tmp_path])
