"""Phase 3: default-deny NetworkPolicies with explicit allows, per namespace.

Every namespace that holds an app of the wave (and the identity provider's)
denies all ingress and egress, then allows exactly:

- DNS to the cluster's DNS pods, UDP and TCP 53;
- the gateway to each app's oauth2-proxy and to the app itself;
- each oauth2-proxy to the identity provider;
- each app to the apps and data stores it declares in ``depends_on``, and
  those to accept it;
- data stores that share a wave namespace, to accept the apps that declare them.

A connection the inventory does not declare stays closed; adding the
dependency to the inventory is what opens it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from assessment.inventory import Application, DataStore, Inventory
from components.access_proxy import COMPONENT as PROXY_COMPONENT
from components.declare import declare
from components.gateway_routes import PROXY_PORT
from components.identity import COMPONENT as IDP_COMPONENT
from components.identity import HTTP_PORT as IDP_PORT
from components.settings import (
    GatewaySettings,
    KeycloakSettings,
    PostgresDatabase,
    StackSettings,
)
from components.workload import MANAGED_BY, native

NAMESPACE_LABEL = "kubernetes.io/metadata.name"
DNS_NAMESPACE = "kube-system"
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
PRIVATE_NETWORKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class SegmentationArgs:
    """The wave and the settings the policies are cut from."""

    inventory: Inventory
    apps: Sequence[Application]
    settings: StackSettings
    phase: int = 3


def network_policy(
    name: str,
    namespace: str,
    pod_selector: dict[str, str],
    *,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
    app: str | None = None,
    phase: int = 3,
) -> dict[str, Any]:
    """A NetworkPolicy for the pods ``pod_selector`` picks (all, when empty).

    A direction left as ``None`` is not governed by this policy; an empty
    list denies it.
    """
    labels = {**MANAGED_BY, "ztkit.io/phase": str(phase)}
    if app:
        labels["ztkit.io/app"] = app
    types = []
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": pod_selector} if pod_selector else {}
    }
    if ingress is not None:
        types.append("Ingress")
        spec["ingress"] = ingress
    if egress is not None:
        types.append("Egress")
        spec["egress"] = egress
    spec["policyTypes"] = types
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": spec,
    }


def peer_pods(namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """A policy peer: the pods with ``labels`` in ``namespace``."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}},
        "podSelector": {"matchLabels": labels},
    }


def port_rule(port: int, protocol: str = "TCP") -> dict[str, Any]:
    """A policy port."""
    return {"protocol": protocol, "port": port}


def outside_cluster(cidr: str | None) -> dict[str, Any]:
    """A policy peer outside the cluster: ``cidr``, or any public address."""
    if cidr:
        return {"ipBlock": {"cidr": cidr}}
    return {"ipBlock": {"cidr": ANYWHERE, "except": PRIVATE_NETWORKS}}


def gateway_peer(gateway: GatewaySettings) -> dict[str, Any]:
    """A policy peer: the gateway's pods."""
    return peer_pods(gateway.namespace, dict(gateway.labels))


def dns_egress() -> dict[str, Any]:
    """An egress rule to the cluster's DNS, UDP and TCP."""
    return {
        "to": [peer_pods(DNS_NAMESPACE, DNS_POD_LABELS)],
        "ports": [port_rule(53, "UDP"), port_rule(53, "TCP")],
    }


