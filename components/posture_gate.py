"""Phase 4: the device posture gate, and the gateway and network wired to it.

The gate answers the gateway's external-auth check for every app of the wave:
it asks the app's oauth2-proxy who is signed in, looks the device up by its
client certificate, and decides by the app's data classification. Its
configuration is the gate's own schema (:class:`gate.config.GateConfig`),
built from the inventory and the ``ztkit:posture`` settings, so a setting the
gate would refuse stops the program instead of the pods.

Device state lives in two places. The MDM export job writes the whole fleet
to a ConfigMap the gate mounts and rereads: that file is the source of truth.
Pushes from MDM between exports go to Redis, so that every replica sees them;
Redis keeps nothing on disk, since the next export and MDM's retries restore
what a restart loses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml
from pydantic import ValidationError

from assessment.inventory import Application
from components import posture_store as store
from components.access_proxy import COMPONENT as PROXY_COMPONENT
from components.access_proxy import proxy_url, session_cookie
from components.declare import declare
from components.device_ca import device_ca_beside_apps, device_ca_objects
from components.errors import StackConfigError
from components.gateway_routes import PROXY_PORT, http_route, ingress
from components.posture_routes import (
    ENVOY_CLIENT_ADDRESS_HEADER,
    ENVOY_CLIENT_CERTIFICATE_HEADER,
    GATE_PORT,
    METRICS_PORT,
    NGINX_CERTIFICATE_HEADER,
    NGINX_CLIENT_ADDRESS_HEADER,
    NGINX_VERIFY_HEADER,
    PUSH_PATH,
    PostureGateTarget,
    gateway_objects,
)
from components.segmentation import (
    NAMESPACE_LABEL,
    dns_egress,
    gateway_peer,
    network_policy,
    outside_cluster,
    peer_pods,
    port_rule,
)
from components.settings import ExternalRedis, StackSettings
from components.workload import (
    disruption_budget_spec,
    http_probe,
    labels,
    native,
    resources,
    restricted_container_security,
    restricted_namespace_metadata,
    restricted_pod_security,
    selector,
)
from gate.config import (
    ClientCertificateSettings,
    FeedSettings,
    GateApp,
    GateConfig,
    IdentitySettings,
    PushSettings,
    StoreSettings,
)

COMPONENT = "posture-gate"
INSTANCE = "ztkit"
GATE_USER = 65532
PUSH_KEY_SECRET = f"{COMPONENT}-push-key"
CONFIG_DIR = "/etc/ztkit-gate"
CONFIG_FILE = "gate.yaml"
FEED_DIR = "/var/run/ztkit-gate/feed"
PUSH_KEY_DIR = "/var/run/ztkit-gate/push"
PUSH_KEY_FILE = "push.key"
REDIS_URL_VARIABLE = StoreSettings().redis_url_env
CONFIG_DIGEST_ANNOTATION = "ztkit.io/config-sha256"
GATE_ARGUMENTS = [
    "serve",
    "--config",
    f"{CONFIG_DIR}/{CONFIG_FILE}",
    "--host",
    "0.0.0.0",
    "--port",
    str(GATE_PORT),
    "--metrics-port",
    str(METRICS_PORT),
]


@dataclass(frozen=True)
class PostureGateArgs:
    """The wave, the settings, and the values that come from secret config."""

    apps: Sequence[Application]
    settings: StackSettings
    phase: int = 4
    push_key: pulumi.Input[str] | None = None
    """The HMAC key MDM signs pushes with (``ztkit:gatePushKey``); without it
    the push endpoint is off and devices come from the feed alone."""
    redis_url: pulumi.Input[str] | None = None
    """The external Redis's URL (``ztkit:gateRedisUrl``); external Redis only."""
    device_ca_certificate: str | None = None
    """The device CA's PEM (``ztkit:deviceCaCertificate``); provided CA only."""


def gate_target(settings: StackSettings) -> PostureGateTarget:
    """Where the gateway reaches the gate: known before the gate is declared."""
    return PostureGateTarget(
        service=COMPONENT,
        namespace=settings.posture.namespace,
        device_ca_beside_apps=device_ca_beside_apps(settings),
    )


def gate_config(
    apps: Sequence[Application], settings: StackSettings, *, push_key: bool
) -> GateConfig:
    """The gate's configuration, validated by the gate's own schema.

    Raises:
        StackConfigError: the wave and settings make a configuration the gate
            would refuse; names the gate's field and value.
    """
    try:
        return _gate_config(apps, settings, push_key=push_key)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise StackConfigError(
            f"ztkit:posture: the gate refuses its configuration: {field}: "
            f"{first['input']!r}: {first['msg']}"
        ) from None


