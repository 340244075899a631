"""Phase 2: an oauth2-proxy in front of one app, and the gateway routes to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from assessment.inventory import Application
from components.declare import declare
from components.gateway_routes import (
    PROXY_PORT,
    external_auth_policy,
    http_route,
    ingress,
)
from components.posture_routes import PostureGateTarget
from components.realm import callback_url
from components.settings import OAUTH2_PROXY_IMAGE, GatewaySettings
from components.workload import (
    disruption_budget_spec,
    http_probe,
    labels,
    resources,
    restricted_container_security,
    restricted_pod_security,
    selector,
    service_spec,
)

COMPONENT = "oauth2-proxy"
METRICS_PORT = 44180
NONROOT_USER = 65532


@dataclass(frozen=True)
class AccessProxyArgs:
    """What one app's access proxy needs."""

    app: Application
    issuer_url: str
    client_id: str
    client_secret: pulumi.Input[str]
    gateway: GatewaySettings
    phase: int
    replicas: int = 2
    image: str = OAUTH2_PROXY_IMAGE
    posture_gate: PostureGateTarget | None = None
    """From phase 4: the gateway asks the posture gate instead of the proxy,
    and the gate asks the proxy who is signed in."""


def proxy_name(app: Application) -> str:
    """The name of an app's proxy Deployment, Service and Secret."""
    return f"{app.id}-oauth2-proxy"


def session_cookie(app: Application) -> str:
    """The name of the session cookie an app's proxy sets."""
    return f"__Host-{app.id}-session"


def proxy_url(app: Application) -> str:
    """The proxy's ``/oauth2/auth`` inside the cluster: who is signed in."""
    host = f"{proxy_name(app)}.{app.namespace}.svc.cluster.local"
    return f"http://{host}:{PROXY_PORT}/oauth2/auth"


def proxy_arguments(
    app: Application, issuer_url: str, client_id: str, gateway: GatewaySettings
) -> list[str]:
    """oauth2-proxy's flags for one app, hardened as its advisories advise.

    Secrets are not flags: they come from the environment, out of a Secret.
    """
    groups = sorted(set(app.readers) | set(app.writers))
    arguments = [
        "--provider=oidc",
        f"--oidc-issuer-url={issuer_url}",
        f"--client-id={client_id}",
        f"--redirect-url={callback_url(app)}",
        # Auth-only: the proxy answers the gateway's check and never forwards.
        "--upstream=static://202",
        f"--http-address=0.0.0.0:{PROXY_PORT}",
        f"--metrics-address=0.0.0.0:{METRICS_PORT}",
        "--reverse-proxy=true",
        *(f"--trusted-proxy-ip={cidr}" for cidr in gateway.proxy_cidrs),
        # Only this app's own host may be a post-sign-in destination.
        f"--whitelist-domain={app.host}",
        "--code-challenge-method=S256",
        f"--cookie-name={session_cookie(app)}",
        "--cookie-secure=true",
        "--cookie-httponly=true",
        "--cookie-samesite=lax",
        "--cookie-expire=8h",
        "--cookie-refresh=1h",
        "--oidc-groups-claim=groups",
        *(f"--allowed-group={group}" for group in groups),
        # Membership of an allowed group is the gate; any verified address may
        # belong to one.
        "--email-domain=*",
        "--set-xauthrequest=true",
        "--skip-provider-button=true",
        "--silence-ping-logging=true",
    ]
    return arguments


def proxy_deployment(args: AccessProxyArgs) -> dict[str, Any]:
    """The oauth2-proxy Deployment for one app."""
    app = args.app
    name = proxy_name(app)
    pod_labels = {**labels(COMPONENT, app.id), "ztkit.io/app": app.id}
    secret_env = [
        {
            "name": variable,
            "valueFrom": {"secretKeyRef": {"name": name, "key": key}},
        }
        for variable, key in (
            ("OAUTH2_PROXY_CLIENT_SECRET", "client-secret"),
            ("OAUTH2_PROXY_COOKIE_SECRET", "cookie-secret"),
        )
    ]
    return {
        "metadata": {
            "name": name,
            "namespace": app.namespace,
            "labels": {**pod_labels, "ztkit.io/phase": str(args.phase)},
        },
        "spec": {
            "replicas": args.replicas,
            "selector": {"matchLabels": selector(COMPONENT, app.id)},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(NONROOT_USER),
                    "containers": [
                        {
                            "name": COMPONENT,
                            "image": args.image,
                            "imagePullPolicy": "Always",
                            "args": proxy_arguments(
                                app, args.issuer_url, args.client_id, args.gateway
                            ),
                            "env": secret_env,
                            "ports": [
                                {"name": "http", "containerPort": PROXY_PORT},
                                {"name": "metrics", "containerPort": METRICS_PORT},
                            ],
                            "livenessProbe": http_probe("/ping", "http"),
                            "readinessProbe": http_probe("/ready", "http"),
                            "resources": resources("25m", "32Mi", "500m", "128Mi"),
                            "securityContext": restricted_container_security(),
                        }
                    ],
                },
            },
        },
    }


