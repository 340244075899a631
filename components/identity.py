"""Phase 1: the identity provider, with MFA for everyone and a client per app."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from assessment.inventory import Application, Inventory
from components.declare import declare
from components.gateway_routes import http_route, ingress
from components.realm import build_realm
from components.settings import (
    KeycloakSettings,
    OidcSettings,
    PostgresDatabase,
    StackSettings,
)
from components.workload import (
    disruption_budget_spec,
    http_probe,
    labels,
    resources,
    restricted_container_security,
    restricted_namespace_metadata,
    restricted_pod_security,
    selector,
    service_spec,
)

COMPONENT = "keycloak"
KEYCLOAK_USER = 1000
HTTP_PORT = 8080
MANAGEMENT_PORT = 9000
REALM_FILE = "ztkit-realm.json"


@dataclass(frozen=True)
class IdentityProviderArgs:
    """What the identity provider needs."""

    inventory: Inventory
    apps: Sequence[Application]
    settings: StackSettings
    phase: int
    database_password: pulumi.Input[str] | None = None
    """Keycloak's PostgreSQL password, from secret config (external database only)."""
    oidc_client_secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Client secrets per app id, from secret config (OIDC mode only)."""


def keycloak_environment(
    settings: StackSettings, keycloak: KeycloakSettings
) -> list[dict[str, Any]]:
    """Keycloak's environment: hostname, proxy trust, health, database, admin."""
    environment: list[dict[str, Any]] = [
        {"name": "KC_HOSTNAME", "value": f"https://{settings.keycloak_hostname}"},
        {"name": "KC_HTTP_ENABLED", "value": "true"},
        {"name": "KC_PROXY_HEADERS", "value": "xforwarded"},
        # Forwarded headers count only when they come from the gateway's pods.
        {
            "name": "KC_PROXY_TRUSTED_ADDRESSES",
            "value": ",".join(settings.gateway.proxy_cidrs),
        },
        {"name": "KC_HEALTH_ENABLED", "value": "true"},
        {"name": "KC_METRICS_ENABLED", "value": "true"},
        _from_secret("KC_BOOTSTRAP_ADMIN_USERNAME", "keycloak-admin", "username"),
        _from_secret("KC_BOOTSTRAP_ADMIN_PASSWORD", "keycloak-admin", "password"),
    ]
    database = keycloak.database
    if isinstance(database, PostgresDatabase):
        environment += [
            {"name": "KC_DB", "value": "postgres"},
            {"name": "KC_DB_URL_HOST", "value": database.host},
            {"name": "KC_DB_URL_PORT", "value": str(database.port)},
            {"name": "KC_DB_URL_DATABASE", "value": database.database},
            {"name": "KC_DB_USERNAME", "value": database.username},
            _from_secret("KC_DB_PASSWORD", "keycloak-database", "password"),
        ]
    else:
        environment.append({"name": "KC_DB", "value": "dev-file"})
    return environment


def _from_secret(variable: str, secret: str, key: str) -> dict[str, Any]:
    return {
        "name": variable,
        "valueFrom": {"secretKeyRef": {"name": secret, "key": key}},
    }


def keycloak_deployment(
    settings: StackSettings, keycloak: KeycloakSettings, phase: int
) -> dict[str, Any]:
    """The Keycloak Deployment: realm imported at start, data on a volume."""
    pod_labels = labels(COMPONENT, keycloak.realm)
    volumes: list[dict[str, Any]] = [
        {"name": "realm", "secret": {"secretName": "keycloak-realm"}},
        {"name": "tmp", "emptyDir": {}},
    ]
    mounts = [
        {"name": "realm", "mountPath": "/opt/keycloak/data/import", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    if not isinstance(keycloak.database, PostgresDatabase):
        volumes.append(
            {"name": "data", "persistentVolumeClaim": {"claimName": "keycloak-data"}}
        )
        mounts.append({"name": "data", "mountPath": "/opt/keycloak/data/h2"})
    return {
        "metadata": {
            "name": COMPONENT,
            "namespace": keycloak.namespace,
            "labels": {**pod_labels, "ztkit.io/phase": str(phase)},
        },
        "spec": {
            "replicas": keycloak.replicas,
            # The file database allows one writer: never run two side by side.
            "strategy": {"type": "Recreate"}
            if not isinstance(keycloak.database, PostgresDatabase)
            else {"type": "RollingUpdate"},
            "selector": {"matchLabels": selector(COMPONENT, keycloak.realm)},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(KEYCLOAK_USER),
                    "containers": [
                        {
                            "name": COMPONENT,
                            "image": keycloak.image,
                            "imagePullPolicy": "Always",
                            "args": ["start", "--import-realm"],
                            "env": keycloak_environment(settings, keycloak),
                            "ports": [
                                {"name": "http", "containerPort": HTTP_PORT},
                                {
                                    "name": "management",
                                    "containerPort": MANAGEMENT_PORT,
                                },
                            ],
                            "startupProbe": {
                                **http_probe("/health/started", "management", delay=10),
                                "failureThreshold": 30,
                            },
                            "livenessProbe": http_probe("/health/live", "management"),
                            "readinessProbe": http_probe("/health/ready", "management"),
                            "resources": resources("250m", "768Mi", "2", "1536Mi"),
                            # Keycloak writes its build cache under /opt/keycloak.
                            "securityContext": restricted_container_security(
                                read_only_root=False
                            ),
                            "volumeMounts": mounts,
                        }
                    ],
                    "volumes": volumes,
                },
            },
        },
    }


