"""The Kubernetes collector: what manifests or a live cluster say about maturity.

It reads the same object shapes from rendered manifests
(:mod:`~assessment.collectors.kubernetes_manifests`) or from a cluster
(:mod:`~assessment.collectors.kubernetes_cluster`) and runs five checks:

- every namespace has default-deny NetworkPolicies for ingress and egress;
- app Services sit behind an access proxy (the rule is in
  :func:`_services_behind_proxy`);
- workloads meet the restricted Pod Security Standard;
- oauth2-proxy avoids unsafe settings;
- every app in the inventory has a workload in its namespace.

:data:`KUBERNETES_RULES` maps each check to a maturity function and stages.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from assessment.collectors.evidence_output import build_evidence
from assessment.collectors.kubernetes_objects import (
    SYSTEM_NAMESPACES,
    WORKLOAD_KINDS,
    KubeObject,
    Snapshot,
    selector_matches,
)
from assessment.collectors.oauth2_proxy_flags import (
    is_oauth2_proxy,
    read_settings,
    unsafe_settings,
)
from assessment.collectors.observations import Findings, Rule, listing
from assessment.collectors.pod_security import restricted_violations
from assessment.evidence import EvidenceFile
from assessment.inventory import Application, Inventory
from assessment.maturity_model import Stage

COLLECTOR = "ztkit-kubernetes"
TRADITIONAL, INITIAL = Stage.TRADITIONAL, Stage.INITIAL

DEFAULT_DENY = "namespace-default-deny"
ACCESS_PROXY = "service-behind-access-proxy"
POD_SECURITY = "pod-security-restricted"
OAUTH2_PROXY_SETTINGS = "oauth2-proxy-settings"
INVENTORY_WORKLOAD = "inventory-app-deployed"

AUTH_URL_ANNOTATION = "nginx.ingress.kubernetes.io/auth-url"
GATEWAY_ATTACHMENTS = frozenset({"ClientTrafficPolicy"})
"""Envoy Gateway policies that live in the gateway's own namespace; a plan
that holds one says nothing else about that namespace."""
APP_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app")
"""Pod labels that name the app a workload runs."""

KUBERNETES_RULES: dict[str, Rule] = {
    DEFAULT_DENY: Rule(
        "networks/network-segmentation", INITIAL, TRADITIONAL,
        "a namespace without default deny lets traffic move freely inside the "
        "cluster; default deny everywhere gives each namespace its own zone",
    ),
    ACCESS_PROXY: Rule(
        "applications-workloads/application-access", INITIAL, TRADITIONAL,
        "an app answering without a proxy grants access on its own terms; a proxy "
        "checking identity per request is where Initial begins",
    ),
    POD_SECURITY: Rule(
        "applications-workloads/application-threat-protections", INITIAL, TRADITIONAL,
        "privileged or root workloads rely on generic defences; the restricted "
        "profile is a protection shaped around how workloads run",
    ),
    OAUTH2_PROXY_SETTINGS: Rule(
        "applications-workloads/application-access", INITIAL, TRADITIONAL,
        "a proxy that trusts any forwarded header, admits any e-mail domain or "
        "skips authentication broadly is no access control",
    ),
    INVENTORY_WORKLOAD: Rule(
        "applications-workloads/governance", TRADITIONAL, INITIAL,
        "an inventory that disagrees with the cluster cannot govern it "
        "organisation-wide; agreeing is only the baseline",
    ),
}  # fmt: skip
"""Each check's maturity function and stages; docs/collectors.md shows the table."""


@dataclass(frozen=True)
class Check:
    """One check: the kinds it reads and the function that runs it."""

    name: str
    kinds: tuple[str, ...]
    run: Callable[[Snapshot, Findings, Inventory | None], None]


def collect_kubernetes(
    snapshot: Snapshot,
    inventory: Inventory | None = None,
    collected_at: datetime.datetime | None = None,
) -> EvidenceFile:
    """Run every check on ``snapshot`` and judge the result.

    Args:
        snapshot: the objects read from manifests or a cluster.
        inventory: the apps expected to run; without it that check is skipped.
        collected_at: when the objects were read; now (UTC) when not given.

    Raises:
        ManifestError: a field a check reads has the wrong type.
    """
    findings = Findings()
    for check in CHECKS:
        refused = [
            snapshot.unavailable[k] for k in check.kinds if k in snapshot.unavailable
        ]
        if refused:
            findings.gap(check.name, "; ".join(refused))
            continue
        check.run(snapshot, findings, inventory)
    return build_evidence(
        COLLECTOR, snapshot.scope, findings, KUBERNETES_RULES, collected_at
    )


