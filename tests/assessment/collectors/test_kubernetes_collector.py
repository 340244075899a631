"""The Kubernetes collector on small manifest sets, check by check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assessment.collectors.errors import ManifestError
from assessment.collectors.kubernetes import (
    KUBERNETES_RULES,
    collect_kubernetes,
    default_deny_directions,
)
from assessment.collectors.kubernetes_manifests import read_manifests
from assessment.collectors.kubernetes_objects import KubeObject, Snapshot
from assessment.evidence import EvidenceFile
from assessment.inventory import Inventory, load_inventory
from assessment.maturity_model import load_model
from tests.conftest import DATA

MANIFESTS = DATA / "collectors" / "manifests"
HARDENED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(DATA / "collectors" / "inventory.yaml")


def by_function(evidence: EvidenceFile, function: str) -> list[tuple[str, str, str]]:
    return [
        (item.status, item.stage, item.resource)
        for item in evidence.items
        if item.function == function
    ]


def obj(kind: str, name: str, namespace: str = "apps", **body: Any) -> KubeObject:
    api = {"Deployment": "apps/v1", "NetworkPolicy": "networking.k8s.io/v1"}.get(
        kind, "v1"
    )
    metadata = {"name": name, "namespace": namespace, **body.pop("metadata", {})}
    return KubeObject(
        {"apiVersion": api, "kind": kind, "metadata": metadata, **body}, "test"
    )


def deployment(
    name: str, labels: dict[str, str], namespace: str = "apps", **container: Any
) -> KubeObject:
    spec = {
        "name": name,
        "image": f"registry.example.org/{name}:1",
        "securityContext": HARDENED,
    }
    return obj(
        "Deployment",
        name,
        namespace,
        spec={
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{**spec, **container}]},
            }
        },
    )


def collect(*objects: KubeObject, inventory: Inventory | None = None) -> EvidenceFile:
    return collect_kubernetes(Snapshot(list(objects), "test objects"), inventory)


# --- the two manifest sets --------------------------------------------------


def test_a_hardened_namespace_passes_every_check(inventory: Inventory) -> None:
    evidence = collect_kubernetes(read_manifests([MANIFESTS / "secure"]), inventory)

    assert [(i.function, i.status, i.stage) for i in evidence.items] == [
        ("networks/network-segmentation", "pass", "initial"),
        ("applications-workloads/application-access", "pass", "initial"),
        ("applications-workloads/application-threat-protections", "pass", "initial"),
        ("applications-workloads/application-access", "pass", "initial"),
        ("applications-workloads/governance", "pass", "traditional"),
    ]
    assert evidence.warnings == []
    assert evidence.scope == f"manifests {MANIFESTS / 'secure'}"


def test_an_exposed_set_fails_every_check(inventory: Inventory) -> None:
    evidence = collect_kubernetes(read_manifests([MANIFESTS / "insecure"]), inventory)

    assert by_function(evidence, "networks/network-segmentation") == [
        ("fail", "traditional", "Namespace ci"),
        ("fail", "traditional", "Namespace wiki"),
    ]
    assert by_function(evidence, "applications-workloads/application-access") == [
        ("fail", "traditional", "Service wiki/wiki"),
        ("fail", "traditional", "Deployment ci/ci-oauth2-proxy container proxy"),
    ]
    assert by_function(
        evidence, "applications-workloads/application-threat-protections"
    ) == [
        ("fail", "traditional", "Deployment ci/ci-oauth2-proxy"),
        ("fail", "traditional", "CronJob ci/cleanup"),
        ("fail", "traditional", "Deployment wiki/wiki"),
    ]
    assert by_function(evidence, "applications-workloads/governance") == [
        ("fail", "initial", "inventory app payroll"),
    ]
    assert [w.model_dump() for w in evidence.warnings] == [
        {
            "check": "oauth2-proxy-settings",
            "reason": "Deployment ci/ci-oauth2-proxy container proxy: settings in "
            "--config /etc/oauth2-proxy/oauth2-proxy.cfg were not read",
        }
    ]


def test_findings_explain_themselves(inventory: Inventory) -> None:
    evidence = collect_kubernetes(read_manifests([MANIFESTS / "insecure"]), inventory)
    findings = {item.resource: item.finding for item in evidence.items}

    assert findings["Namespace wiki"].startswith(
        "namespace wiki has no default-deny NetworkPolicy for egress"
    )
    assert findings["Service wiki/wiki"] == (
        "Service wiki/wiki selects the pods of Deployment wiki/wiki, and namespace "
        "wiki has no oauth2-proxy and no route with external auth, so requests "
        "reach the app without passing an access proxy"
    )
    assert findings["Deployment wiki/wiki"].startswith(
        "Deployment wiki/wiki breaks the restricted Pod Security Standard: "
        "hostNetwork: true, volume data: hostPath, container wiki: privileged"
    )
    proxy = findings["Deployment ci/ci-oauth2-proxy container proxy"]
    for problem in (
        "--reverse-proxy without --trusted-proxy-ip",
        "--email-domain=*",
        "--cookie-secure=false",
        "--skip-auth-regex=.*",
        "--whitelist-domain=.example.org",
        "--ssl-insecure-skip-verify",
    ):
        assert problem in proxy


# --- default deny -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "denied"),
    [
        (
            {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            {"ingress", "egress"},
        ),
        ({"podSelector": {}}, {"ingress"}),
        ({"podSelector": {}, "policyTypes": ["Egress"]}, {"egress"}),
        ({"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]}, {"ingress"}),
        (
            {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
            set(),
        ),
        (
            {
                "podSelector": {"matchLabels": {"app": "x"}},
                "policyTypes": ["Ingress", "Egress"],
            },
            set(),
        ),
    ],
    ids=[
        "both",
        "inferred-ingress",
        "egress",
        "egress-rules-infer-egress-allowed",
        "allow-all-ingress",
        "selects-some-pods",
    ],
)
def test_default_deny_needs_every_pod_selected_and_nothing_allowed(
    spec: dict[str, Any], denied: set[str]
) -> None:
    assert default_deny_directions(obj("NetworkPolicy", "p", spec=spec)) == denied


def test_an_empty_default_namespace_and_system_namespaces_are_left_alone() -> None:
    evidence = collect(
        KubeObject(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
            "t",
        ),
        deployment(
            "coredns",
            {"k8s-app": "kube-dns"},
            namespace="kube-system",
            securityContext={},
        ),
    )

    assert by_function(evidence, "networks/network-segmentation") == []
    assert evidence.items == []


# --- access proxy -----------------------------------------------------------


def app_and_service(namespace: str) -> list[KubeObject]:
    return [
        deployment("shop", {"app": "shop"}, namespace),
        obj("Service", "shop", namespace, spec={"selector": {"app": "shop"}}),
    ]


def test_an_external_auth_route_counts_as_an_access_proxy() -> None:
    security_policy = KubeObject(
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "SecurityPolicy",
            "metadata": {"name": "shop-auth", "namespace": "envoy"},
            "spec": {
                "extAuth": {"http": {"backendRefs": [{"name": "shop-oauth2-proxy"}]}}
            },
        },
        "test",
    )
    ingress = obj(
        "Ingress",
        "shop",
        "nginx",
        metadata={
            "annotations": {
                "nginx.ingress.kubernetes.io/auth-url": "https://auth/oauth2/auth"
            }
        },
    )

    evidence = collect(
        *app_and_service("envoy"), security_policy, *app_and_service("nginx"), ingress
    )

    assert by_function(evidence, "applications-workloads/application-access") == [
        ("pass", "initial", "app Services"),
    ]


def test_the_namespace_of_an_external_auth_service_counts_as_access_control() -> None:
    security_policy = KubeObject(
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "SecurityPolicy",
            "metadata": {"name": "shop-auth", "namespace": "shop"},
            "spec": {
                "extAuth": {
                    "http": {
                        "backendRefs": [
                            {"name": "gate", "namespace": "gate", "port": 8080}
                        ]
                    }
                }
            },
        },
        "test",
    )
    ingress = obj(
        "Ingress",
        "shop",
        "nginx",
        metadata={
            "annotations": {
                "nginx.ingress.kubernetes.io/auth-url": (
                    "http://checker.nginx-gate.svc.cluster.local:8080/auth"
                )
            }
        },
    )

    passing = collect(
        *app_and_service("gate"),
        security_policy,
        *app_and_service("nginx-gate"),
        ingress,
    )
    failing = collect(*app_and_service("gate"), *app_and_service("nginx-gate"))

    assert by_function(passing, "applications-workloads/application-access") == [
        ("pass", "initial", "app Services"),
    ]
    assert len(by_function(failing, "applications-workloads/application-access")) == 2


def test_a_gateway_policy_alone_does_not_put_its_namespace_under_judgement() -> None:
    client_policy = KubeObject(
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "ClientTrafficPolicy",
            "metadata": {"name": "certificates", "namespace": "envoy-gateway-system"},
            "spec": {},
        },
        "test",
    )
    config_map = obj("ConfigMap", "settings", "envoy-gateway-system")

    assert by_function(collect(client_policy), "networks/network-segmentation") == []
    assert by_function(
        collect(client_policy, config_map), "networks/network-segmentation"
    ) == [("fail", "traditional", "Namespace envoy-gateway-system")]


def test_services_selecting_no_app_pods_are_not_judged() -> None:
    evidence = collect(
        deployment("shop", {"app": "shop"}),
        obj("Service", "headless-external", spec={"type": "ExternalName"}),
        obj("Service", "elsewhere", spec={"selector": {"app": "other"}}),
    )

    assert by_function(evidence, "applications-workloads/application-access") == []


# --- pod security -----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"securityContext": {**HARDENED, "allowPrivilegeEscalation": True}},
            "allowPrivilegeEscalation not false",
        ),
        (
            {"securityContext": {**HARDENED, "runAsNonRoot": False}},
            "runAsNonRoot not true",
        ),
        (
            {"securityContext": {**HARDENED, "capabilities": {"drop": ["NET_RAW"]}}},
            "capabilities do not drop ALL",
        ),
        (
            {
                "securityContext": {
                    **HARDENED,
                    "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
                }
            },
            "adds capabilities SYS_ADMIN",
        ),
        (
            {"securityContext": {**HARDENED, "seccompProfile": {"type": "Unconfined"}}},
            "seccompProfile Unconfined",
        ),
        ({"securityContext": {**HARDENED, "privileged": True}}, "privileged"),
        ({"ports": [{"containerPort": 80, "hostPort": 80}]}, "hostPort 80"),
    ],
    ids=[
        "escalation",
        "root",
        "capabilities",
        "added-capability",
        "seccomp",
        "privileged",
        "host-port",
    ],
)
def test_each_restricted_rule_is_enforced(change: dict[str, Any], problem: str) -> None:
    evidence = collect(deployment("svc", {"app": "svc"}, **change))

    [item] = [i for i in evidence.items if i.function.endswith("threat-protections")]
    assert (item.status, item.stage) == ("fail", "traditional")
    assert f"container svc: {problem}" in item.finding


def test_net_bind_service_and_pod_level_settings_are_allowed() -> None:
    workload = obj(
        "Pod",
        "web",
        spec={
            "securityContext": {
                "runAsNonRoot": True,
                "seccompProfile": {"type": "Localhost"},
            },
            "containers": [
                {
                    "name": "web",
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                    },
                }
            ],
            "volumes": [{"name": "config", "configMap": {"name": "web"}}],
        },
    )

    evidence = collect(workload)

    assert by_function(
        evidence, "applications-workloads/application-threat-protections"
    ) == [
        ("pass", "initial", "workloads"),
    ]


def test_pods_made_by_a_controller_are_judged_through_the_controller() -> None:
    owned = obj(
        "Pod",
        "shop-abc",
        metadata={"ownerReferences": [{"kind": "ReplicaSet", "name": "shop-1"}]},
        spec={
            "containers": [{"name": "shop", "securityContext": {"privileged": True}}]
        },
    )

    evidence = collect(owned)

    assert (
        by_function(evidence, "applications-workloads/application-threat-protections")
        == []
    )


# --- inventory --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("payroll", {"tier": "web"}),
        ("payroll-api", {"tier": "web"}),
        ("backend", {"app.kubernetes.io/name": "payroll"}),
        ("backend", {"app": "payroll"}),
    ],
)
def test_an_inventory_app_matches_a_workload_by_name_or_label(
    inventory: Inventory, name: str, labels: dict[str, str]
) -> None:
    evidence = collect(deployment(name, labels, "payroll"), inventory=inventory)

    assert by_function(evidence, "applications-workloads/governance") == [
        ("pass", "traditional", "inventory applications"),
    ]


def test_an_oauth2_proxy_alone_does_not_count_as_the_app(inventory: Inventory) -> None:
    proxy = deployment(
        "payroll-oauth2-proxy",
        {"app": "payroll"},
        "payroll",
        image="quay.io/oauth2-proxy/oauth2-proxy:v7.12.0",
    )

    evidence = collect(proxy, inventory=inventory)

    [item] = [
        i for i in evidence.items if i.function == "applications-workloads/governance"
    ]
    assert item.status == "fail"
    assert item.finding.endswith("nothing runs there")


# --- manifests --------------------------------------------------------------


def test_lists_and_multi_document_files_are_read(tmp_path: Path) -> None:
    snapshot = read_manifests(
        [MANIFESTS / "secure" / "proxy.yaml", MANIFESTS / "secure" / "payroll.yaml"]
    )

    assert [(o.reference, o.origin.split("/")[-1]) for o in snapshot.objects][:3] == [
        ("Deployment payroll/payroll-oauth2-proxy", "proxy.yaml document 1 items[0]"),
        ("Service payroll/payroll-oauth2-proxy", "proxy.yaml document 1 items[1]"),
        ("Namespace payroll", "payroll.yaml document 1"),
    ]


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("bad-yaml.yaml", r"bad-yaml\.yaml document 2 \(line 11\): malformed YAML: "),
        (
            "not-an-object.yaml",
            r"not-an-object\.yaml document 2: expected a Kubernetes object",
        ),
        (
            "containers-not-a-list.yaml",
            r"containers-not-a-list\.yaml document 1 items\[0\]: Deployment odd: "
            r"spec\.template\.spec\.containers: expected a list, got 'nginx'$",
        ),
    ],
)
def test_a_malformed_manifest_names_file_and_document(file: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message) as caught:
        collect_kubernetes(read_manifests([MANIFESTS / "malformed" / file]))

    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: Service\nmetadata: {name: x}\n",
            "document 1: apiVersion: required text, got None",
        ),
        ("apiVersion: v1\nkind: Service\n", "document 1: Service without metadata"),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: 7}\n",
            "metadata.name: expected text, got 7",
        ),
        (
            "apiVersion: v1\nkind: List\nitems: {a: 1}\n",
            "document 1: items: expected a list",
        ),
    ],
)
def test_documents_must_be_kubernetes_objects(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "objects.yaml"
    path.write_text(text)

    with pytest.raises(ManifestError, match=message):
        read_manifests([path])


def test_missing_paths_and_empty_folders_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no such file or folder"):
        read_manifests([tmp_path / "absent"])
    with pytest.raises(ManifestError, match="no Kubernetes objects found"):
        read_manifests([tmp_path])


def test_every_rule_names_a_function_of_the_model() -> None:
    known = set(load_model().function_keys())

    assert {rule.function for rule in KUBERNETES_RULES.values()} <= known
