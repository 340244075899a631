"""Phase 3: default deny with the allows the inventory declares."""

from __future__ import annotations

from typing import Any

from assessment.inventory import load_inventory
from components.segmentation import (
    SegmentationArgs,
    namespace_labels,
    segmentation_policies,
)
from components.settings import parse_settings
from tests.conftest import SAMPLE

INVENTORY = load_inventory(SAMPLE / "inventory.yaml")
SETTINGS = parse_settings(
    {
        "phase": 3,
        "domain": "internal.fernhollow.example",
        "idp": {"mode": "keycloak"},
        "gateway": {"proxy_cidrs": ["10.244.0.0/16"]},
    }
)
WAVE = [INVENTORY.apps_by_id[a] for a in ("hris", "payroll", "treasury-payments")]
POLICIES, WARNINGS = segmentation_policies(SegmentationArgs(INVENTORY, WAVE, SETTINGS))


def _policy(namespace: str, name: str) -> dict[str, Any]:
    return next(
        p
        for p in POLICIES
        if p["metadata"]["namespace"] == namespace and p["metadata"]["name"] == name
    )


def _peers(rules: list[dict[str, Any]]) -> list[tuple[str, int]]:
    found = []
    for rule in rules:
        for peer in rule.get("to", rule.get("from", [])):
            target = peer.get("namespaceSelector", {}).get("matchLabels", {}).get(
                "kubernetes.io/metadata.name"
            ) or peer.get("ipBlock", {}).get("cidr")
            found += [(target, port["port"]) for port in rule["ports"]]
    return found


def test_every_wave_namespace_and_the_identity_provider_deny_by_default() -> None:
    for namespace in ("hris", "payroll", "treasury-payments", "identity"):
        deny = _policy(namespace, "default-deny")
        assert deny["spec"] == {
            "podSelector": {},
            "ingress": [],
            "egress": [],
            "policyTypes": ["Ingress", "Egress"],
        }
        dns = _policy(namespace, "allow-dns")["spec"]["egress"][0]
        assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {
            ("UDP", 53),
            ("TCP", 53),
        }


def test_an_app_may_call_exactly_what_it_declares() -> None:
    hris = INVENTORY.apps_by_id["hris"]
    egress = _peers(_policy("hris", "hris")["spec"]["egress"])

    assert len(egress) == len(hris.depends_on)
    declared = {INVENTORY.port_of(d) for d in hris.depends_on}
    assert {port for _, port in egress} == declared


def test_the_gateway_and_declared_callers_may_call_an_app() -> None:
    ingress = _peers(_policy("hris", "hris")["spec"]["ingress"])
    callers = {
        a.namespace
        for a in INVENTORY.applications
        if any(d.target == "hris" for d in a.depends_on)
    }

    assert ("envoy-gateway-system", INVENTORY.apps_by_id["hris"].port) in ingress
    assert {namespace for namespace, _ in ingress} == callers | {"envoy-gateway-system"}


def test_the_proxy_talks_to_the_gateway_and_the_identity_provider_only() -> None:
    proxy = _policy("payroll", "payroll-oauth2-proxy")["spec"]

    assert _peers(proxy["ingress"]) == [("envoy-gateway-system", 4180)]
    assert _peers(proxy["egress"]) == [("identity", 8080)]


def test_a_data_store_in_a_wave_namespace_accepts_its_declared_callers() -> None:
    store = _policy("hris", "hr-db-callers")["spec"]
    callers = {
        a.namespace
        for a in INVENTORY.applications
        if any(d.target == "hr-db" for d in a.depends_on)
    }

    assert store["policyTypes"] == ["Ingress"]
    assert {namespace for namespace, _ in _peers(store["ingress"])} == callers


def test_external_stores_use_their_address_or_public_addresses_with_a_warning() -> None:
    treasury = _peers(
        _policy("treasury-payments", "treasury-payments")["spec"]["egress"]
    )

    assert ("10.20.8.16/28", 1521) in treasury
    assert WARNINGS and all("object-storage" in w for w in WARNINGS)


def test_namespaces_carry_their_most_sensitive_classification() -> None:
    labels = namespace_labels(INVENTORY, list(INVENTORY.applications))

    assert labels["hris"] == "restricted"
    assert set(labels.values()) <= {"public", "internal", "confidential", "restricted"}
