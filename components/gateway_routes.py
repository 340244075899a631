"""Routes through the platform's gateway, with external auth in front of the app.

Two adapters write the same intent: ``/oauth2/`` on the app's host goes to its
oauth2-proxy without auth (sign-in, callback, sign-out), and every other path
goes to the app only after the proxy has approved the request.

- Envoy Gateway (default): two HTTPRoutes and a SecurityPolicy whose external
  auth asks oauth2-proxy about the original path; oauth2-proxy answers 202
  for a valid session and redirects a browser without one to sign in.
- ingress-nginx (legacy): two Ingresses, the app's with ``auth-url`` pointing
  at ``/oauth2/auth`` and ``auth-signin`` at ``/oauth2/start``.

From phase 4 the app's check goes to the posture gate instead of the proxy
(``gate``); sign-in still happens at the proxy. :mod:`components.posture_routes`
holds what differs.
"""

from __future__ import annotations

from typing import Any

from components.posture_routes import (
    PostureGateTarget,
    gate_external_auth,
    gate_ingress_annotations,
)
from components.settings import GatewaySettings

PROXY_PORT = 4180
IDENTITY_HEADERS = [
    "X-Auth-Request-User",
    "X-Auth-Request-Email",
    "X-Auth-Request-Groups",
    "X-Auth-Request-Preferred-Username",
]


def http_route(
    name: str,
    namespace: str,
    host: str,
    path: str,
    service: str,
    port: int,
    gateway: GatewaySettings,
    labels: dict[str, str],
) -> dict[str, Any]:
    """A Gateway API HTTPRoute sending ``host`` + ``path`` to one Service."""
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "parentRefs": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "name": gateway.name,
                    "namespace": gateway.namespace,
                }
            ],
            "hostnames": [host],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": path}}],
                    "backendRefs": [{"name": service, "port": port}],
                }
            ],
        },
    }


def external_auth_policy(
    name: str,
    namespace: str,
    route: str,
    proxy_service: str,
    labels: dict[str, str],
    gate: PostureGateTarget | None = None,
) -> dict[str, Any]:
    """An Envoy Gateway SecurityPolicy: no request reaches ``route`` unless
    oauth2-proxy (or, with ``gate``, the posture gate) approves it, and an
    unreachable checker denies."""
    external_auth: dict[str, Any] = {
        "failOpen": False,
        "http": {
            "backendRefs": [{"name": proxy_service, "port": PROXY_PORT}],
            "headersToBackend": IDENTITY_HEADERS,
        },
    }
    if gate is not None:
        external_auth = gate_external_auth(gate, IDENTITY_HEADERS)
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "targetRefs": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "HTTPRoute",
                    "name": route,
                }
            ],
            "extAuth": external_auth,
        },
    }


def ingress(
    name: str,
    namespace: str,
    host: str,
    path: str,
    service: str,
    port: int,
    gateway: GatewaySettings,
    labels: dict[str, str],
    auth_service: str | None = None,
    gate: PostureGateTarget | None = None,
) -> dict[str, Any]:
    """An ingress-nginx Ingress; with ``auth_service`` every request is checked
    against that oauth2-proxy first, or with ``gate`` as well, against the
    posture gate (sign-in stays at the proxy)."""
    annotations: dict[str, str] = {}
    if auth_service is not None:
        auth_host = f"{auth_service}.{namespace}.svc.cluster.local"
        annotations = {
            "nginx.ingress.kubernetes.io/auth-url": (
                f"http://{auth_host}:{PROXY_PORT}/oauth2/auth"
            ),
            "nginx.ingress.kubernetes.io/auth-signin": (
                f"https://{host}/oauth2/start?rd=$escaped_request_uri"
            ),
            "nginx.ingress.kubernetes.io/auth-response-headers": ",".join(
                IDENTITY_HEADERS
            ),
        }
        if gate is not None:
            annotations.update(
                gate_ingress_annotations(gate, name, namespace, IDENTITY_HEADERS)
            )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": {
            "ingressClassName": gateway.name,
            "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {
                                        "name": service,
                                        "port": {"number": port},
                                    }
                                },
                            }
                        ]
                    },
                }
            ],
        },
    }
