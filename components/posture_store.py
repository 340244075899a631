"""The store the posture gate's replicas share pushed device records through.

A single Redis beside the gate, kept in memory only: the MDM feed is the
source of truth and MDM sends its pushes again, so a restart loses nothing
that does not come back. A full store refuses writes instead of evicting, so
that a device's newer state is never silently replaced by the feed's older
one.
"""

from __future__ import annotations

from typing import Any

from components.settings import InClusterRedis, StackSettings
from components.workload import (
    labels,
    resources,
    restricted_container_security,
    restricted_pod_security,
    selector,
)

COMPONENT = "redis"
INSTANCE = "posture-gate"
NAME = "posture-gate-redis"
"""The Redis Deployment and Service, and the Secret with its password and URL."""
PORT = 6379
USER = 10001
PASSWORD_VARIABLE = "REDIS_PASSWORD"


def store_labels() -> dict[str, str]:
    """The labels of the Redis pods."""
    return labels(COMPONENT, INSTANCE)


def store_selector() -> dict[str, str]:
    """The labels that select the Redis pods."""
    return selector(COMPONENT, INSTANCE)


def store_url(namespace: str, password: str) -> str:
    """The URL the gate connects to Redis with."""
    return f"redis://:{password}@{NAME}.{namespace}.svc.cluster.local:{PORT}/0"


def redis_deployment(
    settings: StackSettings, redis: InClusterRedis, phase: int
) -> dict[str, Any]:
    """One Redis without persistence, its password from the shared Secret."""
    pod_labels = labels(COMPONENT, INSTANCE)
    return {
        "metadata": {
            "name": NAME,
            "namespace": settings.posture.namespace,
            "labels": {**pod_labels, "ztkit.io/phase": str(phase)},
        },
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector(COMPONENT, INSTANCE)},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(USER),
                    "containers": [
                        {
                            "name": COMPONENT,
                            "image": redis.image,
                            "imagePullPolicy": "Always",
                            "command": ["redis-server"],
                            # Nothing on disk; a full store refuses writes
                            # rather than evicting a device's newer state.
                            "args": [
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--requirepass",
                                f"$({PASSWORD_VARIABLE})",
                                "--maxmemory",
                                "200mb",
                                "--maxmemory-policy",
                                "noeviction",
                            ],
                            "env": [
                                {
                                    "name": PASSWORD_VARIABLE,
                                    "valueFrom": {
                                        "secretKeyRef": {
                                            "name": NAME,
                                            "key": "password",
                                        }
                                    },
                                }
                            ],
                            "ports": [{"name": "redis", "containerPort": PORT}],
                            "livenessProbe": _tcp_probe("redis"),
                            "readinessProbe": _tcp_probe("redis"),
                            "resources": resources("25m", "32Mi", "500m", "256Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                },
            },
        },
    }


def _tcp_probe(port: str) -> dict[str, Any]:
    return {
        "tcpSocket": {"port": port},
        "initialDelaySeconds": 5,
        "periodSeconds": 10,
        "timeoutSeconds": 3,
        "failureThreshold": 3,
    }


def redis_service_spec() -> dict[str, Any]:
    """The Redis Service: one port, named ``redis``."""
    return {
        "selector": selector(COMPONENT, INSTANCE),
        "ports": [{"name": "redis", "port": PORT, "targetPort": "redis"}],
    }
