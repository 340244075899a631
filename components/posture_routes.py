"""The gateway's side of phase 4: device certificates, and external auth that
asks the posture gate instead of each app's oauth2-proxy.

Both adapters ask the browser for a device certificate without requiring one:
verification is optional at the TLS layer and the gate's policy decides what
a missing or unknown device may do. The certificate reaches the gate only in
headers the gateway itself sets, never in one a client could send.

- Envoy Gateway: a ClientTrafficPolicy on the Gateway validates client
  certificates against the device CA (optional) and rebuilds
  ``X-Forwarded-Client-Cert`` from the verified certificate on every request
  (``SanitizeSet``), dropping whatever the client sent. Each app's
  SecurityPolicy sends its check to the gate's ``/auth`` with the headers the
  gate reads. ReferenceGrants in the gate's namespace allow the policies to
  point across namespaces.
- ingress-nginx: the app's Ingress asks for a client certificate
  (``auth-tls-verify-client: optional``) against the device CA Secret, sends
  its ``auth_request`` to the gate, and names a ConfigMap of headers that
  hands the gate nginx's escaped certificate and verification result, and
  the original method, host and URI. nginx replaces a header of those names
  sent by the client, and leaves the certificate out when there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assessment.inventory import Application
from components.device_ca import DEVICE_CA, device_ca_kind
from components.settings import GatewaySettings, StackSettings

GATE_PORT = 8080
METRICS_PORT = 9090
AUTH_PATH = "/auth"
"""The gate's external-auth endpoint; Envoy appends the original path to it."""
PUSH_PATH = "/push/devices"
"""The gate's endpoint for signed device pushes from MDM."""
CLIENT_TRAFFIC_POLICY = "ztkit-device-certificates"
ENVOY_CLIENT_CERTIFICATE_HEADER = "X-Forwarded-Client-Cert"
# TODO: Envoy leaves X-Envoy-External-Address out for requests it counts as
# internal (by default, from private addresses), so an office network in a
# private range never relaxes access behind Envoy Gateway; setting a header
# from Envoy's detected client address on every request needs checking
# against a live Envoy first.
ENVOY_CLIENT_ADDRESS_HEADER = "X-Envoy-External-Address"
"""Set by Envoy from its client-address detection, and removed from what
clients send; absent for requests Envoy counts as internal."""
ENVOY_CHECK_HEADERS = [
    "Cookie",
    ENVOY_CLIENT_CERTIFICATE_HEADER,
    ENVOY_CLIENT_ADDRESS_HEADER,
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Request-Id",
]
"""Request headers Envoy forwards to the gate besides host, method and path,
which it always sends: the session cookie for the identity lookup, the
device, the client address and the request id for the decision log."""
NGINX_CERTIFICATE_HEADER = "X-Client-Cert"
NGINX_VERIFY_HEADER = "X-Client-Verify"
NGINX_AUTH_REQUEST_HEADERS = {
    NGINX_CERTIFICATE_HEADER: "$ssl_client_escaped_cert",
    NGINX_VERIFY_HEADER: "$ssl_client_verify",
    "X-Forwarded-Method": "$request_method",
    "X-Forwarded-Host": "$host",
    "X-Forwarded-Uri": "$request_uri",
}
"""What ingress-nginx sets on its auth sub-request besides its own headers:
the URL-encoded PEM certificate, ``SUCCESS``, ``NONE`` or ``FAILED:<reason>``,
and the original method, host and URI. ingress-nginx passes every other
client header on to the gate unchanged, so these are set here to nginx's
own values: a client could otherwise name a method or host of its choosing."""
NGINX_CLIENT_ADDRESS_HEADER = "X-Real-IP"
"""Set by ingress-nginx on every auth sub-request to the client's address."""


@dataclass(frozen=True)
class PostureGateTarget:
    """Where the gateway sends an app's access check once phase 4 is deployed."""

    service: str
    namespace: str
    device_ca: str = DEVICE_CA
    device_ca_beside_apps: bool = False
    """ingress-nginx with a provided CA: a copy of ``ca.crt`` sits in each app
    namespace, so no Ingress refers to another namespace (which ingress-nginx
    refuses by default from 1.12)."""

    @property
    def auth_url(self) -> str:
        """The gate's external-auth URL inside the cluster."""
        host = f"{self.service}.{self.namespace}.svc.cluster.local"
        return f"http://{host}:{GATE_PORT}{AUTH_PATH}"


def auth_request_headers_name(ingress_name: str) -> str:
    """The ConfigMap of auth sub-request headers for one app's Ingress."""
    return f"{ingress_name}-posture-gate-headers"


DECISION_HEADERS = ("X-Ztkit-Device-Trust", "X-Ztkit-Access-Level")
"""The gate's verdict, passed on to the app so it can show read-only views."""