def _gate_config(
    apps: Sequence[Application], settings: StackSettings, *, push_key: bool
) -> GateConfig:
    posture, gateway = settings.posture, settings.gateway
    if gateway.kind == "envoy-gateway":
        # Envoy writes the XFCC header only for a certificate it verified.
        certificate = ClientCertificateSettings(
            format="xfcc", certificate_header=ENVOY_CLIENT_CERTIFICATE_HEADER
        )
        address_header = ENVOY_CLIENT_ADDRESS_HEADER
    else:
        certificate = ClientCertificateSettings(
            format="pem",
            certificate_header=NGINX_CERTIFICATE_HEADER,
            verify_header=NGINX_VERIFY_HEADER,
        )
        address_header = NGINX_CLIENT_ADDRESS_HEADER
    cookies = [session_cookie(app) for app in apps]
    identity = IdentitySettings(cookie_names=cookies) if cookies else IdentitySettings()
    push = PushSettings()
    if push_key:
        push = PushSettings(key_file=Path(PUSH_KEY_DIR) / PUSH_KEY_FILE)
    return GateConfig(
        posture=posture.checks,
        access=posture.access,
        apps=[
            GateApp(
                id=app.id,
                host=app.host,
                classification=app.classification,
                readers=app.readers,
                writers=app.writers,
                identity_url=proxy_url(app),
            )
            for app in apps
        ],
        identity=identity,
        client_certificate=certificate,
        feed=FeedSettings(
            path=Path(FEED_DIR) / posture.feed.key,
            reload_interval=posture.feed.reload_interval,
        ),
        push=push,
        store=StoreSettings(required=posture.redis.required),
        trusted_peers=list(gateway.proxy_cidrs),
        office_networks=list(posture.office_networks),
        client_address_header=address_header,
    )