# TODO: only Kubernetes NetworkPolicy is read; CNI-specific policies (Cilium,
# Calico GlobalNetworkPolicy) that deny by default are not recognised.
def default_deny_directions(policy: KubeObject) -> set[str]:
    """The directions (``ingress``, ``egress``) a NetworkPolicy denies for
    every pod in its namespace: it selects all pods and allows nothing."""
    selector = policy.get(("spec", "podSelector"), dict, {})
    if selector.get("matchLabels") or selector.get("matchExpressions"):
        return set()

    ingress = policy.get(("spec", "ingress"), list, [])
    egress = policy.get(("spec", "egress"), list, [])
    # Without policyTypes, Kubernetes infers Ingress always and Egress only
    # when egress rules exist.
    types = policy.get(("spec", "policyTypes"), list) or (
        ["Ingress", "Egress"] if egress else ["Ingress"]
    )
    denied = set()
    if "Ingress" in types and not ingress:
        denied.add("ingress")
    if "Egress" in types and not egress:
        denied.add("egress")
    return denied


def _namespaces(snapshot: Snapshot) -> list[str]:
    """Namespaces to judge: declared or used, minus Kubernetes' own, and
    minus ``default`` unless something runs there."""
    declared = {item.name for item in snapshot.objects if item.kind == "Namespace"}
    used = {
        item.namespace
        for item in snapshot.objects
        if item.namespace and item.kind not in GATEWAY_ATTACHMENTS
    }
    running = {item.namespace for item in snapshot.workloads()}
    names = (declared | used) - SYSTEM_NAMESPACES
    return sorted(name for name in names if name != "default" or name in running)


def _default_deny(snapshot: Snapshot, findings: Findings, _: Inventory | None) -> None:
    denied: dict[str, set[str]] = {}
    for policy in snapshot.of_kind("NetworkPolicy"):
        denied.setdefault(str(policy.namespace), set()).update(
            default_deny_directions(policy)
        )

    namespaces = _namespaces(snapshot)
    for namespace in namespaces:
        covered = denied.get(namespace, set())
        missing = [way for way in ("ingress", "egress") if way not in covered]
        if missing:
            findings.observe(
                DEFAULT_DENY,
                False,
                f"Namespace {namespace}",
                f"namespace {namespace} has no default-deny NetworkPolicy for "
                f"{' or '.join(missing)}: pods there accept and open connections "
                "nobody declared",
            )
    if namespaces and not findings.failures(DEFAULT_DENY):
        findings.observe(
            DEFAULT_DENY,
            True,
            f"namespaces {listing(namespaces)}",
            "every namespace has default-deny NetworkPolicies for ingress and "
            f"egress ({len(namespaces)} checked)",
        )


def _runs_oauth2_proxy(workload: KubeObject) -> bool:
    return any(is_oauth2_proxy(container) for _, container in workload.containers())


def _proxied_namespaces(snapshot: Snapshot) -> set[str]:
    """Namespaces with an oauth2-proxy, or a route that calls external auth
    (an Envoy Gateway SecurityPolicy with extAuth, or an ingress-nginx
    Ingress with an auth-url annotation), and the namespaces of the
    external-auth services those routes call (such as the posture gate's),
    where access is decided rather than granted."""
    # TODO: other external-auth mechanisms (Istio CUSTOM AuthorizationPolicy,
    # Traefik ForwardAuth, Gateway API extension filters) are not recognised.
    proxied = {str(w.namespace) for w in snapshot.workloads() if _runs_oauth2_proxy(w)}
    for policy in snapshot.of_kind("SecurityPolicy"):
        if policy.get(("spec", "extAuth"), dict):
            proxied.add(str(policy.namespace))
            for kind in ("http", "grpc"):
                backends = policy.get(
                    ("spec", "extAuth", kind, "backendRefs"), list, []
                )
                for index in range(len(backends)):
                    path = ("spec", "extAuth", kind, "backendRefs", index, "namespace")
                    namespace = policy.get(path, str)
                    if namespace:
                        proxied.add(namespace)
    for ingress in snapshot.of_kind("Ingress"):
        auth_url = ingress.get(("metadata", "annotations", AUTH_URL_ANNOTATION), str)
        if auth_url:
            proxied.add(str(ingress.namespace))
            service_namespace = _cluster_service_namespace(auth_url)
            if service_namespace:
                proxied.add(service_namespace)
    return proxied


def _cluster_service_namespace(url: str) -> str | None:
    """The namespace in a ``<service>.<namespace>.svc`` URL, if it is one."""
    host = urlsplit(url).hostname or ""
    parts = host.split(".")
    if len(parts) >= 3 and parts[2] == "svc":
        return parts[1]
    return None


SIGN_IN_ANNOTATION = "ztkit.io/sign-in"
"""Marks the identity provider's Service, which serves sign-in without a proxy."""