def auth_request_headers(
    ingress_name: str, namespace: str, labels: dict[str, str]
) -> dict[str, Any]:
    """The ConfigMap ingress-nginx reads through ``auth-proxy-set-headers``."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": auth_request_headers_name(ingress_name),
            "namespace": namespace,
            "labels": labels,
        },
        "data": dict(NGINX_AUTH_REQUEST_HEADERS),
    }


def gate_ingress_annotations(
    target: PostureGateTarget,
    ingress_name: str,
    namespace: str,
    identity_headers: list[str],
) -> dict[str, str]:
    """ingress-nginx annotations that ask for a device certificate and hand it
    to the gate; ``auth-url`` goes to the gate instead of the proxy."""
    prefix = "nginx.ingress.kubernetes.io"
    ca_namespace = namespace if target.device_ca_beside_apps else target.namespace
    return {
        f"{prefix}/auth-url": target.auth_url,
        f"{prefix}/auth-response-headers": ",".join(
            [*identity_headers, *DECISION_HEADERS]
        ),
        f"{prefix}/auth-tls-secret": f"{ca_namespace}/{target.device_ca}",
        f"{prefix}/auth-tls-verify-client": "optional",
        f"{prefix}/auth-proxy-set-headers": (
            f"{namespace}/{auth_request_headers_name(ingress_name)}"
        ),
    }


def gate_external_auth(
    target: PostureGateTarget, identity_headers: list[str]
) -> dict[str, Any]:
    """The ``extAuth`` block of an app's SecurityPolicy that asks the gate.

    Args:
        target: The gate.
        identity_headers: Headers of the gate's answer copied onto the request
            the app receives, as oauth2-proxy's were before.
    """
    return {
        "failOpen": False,
        "headersToExtAuth": list(ENVOY_CHECK_HEADERS),
        "http": {
            "backendRefs": [
                {
                    "name": target.service,
                    "namespace": target.namespace,
                    "port": GATE_PORT,
                }
            ],
            "path": AUTH_PATH,
            "headersToBackend": [*identity_headers, *DECISION_HEADERS],
        },
    }


def client_traffic_policy(
    gateway: GatewaySettings,
    target: PostureGateTarget,
    ca_kind: str,
    labels: dict[str, str],
) -> dict[str, Any]:
    """An Envoy Gateway ClientTrafficPolicy on the whole Gateway: optional
    client certificates against the device CA, and an XFCC header only Envoy
    writes.

    Args:
        gateway: The Gateway to attach to; the policy lives in its namespace.
        target: The gate, whose namespace holds the device CA.
        ca_kind: ``ConfigMap`` or ``Secret``: what holds the CA's ``ca.crt``.
        labels: The policy's labels.
    """
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "ClientTrafficPolicy",
        "metadata": {
            "name": CLIENT_TRAFFIC_POLICY,
            "namespace": gateway.namespace,
            "labels": labels,
        },
        "spec": {
            "targetRefs": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "name": gateway.name,
                }
            ],
            "tls": {
                "clientValidation": {
                    "optional": True,
                    "caCertificateRefs": [
                        {
                            "group": "",
                            "kind": ca_kind,
                            "name": target.device_ca,
                            "namespace": target.namespace,
                        }
                    ],
                }
            },
            "headers": {"xForwardedClientCert": {"mode": "SanitizeSet"}},
        },
    }


def reference_grant(
    name: str,
    namespace: str,
    source: tuple[str, str],
    target: tuple[str, str],
    labels: dict[str, str],
) -> dict[str, Any]:
    """A Gateway API ReferenceGrant in ``namespace``: Envoy Gateway policies of
    kind ``source[0]`` in namespace ``source[1]`` may refer to the object of
    kind ``target[0]`` named ``target[1]`` here."""
    kind, from_namespace = source
    target_kind, target_name = target
    return {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "from": [
                {
                    "group": "gateway.envoyproxy.io",
                    "kind": kind,
                    "namespace": from_namespace,
                }
            ],
            "to": [{"group": "", "kind": target_kind, "name": target_name}],
        },
    }


def gateway_objects(
    apps: Sequence[Application],
    settings: StackSettings,
    target: PostureGateTarget,
    meta_labels: dict[str, str],
) -> list[dict[str, Any]]:
    """What the gateway needs to reach the gate and see device certificates.

    Envoy Gateway: the ClientTrafficPolicy, a ReferenceGrant for it to read the
    device CA, and one per app namespace for the SecurityPolicies to call the
    gate's Service. ingress-nginx: one auth-request header ConfigMap per app.
    The routes
    themselves stay the access proxies'.
    """
    gateway = settings.gateway
    if gateway.kind == "ingress-nginx":
        return [
            auth_request_headers(
                app.id, app.namespace, {**meta_labels, "ztkit.io/app": app.id}
            )
            for app in apps
        ]

    kind = device_ca_kind(settings)
    objects = [
        client_traffic_policy(gateway, target, kind, meta_labels),
        reference_grant(
            "gateway-device-ca",
            target.namespace,
            ("ClientTrafficPolicy", gateway.namespace),
            (kind, DEVICE_CA),
            meta_labels,
        ),
    ]
    for namespace in sorted({app.namespace for app in apps}):
        objects.append(
            reference_grant(
                f"{namespace}-external-auth",
                target.namespace,
                ("SecurityPolicy", namespace),
                ("Service", target.service),
                meta_labels,
            )
        )
    return objects