class IdentityProvider(pulumi.ComponentResource):
    """Keycloak in the cluster, or an external OIDC issuer, for the wave's apps."""

    issuer_url: str
    client_secrets: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: IdentityProviderArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ztkit:identity:IdentityProvider", name, None, opts)
        settings = args.settings
        self.issuer_url = settings.issuer_url

        if isinstance(settings.idp, OidcSettings):
            self.client_ids = {
                app.id: settings.idp.client_ids.get(app.id, app.id) for app in args.apps
            }
            self.client_secrets = {
                app.id: pulumi.Output.secret(args.oidc_client_secrets[app.id])
                for app in args.apps
            }
        else:
            self.client_ids = {app.id: app.id for app in args.apps}
            self.client_secrets = self._keycloak(name, args, settings.idp)
        self.register_outputs({"issuer_url": self.issuer_url})

    def _keycloak(
        self, name: str, args: IdentityProviderArgs, keycloak: KeycloakSettings
    ) -> dict[str, pulumi.Output[str]]:
        settings = args.settings
        namespace = keycloak.namespace
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=True)
        meta_labels = {
            **labels(COMPONENT, keycloak.realm),
            "ztkit.io/phase": str(args.phase),
        }

        # Keycloak's own namespace, held to the restricted Pod Security Standard.
        k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=restricted_namespace_metadata(namespace, meta_labels),
            opts=child,
        )

        # One client secret per app; the realm and the app's proxy share it.
        secrets = {
            app.id: random.RandomPassword(
                f"{name}-{app.id}-client-secret", length=40, special=False, opts=kept
            ).result
            for app in args.apps
        }

        # The realm, imported on every start: clients, groups, roles and MFA. It
        # is built from secret outputs, so Pulumi keeps it secret too.
        realm_json: pulumi.Output[str] = pulumi.Output.all(**secrets).apply(
            lambda resolved: json.dumps(
                build_realm(args.inventory, args.apps, keycloak.realm, resolved),
                indent=2,
            )
        )
        k8s.core.v1.Secret(
            f"{name}-realm",
            metadata={
                "name": "keycloak-realm",
                "namespace": namespace,
                "labels": meta_labels,
            },
            type="Opaque",
            string_data={REALM_FILE: realm_json},
            opts=child,
        )

        # The first administrator; only for break-glass access to the console.
        admin_password = random.RandomPassword(
            f"{name}-admin-password", length=32, special=False, opts=kept
        )
        k8s.core.v1.Secret(
            f"{name}-admin",
            metadata={
                "name": "keycloak-admin",
                "namespace": namespace,
                "labels": meta_labels,
            },
            type="Opaque",
            string_data={"username": "ztkit-admin", "password": admin_password.result},
            opts=child,
        )

        if isinstance(keycloak.database, PostgresDatabase):
            # The external database's password, from the stack's secret config.
            assert args.database_password is not None
            k8s.core.v1.Secret(
                f"{name}-database",
                metadata={
                    "name": "keycloak-database",
                    "namespace": namespace,
                    "labels": meta_labels,
                },
                type="Opaque",
                string_data={"password": pulumi.Output.secret(args.database_password)},
                opts=child,
            )
        else:
            # The development database's files: users and their second factors.
            declare(
                f"{name}-data",
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {
                        "name": "keycloak-data",
                        "namespace": namespace,
                        "labels": meta_labels,
                    },
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {
                            "requests": {"storage": keycloak.database.storage}
                        },
                    },
                },
                kept,
            )

        # Keycloak itself.
        deployment = keycloak_deployment(settings, keycloak, args.phase)
        declare(
            f"{name}-deployment",
            {"apiVersion": "apps/v1", "kind": "Deployment", **deployment},
            child,
        )

        # Where the gateway and the access proxies reach it.
        declare(
            f"{name}-service",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": COMPONENT,
                    "namespace": namespace,
                    "labels": meta_labels,
                    # Sign-in pages are reached before any session exists.
                    "annotations": {"ztkit.io/sign-in": "true"},
                },
                "spec": service_spec(COMPONENT, keycloak.realm, HTTP_PORT),
            },
            child,
        )

        if keycloak.replicas > 1:
            # Keeps sign-in available through node drains.
            declare(
                f"{name}-disruption-budget",
                {
                    "apiVersion": "policy/v1",
                    "kind": "PodDisruptionBudget",
                    "metadata": {
                        "name": COMPONENT,
                        "namespace": namespace,
                        "labels": meta_labels,
                    },
                    "spec": disruption_budget_spec(COMPONENT, keycloak.realm),
                },
                child,
            )

        self._route(name, settings, keycloak, meta_labels, child)
        return secrets

    def _route(
        self,
        name: str,
        settings: StackSettings,
        keycloak: KeycloakSettings,
        meta_labels: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> None:
        host = settings.keycloak_hostname
        if settings.gateway.kind == "ingress-nginx":
            # Sign-in pages through the legacy ingress.
            route = ingress(
                COMPONENT,
                keycloak.namespace,
                host,
                "/",
                COMPONENT,
                HTTP_PORT,
                settings.gateway,
                meta_labels,
            )
            declare(f"{name}-ingress", route, child)
            return

        # Sign-in pages through the gateway.
        route = http_route(
            COMPONENT,
            keycloak.namespace,
            host,
            "/",
            COMPONENT,
            HTTP_PORT,
            settings.gateway,
            meta_labels,
        )
        declare(f"{name}-route", route, child)