def segmentation_policies(
    args: SegmentationArgs,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every NetworkPolicy of the phase, and warnings about what it had to guess.

    Returns:
        The policies, and one warning per external dependency without an
        address in the inventory (its egress is allowed to any address outside
        the private ranges on its port).
    """
    inventory, settings = args.inventory, args.settings
    gateway_pods = gateway_peer(settings.gateway)
    namespaces = sorted({app.namespace for app in args.apps})
    keycloak = settings.idp if isinstance(settings.idp, KeycloakSettings) else None
    dns = dns_egress()
    policies: list[dict[str, Any]] = []
    warnings: list[str] = []

    # Default deny, and DNS, in every namespace of the wave.
    for namespace in namespaces + ([keycloak.namespace] if keycloak else []):
        policies.append(
            network_policy(
                "default-deny", namespace, {}, ingress=[], egress=[], phase=args.phase
            )
        )
        policies.append(
            network_policy("allow-dns", namespace, {}, egress=[dns], phase=args.phase)
        )

    # Who may call each app: the gateway, and the apps that declare it.
    callers: dict[str, list[Application]] = defaultdict(list)
    for app in inventory.applications:
        for dependency in app.depends_on:
            callers[dependency.target].append(app)

    for app in args.apps:
        proxy_labels = {
            "app.kubernetes.io/name": PROXY_COMPONENT,
            "app.kubernetes.io/instance": app.id,
        }
        idp_peer = (
            peer_pods(keycloak.namespace, {"app.kubernetes.io/name": IDP_COMPONENT})
            if keycloak
            else outside_cluster(None)
        )
        idp_port = IDP_PORT if keycloak else 443
        policies.append(
            network_policy(
                f"{app.id}-oauth2-proxy",
                app.namespace,
                proxy_labels,
                app=app.id,
                phase=args.phase,
                ingress=[{"from": [gateway_pods], "ports": [port_rule(PROXY_PORT)]}],
                egress=[{"to": [idp_peer], "ports": [port_rule(idp_port)]}],
            )
        )

        ingress = [{"from": [gateway_pods], "ports": [port_rule(app.port)]}]
        for caller in callers.get(app.id, []):
            ports = [
                port_rule(inventory.port_of(d), d.protocol)
                for d in caller.depends_on
                if d.target == app.id
            ]
            ingress.append(
                {"from": [peer_pods(caller.namespace, caller.selector)], "ports": ports}
            )
        egress = []
        for dependency in app.depends_on:
            port = port_rule(inventory.port_of(dependency), dependency.protocol)
            target: Application | DataStore | None = inventory.apps_by_id.get(
                dependency.target
            )
            if target is None:
                target = inventory.stores_by_id[dependency.target]
            if target.namespace is None:
                assert isinstance(target, DataStore)
                if target.cidr is None:
                    warnings.append(
                        f"{app.id} -> {target.id}: the external data store has no address "
                        "in the inventory, so egress on "
                        f"{port['port']}/{port['protocol']} is allowed to public addresses "
                        f"only; give data store {target.id!r} a 'cidr' to reach a private one"
                    )
                egress.append({"to": [outside_cluster(target.cidr)], "ports": [port]})
            else:
                egress.append(
                    {
                        "to": [peer_pods(target.namespace, target.selector)],
                        "ports": [port],
                    }
                )
        policies.append(
            network_policy(
                app.id,
                app.namespace,
                app.selector,
                app=app.id,
                phase=args.phase,
                ingress=ingress,
                egress=egress,
            )
        )

    # Data stores living in a wave namespace accept the apps that declare them.
    for store in inventory.data_stores:
        if store.namespace not in namespaces:
            continue
        allowed = [
            {
                "from": [peer_pods(caller.namespace, caller.selector)],
                "ports": [
                    port_rule(inventory.port_of(d), d.protocol)
                    for d in caller.depends_on
                    if d.target == store.id
                ],
            }
            for caller in callers.get(store.id, [])
        ]
        policies.append(
            network_policy(
                f"{store.id}-callers",
                store.namespace,
                store.selector,
                ingress=allowed,
                phase=args.phase,
            )
        )

    if keycloak:
        proxies = {
            "namespaceSelector": {
                "matchExpressions": [
                    {"key": NAMESPACE_LABEL, "operator": "In", "values": namespaces}
                ]
            },
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": PROXY_COMPONENT}},
        }
        egress = []
        if isinstance(keycloak.database, PostgresDatabase):
            egress.append(
                {
                    "to": [outside_cluster(None)],
                    "ports": [port_rule(keycloak.database.port)],
                }
            )
        policies.append(
            network_policy(
                IDP_COMPONENT,
                keycloak.namespace,
                {"app.kubernetes.io/name": IDP_COMPONENT},
                phase=args.phase,
                ingress=[
                    {
                        "from": [gateway_pods, proxies]
                        if namespaces
                        else [gateway_pods],
                        "ports": [port_rule(IDP_PORT)],
                    }
                ],
                egress=egress,
            )
        )
    return policies, warnings


def namespace_labels(
    inventory: Inventory, apps: Sequence[Application]
) -> dict[str, str]:
    """The data classification each wave namespace is labelled with: its most
    sensitive app's."""
    order = ["public", "internal", "confidential", "restricted"]
    labels: dict[str, str] = {}
    for app in apps:
        current = labels.get(app.namespace)
        if current is None or order.index(app.classification) > order.index(current):
            labels[app.namespace] = app.classification
    return labels


class Segmentation(pulumi.ComponentResource):
    """Default-deny NetworkPolicies and the allows the inventory declares."""

    def __init__(
        self,
        name: str,
        args: SegmentationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ztkit:segmentation:Segmentation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policies, warnings = segmentation_policies(args)
        for warning in warnings:
            pulumi.log.warn(warning, self)

        # Labels each app namespace with its data classification, for policies
        # and audits that key on it; the namespace itself stays the app team's.
        for namespace, classification in sorted(
            namespace_labels(args.inventory, args.apps).items()
        ):
            k8s.core.v1.NamespacePatch(
                f"{name}-{namespace}-classification",
                metadata=native(
                    {
                        "name": namespace,
                        "labels": {"ztkit.io/classification": classification},
                    }
                ),
                opts=child,
            )

        # One NetworkPolicy per rule set, named for what it allows.
        for policy in policies:
            metadata = policy["metadata"]
            declare(f"{name}-{metadata['namespace']}-{metadata['name']}", policy, child)
        self.register_outputs({"policies": len(policies)})