def _services_behind_proxy(
    snapshot: Snapshot, findings: Findings, _: Inventory | None
) -> None:
    """The rule, kept simple: a Service whose selector picks the pods of an app
    workload (one not running oauth2-proxy) fails when its namespace has
    neither an oauth2-proxy nor an external-auth route. It does not prove the
    proxy is the only way in; default deny and the gateway's routes do that.
    """
    proxied = _proxied_namespaces(snapshot)
    apps = [w for w in snapshot.workloads() if not _runs_oauth2_proxy(w)]
    judged = 0
    for service in snapshot.of_kind("Service"):
        if service.get(("metadata", "annotations", SIGN_IN_ANNOTATION), str) == "true":
            # The identity provider's own sign-in pages must be reachable
            # without a session; that is what they are for.
            continue
        selector = service.labels(("spec", "selector"))
        selected = [
            app
            for app in apps
            if app.namespace == service.namespace
            and selector_matches(selector, app.pod_labels())
        ]
        if not selected:
            continue
        judged += 1
        if service.namespace in proxied:
            continue
        findings.observe(
            ACCESS_PROXY,
            False,
            service.reference,
            f"{service.reference} selects the pods of {selected[0].reference}, and "
            f"namespace {service.namespace} has no oauth2-proxy and no route with "
            "external auth, so requests reach the app without passing an access proxy",
        )
    if judged and not findings.failures(ACCESS_PROXY):
        findings.observe(
            ACCESS_PROXY,
            True,
            "app Services",
            "every app Service sits in a namespace with an oauth2-proxy or an "
            f"external-auth route ({judged} checked)",
        )


def _pod_security(snapshot: Snapshot, findings: Findings, _: Inventory | None) -> None:
    workloads = snapshot.workloads()
    for workload in workloads:
        problems = restricted_violations(workload)
        if problems:
            findings.observe(
                POD_SECURITY,
                False,
                workload.reference,
                f"{workload.reference} breaks the restricted Pod Security Standard: "
                f"{listing(problems)}",
            )
    if workloads and not findings.failures(POD_SECURITY):
        findings.observe(
            POD_SECURITY,
            True,
            "workloads",
            "every workload meets the restricted Pod Security Standard "
            f"({len(workloads)} checked)",
        )


def _oauth2_proxy_settings(
    snapshot: Snapshot, findings: Findings, _: Inventory | None
) -> None:
    checked = 0
    for workload in snapshot.workloads():
        for _path, container in workload.containers():
            if not is_oauth2_proxy(container):
                continue
            checked += 1
            where = f"{workload.reference} container {container.get('name', '?')}"
            settings = read_settings(container)
            if settings.unread:
                findings.gap(
                    OAUTH2_PROXY_SETTINGS,
                    f"{where}: settings in {', '.join(settings.unread)} were not read",
                )
            problems = unsafe_settings(settings)
            if problems:
                findings.observe(
                    OAUTH2_PROXY_SETTINGS,
                    False,
                    where,
                    f"oauth2-proxy {where} is unsafe: {'; '.join(problems)}",
                )
    if checked and not findings.failures(OAUTH2_PROXY_SETTINGS):
        findings.observe(
            OAUTH2_PROXY_SETTINGS,
            True,
            "oauth2-proxy containers",
            f"no oauth2-proxy uses the unsafe settings checked ({checked} checked)",
        )


def _runs_app(workload: KubeObject, app: Application) -> bool:
    if workload.name == app.id or workload.name.startswith(f"{app.id}-"):
        return True
    labels = workload.pod_labels()
    return any(labels.get(label) == app.id for label in APP_LABELS)


def _inventory_workloads(
    snapshot: Snapshot, findings: Findings, inventory: Inventory | None
) -> None:
    if inventory is None:
        return

    apps = [w for w in snapshot.workloads() if not _runs_oauth2_proxy(w)]
    for app in inventory.applications:
        in_namespace = [w for w in apps if w.namespace == app.namespace]
        if any(_runs_app(workload, app) for workload in in_namespace):
            continue
        seen = (
            f"its workloads are {listing([w.reference for w in in_namespace])}"
            if in_namespace
            else "nothing runs there"
        )
        findings.observe(
            INVENTORY_WORKLOAD,
            False,
            f"inventory app {app.id}",
            f"inventory app {app.id} should run in namespace {app.namespace}, but no "
            f"workload there is named {app.id} or labelled for it; {seen}",
        )
    if not findings.failures(INVENTORY_WORKLOAD):
        findings.observe(
            INVENTORY_WORKLOAD,
            True,
            "inventory applications",
            "every app in the inventory has a workload in its namespace "
            f"({len(inventory.applications)} checked)",
        )


CHECKS = (
    Check(DEFAULT_DENY, ("Namespace", "NetworkPolicy", *WORKLOAD_KINDS), _default_deny),
    Check(
        ACCESS_PROXY,
        ("Service", "Ingress", "SecurityPolicy", *WORKLOAD_KINDS),
        _services_behind_proxy,
    ),
    Check(POD_SECURITY, WORKLOAD_KINDS, _pod_security),
    Check(OAUTH2_PROXY_SETTINGS, WORKLOAD_KINDS, _oauth2_proxy_settings),
    Check(INVENTORY_WORKLOAD, WORKLOAD_KINDS, _inventory_workloads),
)