class AccessProxy(pulumi.ComponentResource):
    """An app's oauth2-proxy and the authenticated route to the app."""

    def __init__(
        self,
        name: str,
        args: AccessProxyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ztkit:access_proxy:AccessProxy", name, None, opts)
        app = args.app
        proxy = proxy_name(app)
        child = pulumi.ResourceOptions(parent=self)
        meta_labels = {
            **labels(COMPONENT, app.id),
            "ztkit.io/app": app.id,
            "ztkit.io/phase": str(args.phase),
        }

        # Signs and encrypts the session cookie; rotating it signs everyone out,
        # so it is kept.
        cookie_secret = random.RandomPassword(
            f"{name}-cookie-secret",
            length=32,
            special=False,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )

        # Holds the client and cookie secrets, read by the proxy's environment.
        k8s.core.v1.Secret(
            f"{name}-secret",
            metadata={"name": proxy, "namespace": app.namespace, "labels": meta_labels},
            type="Opaque",
            string_data={
                "client-secret": args.client_secret,
                "cookie-secret": cookie_secret.result,
            },
            opts=child,
        )

        # The proxy itself, answering the gateway's checks for this app only.
        deployment = proxy_deployment(args)
        declare(
            f"{name}-deployment",
            {"apiVersion": "apps/v1", "kind": "Deployment", **deployment},
            child,
        )

        # A stable address for the gateway's checks and the /oauth2/ route.
        metadata = {"name": proxy, "namespace": app.namespace, "labels": meta_labels}
        declare(
            f"{name}-service",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": metadata,
                "spec": service_spec(COMPONENT, app.id, PROXY_PORT),
            },
            child,
        )

        # Keeps one proxy up through node drains; without it the app is unreachable.
        declare(
            f"{name}-disruption-budget",
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": metadata,
                "spec": disruption_budget_spec(COMPONENT, app.id),
            },
            child,
        )

        self._route(name, args, proxy, meta_labels, child)
        self.register_outputs({"proxy": proxy, "host": app.host})

    def _route(
        self,
        name: str,
        args: AccessProxyArgs,
        proxy: str,
        meta_labels: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> None:
        app, gateway = args.app, args.gateway
        if gateway.kind == "ingress-nginx":
            # Sign-in, callback and sign-out pages of the proxy, open to all.
            sign_in = ingress(
                f"{app.id}-oauth2",
                app.namespace,
                app.host,
                "/oauth2",
                proxy,
                PROXY_PORT,
                gateway,
                meta_labels,
            )
            declare(f"{name}-sign-in-ingress", sign_in, child)

            # The app, behind nginx's auth_request to the proxy (or the gate).
            guarded = ingress(
                app.id,
                app.namespace,
                app.host,
                "/",
                app.id,
                app.port,
                gateway,
                meta_labels,
                auth_service=proxy,
                gate=args.posture_gate,
            )
            declare(f"{name}-app-ingress", guarded, child)
            return

        # Sign-in, callback and sign-out pages of the proxy, open to all.
        sign_in = http_route(
            f"{app.id}-oauth2",
            app.namespace,
            app.host,
            "/oauth2/",
            proxy,
            PROXY_PORT,
            gateway,
            meta_labels,
        )
        declare(f"{name}-sign-in-route", sign_in, child)

        # The app itself; reachable only through the policy below.
        guarded = http_route(
            app.id, app.namespace, app.host, "/", app.id, app.port, gateway, meta_labels
        )
        declare(f"{name}-app-route", guarded, child)

        # External auth on the app's route: no approval from the proxy (or the
        # posture gate), no request.
        policy = external_auth_policy(
            f"{app.id}-external-auth",
            app.namespace,
            app.id,
            proxy,
            meta_labels,
            gate=args.posture_gate,
        )
        declare(f"{name}-external-auth", policy, child)
