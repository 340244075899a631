"""Pod building blocks every ztkit workload shares.

Plain functions returning Kubernetes specs as dicts, so that tests can check
them without a Pulumi engine.
"""

from __future__ import annotations

from typing import Any

MANAGED_BY = {"app.kubernetes.io/managed-by": "ztkit"}


def labels(component: str, instance: str) -> dict[str, str]:
    """The labels of a ztkit workload; the first two also select its pods."""
    return {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/instance": instance,
        **MANAGED_BY,
    }


def selector(component: str, instance: str) -> dict[str, str]:
    """The labels a Service or disruption budget selects the pods by."""
    return {"app.kubernetes.io/name": component, "app.kubernetes.io/instance": instance}


def restricted_namespace_metadata(name: str, labels: dict[str, str]) -> Any:
    """A namespace's metadata that holds its pods to the restricted Pod Security
    Standard, refusing any pod that asks for more (``Any`` as with ``native``)."""
    return {
        "name": name,
        "labels": {
            **labels,
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        },
    }


def restricted_pod_security(user: int) -> dict[str, Any]:
    """A pod security context that meets the restricted Pod Security Standard."""
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "fsGroup": user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_container_security(read_only_root: bool = True) -> dict[str, Any]:
    """A container security context that meets the restricted Pod Security Standard."""
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": read_only_root,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def http_probe(
    path: str, port: str, *, delay: int = 5, period: int = 10
) -> dict[str, Any]:
    """An HTTP GET probe on a named container port."""
    return {
        "httpGet": {"path": path, "port": port},
        "initialDelaySeconds": delay,
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": 3,
    }


def resources(
    cpu: str, memory: str, cpu_limit: str, memory_limit: str
) -> dict[str, Any]:
    """Requests and limits for a container."""
    return {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"cpu": cpu_limit, "memory": memory_limit},
    }


def service_spec(component: str, instance: str, port: int) -> dict[str, Any]:
    """A Service in front of a workload's pods, on their port named ``http``."""
    return {
        "selector": selector(component, instance),
        "ports": [{"name": "http", "port": port, "targetPort": "http"}],
    }


def disruption_budget_spec(component: str, instance: str) -> dict[str, Any]:
    """Keeps at least one of a workload's pods running through voluntary evictions."""
    return {
        "minAvailable": 1,
        "selector": {"matchLabels": selector(component, instance)},
    }


def native(fields: dict[str, Any]) -> Any:
    """Kubernetes field names (camelCase) for a pulumi-kubernetes argument.

    The SDK passes Kubernetes' own field names through unchanged, which keeps
    the specs here identical to the manifests they become; its type hints only
    know the snake_case spelling, hence the ``Any``.
    """
    return fields