def config_yaml(config: GateConfig) -> str:
    """The configuration file, as the gate reads it."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)


def gate_deployment(
    settings: StackSettings, config_text: str, *, push_key: bool, phase: int
) -> dict[str, Any]:
    """The gate's Deployment: restricted, probed, spread over nodes, and
    restarted whenever its configuration changes."""
    posture = settings.posture
    pod_labels = labels(COMPONENT, INSTANCE)
    volumes: list[dict[str, Any]] = [
        {"name": "config", "configMap": {"name": COMPONENT}},
        # The MDM export job owns this ConfigMap; the gate starts without it.
        {
            "name": "feed",
            "configMap": {"name": posture.feed.config_map, "optional": True},
        },
        {"name": "tmp", "emptyDir": {}},
    ]
    mounts = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "feed", "mountPath": FEED_DIR, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    if push_key:
        volumes.append(
            {
                "name": "push-key",
                "secret": {"secretName": PUSH_KEY_SECRET, "defaultMode": 0o440},
            }
        )
        mounts.append({"name": "push-key", "mountPath": PUSH_KEY_DIR, "readOnly": True})
    digest = hashlib.sha256(config_text.encode()).hexdigest()
    return {
        "metadata": {
            "name": COMPONENT,
            "namespace": posture.namespace,
            "labels": {**pod_labels, "ztkit.io/phase": str(phase)},
        },
        "spec": {
            "replicas": posture.replicas,
            "selector": {"matchLabels": selector(COMPONENT, INSTANCE)},
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {CONFIG_DIGEST_ANNOTATION: digest},
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(GATE_USER),
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {
                                "matchLabels": selector(COMPONENT, INSTANCE)
                            },
                        }
                    ],
                    "containers": [
                        {
                            "name": COMPONENT,
                            "image": posture.image,
                            "imagePullPolicy": "Always",
                            "args": list(GATE_ARGUMENTS),
                            "env": [
                                {
                                    "name": REDIS_URL_VARIABLE,
                                    "valueFrom": {
                                        "secretKeyRef": {
                                            "name": store.NAME,
                                            "key": "url",
                                        }
                                    },
                                }
                            ],
                            "ports": [
                                {"name": "http", "containerPort": GATE_PORT},
                                {"name": "metrics", "containerPort": METRICS_PORT},
                            ],
                            "livenessProbe": http_probe("/healthz", "http"),
                            "readinessProbe": http_probe("/readyz", "http", period=5),
                            "resources": resources("50m", "96Mi", "1", "256Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": mounts,
                        }
                    ],
                    "volumes": volumes,
                },
            },
        },
    }


def gate_service_spec() -> dict[str, Any]:
    """The gate's Service: checks on ``http``, Prometheus on ``metrics``."""
    return {
        "selector": selector(COMPONENT, INSTANCE),
        "ports": [
            {"name": "http", "port": GATE_PORT, "targetPort": "http"},
            {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics"},
        ],
    }


def push_route(settings: StackSettings, meta_labels: dict[str, str]) -> dict[str, Any]:
    """The route MDM pushes through: ``/push/devices`` on ``posture.push_hostname``
    to the gate, without external auth (the HMAC signature is the check)."""
    posture, gateway = settings.posture, settings.gateway
    assert posture.push_hostname is not None
    arguments = (
        f"{COMPONENT}-push",
        posture.namespace,
        posture.push_hostname,
        PUSH_PATH,
        COMPONENT,
        GATE_PORT,
        gateway,
        meta_labels,
    )
    if gateway.kind == "ingress-nginx":
        return ingress(*arguments)
    return http_route(*arguments)


def posture_gate_policies(
    apps: Sequence[Application], settings: StackSettings, phase: int = 4
) -> list[dict[str, Any]]:
    """The NetworkPolicies of phase 4.

    The gate's namespace denies everything, then allows DNS; the gateway to
    the gate's checks (8080); the metrics namespace, if one is set, to its
    metrics (9090); the gate to each wave app's oauth2-proxy (4180) and to
    Redis; Redis to be reached by the gate alone. Each wave app's namespace
    also lets the gate reach its oauth2-proxy.
    """
    posture = settings.posture
    namespace = posture.namespace
    from_gate = {"from": [peer_pods(namespace, selector(COMPONENT, INSTANCE))]}
    policies = [
        network_policy(
            "default-deny", namespace, {}, ingress=[], egress=[], phase=phase
        ),
        network_policy("allow-dns", namespace, {}, egress=[dns_egress()], phase=phase),
    ]

    ingress = [
        {"from": [gateway_peer(settings.gateway)], "ports": [port_rule(GATE_PORT)]}
    ]
    if posture.metrics_namespace:
        scrapers = {
            "namespaceSelector": {
                "matchLabels": {NAMESPACE_LABEL: posture.metrics_namespace}
            }
        }
        ingress.append({"from": [scrapers], "ports": [port_rule(METRICS_PORT)]})
    egress: list[dict[str, Any]] = []
    if apps:
        proxies = [
            peer_pods(app.namespace, selector(PROXY_COMPONENT, app.id)) for app in apps
        ]
        egress.append({"to": proxies, "ports": [port_rule(PROXY_PORT)]})
    redis = posture.redis
    if isinstance(redis, ExternalRedis):
        egress.append(
            {"to": [outside_cluster(redis.cidr)], "ports": [port_rule(redis.port)]}
        )
    else:
        redis_pods = store.store_selector()
        egress.append(
            {"to": [peer_pods(namespace, redis_pods)], "ports": [port_rule(store.PORT)]}
        )
        policies.append(
            network_policy(
                store.NAME,
                namespace,
                redis_pods,
                ingress=[{**from_gate, "ports": [port_rule(store.PORT)]}],
                egress=[],
                phase=phase,
            )
        )
    policies.append(
        network_policy(
            COMPONENT,
            namespace,
            selector(COMPONENT, INSTANCE),
            ingress=ingress,
            egress=egress,
            phase=phase,
        )
    )

    for app in apps:
        policies.append(
            network_policy(
                f"{app.id}-oauth2-proxy-from-posture-gate",
                app.namespace,
                selector(PROXY_COMPONENT, app.id),
                app=app.id,
                phase=phase,
                ingress=[{**from_gate, "ports": [port_rule(PROXY_PORT)]}],
            )
        )
    return policies


class PostureGate(pulumi.ComponentResource):
    """The posture gate in its own namespace, with its device CA, its store,
    the gateway's side of the wiring and its NetworkPolicies."""

    def __init__(
        self,
        name: str,
        args: PostureGateArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ztkit:posture_gate:PostureGate", name, None, opts)
        settings = args.settings
        posture = settings.posture
        namespace = posture.namespace
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=True)
        meta_labels = {
            **labels(COMPONENT, INSTANCE),
            "ztkit.io/phase": str(args.phase),
        }
        push_key = args.push_key is not None
        config_text = config_yaml(gate_config(args.apps, settings, push_key=push_key))

        if posture.replicas < 2:
            pulumi.log.warn(
                f"ztkit:posture.replicas is {posture.replicas}: every request to "
                "the wave's apps waits on the gate; run two or more",
                self,
            )

        # The gate's own namespace, held to the restricted Pod Security Standard.
        k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=restricted_namespace_metadata(namespace, meta_labels),
            opts=child,
        )

        # The gate's configuration; no secret is in it, only where to find them.
        k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={"name": COMPONENT, "namespace": namespace, "labels": meta_labels},
            data={CONFIG_FILE: config_text},
            opts=child,
        )

        if args.push_key is not None:
            # The key MDM signs its pushes with, mounted as a file.
            k8s.core.v1.Secret(
                f"{name}-push-key",
                metadata={
                    "name": PUSH_KEY_SECRET,
                    "namespace": namespace,
                    "labels": meta_labels,
                },
                type="Opaque",
                string_data={PUSH_KEY_FILE: pulumi.Output.secret(args.push_key)},
                opts=child,
            )

        self._store(name, args, child, kept)

        # The CA device certificates are checked against. Replacing an
        # in-cluster one means reissuing every device's certificate, so its
        # Certificate is kept.
        for manifest in device_ca_objects(
            settings, args.apps, args.device_ca_certificate, meta_labels
        ):
            kind, metadata = manifest["kind"], manifest["metadata"]
            resource = (
                f"{name}-{kind.lower()}-{metadata['namespace']}-{metadata['name']}"
            )
            if kind == "Secret":
                k8s.core.v1.Secret(
                    resource,
                    metadata=native(metadata),
                    type=manifest["type"],
                    string_data=manifest["stringData"],
                    opts=child,
                )
            else:
                declare(resource, manifest, kept if kind == "Certificate" else child)

        # The gate itself, answering every wave app's external-auth check.
        deployment = gate_deployment(
            settings, config_text, push_key=push_key, phase=args.phase
        )
        declare(
            f"{name}-deployment",
            {"apiVersion": "apps/v1", "kind": "Deployment", **deployment},
            child,
        )

        # A stable address for the gateway's checks and for scraping.
        metadata = {"name": COMPONENT, "namespace": namespace, "labels": meta_labels}
        declare(
            f"{name}-service",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": metadata,
                "spec": gate_service_spec(),
            },
            child,
        )

        if posture.replicas > 1:
            # Keeps one gate up through node drains; without it no app answers.
            declare(
                f"{name}-disruption-budget",
                {
                    "apiVersion": "policy/v1",
                    "kind": "PodDisruptionBudget",
                    "metadata": metadata,
                    "spec": disruption_budget_spec(COMPONENT, INSTANCE),
                },
                child,
            )

        if posture.push_hostname:
            # MDM's way in for pushes between exports; nothing else of the
            # gate is routed.
            declare(f"{name}-push-route", push_route(settings, meta_labels), child)

        # The gateway's side: device certificates asked for and handed over,
        # and permission to call the gate across namespaces.
        target = gate_target(settings)
        for manifest in gateway_objects(args.apps, settings, target, meta_labels):
            metadata = manifest["metadata"]
            kind = manifest["kind"].lower()
            declare(
                f"{name}-{kind}-{metadata['namespace']}-{metadata['name']}",
                manifest,
                child,
            )

        # Default deny around the gate, and the few paths it needs.
        for policy in posture_gate_policies(args.apps, settings, args.phase):
            metadata = policy["metadata"]
            declare(f"{name}-{metadata['namespace']}-{metadata['name']}", policy, child)

        self.auth_url = target.auth_url
        self.register_outputs({"namespace": namespace, "auth_url": self.auth_url})

    def _store(
        self,
        name: str,
        args: PostureGateArgs,
        child: pulumi.ResourceOptions,
        kept: pulumi.ResourceOptions,
    ) -> None:
        """Where the replicas share pushed device records: the platform's Redis
        (only its URL is declared) or a small one beside the gate."""
        settings = args.settings
        namespace = settings.posture.namespace
        redis = settings.posture.redis
        metadata = {
            "name": store.NAME,
            "namespace": namespace,
            "labels": {**store.store_labels(), "ztkit.io/phase": str(args.phase)},
        }
        if isinstance(redis, ExternalRedis):
            # The platform's Redis; its URL may hold a password, so it is secret.
            assert args.redis_url is not None
            k8s.core.v1.Secret(
                f"{name}-redis-secret",
                metadata=native(metadata),
                type="Opaque",
                string_data={"url": pulumi.Output.secret(args.redis_url)},
                opts=child,
            )
            return

        # Redis's password: the store is only reachable from the gate, and
        # this keeps it closed if a policy is ever loosened.
        password = random.RandomPassword(
            f"{name}-redis-password", length=32, special=False, opts=kept
        ).result
        k8s.core.v1.Secret(
            f"{name}-redis-secret",
            metadata=native(metadata),
            type="Opaque",
            string_data={
                "password": password,
                "url": password.apply(lambda value: store.store_url(namespace, value)),
            },
            opts=child,
        )

        # The store that shares pushed device records between the replicas.
        deployment = store.redis_deployment(settings, redis, args.phase)
        declare(
            f"{name}-redis-deployment",
            {"apiVersion": "apps/v1", "kind": "Deployment", **deployment},
            child,
        )

        # Where the gate finds it.
        declare(
            f"{name}-redis-service",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": metadata,
                "spec": store.redis_service_spec(),
            },
            child,
        )
