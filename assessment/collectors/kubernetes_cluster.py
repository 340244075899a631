"""Reading a live cluster through the official ``kubernetes`` client.

Every kind the checks need is listed across all namespaces, page by page
(``limit`` and ``continue``). The objects are kept as the JSON the API server
sent, the same shape a manifest has, so the checks read both alike. A kind
the credentials may not list becomes a gap, not a crash; a custom resource
whose definition is not installed is simply absent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3.exceptions import HTTPError

from assessment.collectors.errors import ClusterError
from assessment.collectors.kubernetes_objects import KubeObject, Snapshot

logger = logging.getLogger(__name__)

PAGE_SIZE = 500
REQUEST_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Listing:
    """How to list one kind across the cluster."""

    kind: str
    api_version: str
    method: Callable[[client.ApiClient], Callable[..., Any]]
    custom: bool = False
    """A custom resource: a 404 means its definition is not installed."""


def _custom(group: str, version: str, plural: str) -> Callable[..., Callable[..., Any]]:
    def method(api: client.ApiClient) -> Callable[..., Any]:
        objects = client.CustomObjectsApi(api)

        def list_all(**params: Any) -> Any:
            return objects.list_cluster_custom_object(group, version, plural, **params)

        return list_all

    return method


LISTINGS = (
    Listing("Namespace", "v1", lambda a: client.CoreV1Api(a).list_namespace),
    Listing("Pod", "v1", lambda a: client.CoreV1Api(a).list_pod_for_all_namespaces),
    Listing(
        "Service", "v1", lambda a: client.CoreV1Api(a).list_service_for_all_namespaces
    ),
    Listing(
        "Deployment",
        "apps/v1",
        lambda a: client.AppsV1Api(a).list_deployment_for_all_namespaces,
    ),
    Listing(
        "StatefulSet",
        "apps/v1",
        lambda a: client.AppsV1Api(a).list_stateful_set_for_all_namespaces,
    ),
    Listing(
        "DaemonSet",
        "apps/v1",
        lambda a: client.AppsV1Api(a).list_daemon_set_for_all_namespaces,
    ),
    Listing(
        "Job", "batch/v1", lambda a: client.BatchV1Api(a).list_job_for_all_namespaces
    ),
    Listing(
        "CronJob",
        "batch/v1",
        lambda a: client.BatchV1Api(a).list_cron_job_for_all_namespaces,
    ),
    Listing(
        "NetworkPolicy",
        "networking.k8s.io/v1",
        lambda a: client.NetworkingV1Api(a).list_network_policy_for_all_namespaces,
    ),
    Listing(
        "Ingress",
        "networking.k8s.io/v1",
        lambda a: client.NetworkingV1Api(a).list_ingress_for_all_namespaces,
    ),
    Listing(
        "SecurityPolicy",
        "gateway.envoyproxy.io/v1alpha1",
        _custom("gateway.envoyproxy.io", "v1alpha1", "securitypolicies"),
        custom=True,
    ),
)
"""The kinds the checks read (ReplicaSets are left out: their Deployment is
judged instead)."""


def read_cluster(context: str | None, kubeconfig: Path | None = None) -> Snapshot:
    """List every kind in :data:`LISTINGS` from the cluster of ``context``.

    Raises:
        ClusterError: the kubeconfig or context is unusable, the cluster cannot
            be reached, or it rejects the credentials.
    """
    configuration = client.Configuration()
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig) if kubeconfig else None,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, ValueError) as exc:
        where = kubeconfig or "the default kubeconfig"
        raise ClusterError(f"{where}: {_first_line(exc)}") from None
    configuration.retries = 1

    snapshot = Snapshot(
        [], f"kubernetes context {context or '(current)'} at {configuration.host}"
    )
    with client.ApiClient(configuration) as api:
        for listing in LISTINGS:
            try:
                bodies = _list_all(listing.method(api))
            except ApiException as exc:
                _refused(snapshot, listing, exc, configuration.host)
                continue
            except HTTPError as exc:
                raise ClusterError(
                    f"cannot reach the cluster at {configuration.host}: {_first_line(exc)}"
                ) from None
            snapshot.objects += [
                KubeObject(
                    {"apiVersion": listing.api_version, "kind": listing.kind, **body},
                    "cluster",
                )
                for body in bodies
            ]
    return snapshot


def _list_all(list_call: Callable[..., Any]) -> list[dict[str, Any]]:
    """Every item of a list call, following ``continue`` tokens."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if token:
            params["_continue"] = token
        response = list_call(
            _preload_content=False, _request_timeout=REQUEST_TIMEOUT_SECONDS, **params
        )
        page = json.loads(response.data)
        items += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return items


def _refused(
    snapshot: Snapshot, listing: Listing, exc: ApiException, host: str
) -> None:
    if exc.status == 401:
        raise ClusterError(f"the cluster at {host} rejected the credentials (401)")
    if exc.status == 404 and listing.custom:
        logger.info("%s is not served by the cluster; treated as absent", listing.kind)
        return
    reason = "forbidden" if exc.status == 403 else (exc.reason or "error")
    snapshot.unavailable[listing.kind] = (
        f"listing {listing.kind} objects: {reason} ({exc.status})"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
