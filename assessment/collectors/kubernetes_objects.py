"""Kubernetes objects as the checks read them, from manifests or a cluster.

An object is the plain mapping the API server serves (or a manifest holds),
with where it came from. Reading a field checks its type, so a malformed
manifest stops with one line naming the file, the document and the field
instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from assessment.collectors.errors import ManifestError

WORKLOAD_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
)
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "IngressClass",
        "GatewayClass",
        "PriorityClass",
        "RuntimeClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "APIService",
        "ClusterIssuer",
    }
)
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
"""Namespaces Kubernetes itself runs; the checks leave them alone."""
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

Path = tuple[str | int, ...]
_TYPE_NAMES: dict[type, str] = {
    dict: "a mapping",
    list: "a list",
    str: "text",
    bool: "true or false",
    int: "a whole number",
}


@dataclass(frozen=True)
class KubeObject:
    """One Kubernetes object and where it came from."""

    body: Mapping[str, Any]
    origin: str
    """``file.yaml document 2`` (``... items[3]`` inside a List), or
    ``cluster``."""

    @property
    def kind(self) -> str:
        """The object's kind, e.g. ``Deployment``."""
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return str(self.get(("metadata", "name"), str, ""))

    @property
    def namespace(self) -> str | None:
        """The object's namespace (``default`` when a manifest leaves it
        out), or None for cluster-scoped kinds."""
        if self.kind in CLUSTER_SCOPED:
            return None
        return str(self.get(("metadata", "namespace"), str, "") or "default")

    @property
    def reference(self) -> str:
        """``Deployment payroll/api`` or ``Namespace payroll``."""
        if self.namespace is None:
            return f"{self.kind} {self.name}"
        return f"{self.kind} {self.namespace}/{self.name}"

    def get(self, path: Path, expected: type, default: Any = None) -> Any:
        """The value at ``path``, or ``default`` when it (or a parent) is absent.

        Raises:
            ManifestError: a value on the way, or the value itself, has the
                wrong type.
        """
        value: Any = self.body
        for depth, part in enumerate(path):
            if isinstance(part, int):
                if not isinstance(value, list):
                    self._wrong(path[:depth], list, value)
                value = value[part] if part < len(value) else None
            else:
                if not isinstance(value, dict):
                    self._wrong(path[:depth], dict, value)
                value = value.get(part)
            if value is None:
                return default
        if not _is_a(value, expected):
            self._wrong(path, expected, value)
        return value

    def labels(self, path: Path) -> dict[str, str]:
        """The label mapping at ``path`` (e.g. a pod template's labels)."""
        labels = self.get(path, dict, {})
        for key, value in labels.items():
            if not isinstance(value, str):
                self._wrong((*path, str(key)), str, value)
        return dict(labels)

    def pod_spec_path(self) -> Path | None:
        """Where the pod spec sits in a workload, or None for other kinds."""
        if self.kind == "Pod":
            return ("spec",)
        if self.kind == "CronJob":
            return ("spec", "jobTemplate", "spec", "template", "spec")
        if self.kind in WORKLOAD_KINDS:
            return ("spec", "template", "spec")
        return None

    def pod_labels(self) -> dict[str, str]:
        """The labels the workload's pods carry."""
        spec = self.pod_spec_path()
        if spec is None:
            return {}
        return self.labels((*spec[:-1], "metadata", "labels"))

    def containers(self) -> list[tuple[Path, Mapping[str, Any]]]:
        """Every container of the workload's pods (init and ephemeral too),
        each with its path."""
        spec = self.pod_spec_path()
        if spec is None:
            return []
        found: list[tuple[Path, Mapping[str, Any]]] = []
        for list_name in CONTAINER_LISTS:
            for index, container in enumerate(self.get((*spec, list_name), list, [])):
                path = (*spec, list_name, index)
                if not isinstance(container, dict):
                    self._wrong(path, dict, container)
                found.append((path, container))
        return found

    def owned(self) -> bool:
        """Whether a controller made this object (a Deployment's pods, a
        CronJob's jobs); the checks judge the controller instead."""
        return bool(self.get(("metadata", "ownerReferences"), list, []))

    def _wrong(self, path: Sequence[str | int], expected: type, value: Any) -> NoReturn:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        # Named from the raw body: the checked accessors could fail again here.
        metadata = self.body.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        where = f"{self.kind} {name}" if isinstance(name, str) else self.kind
        raise ManifestError(
            f"{self.origin}: {where}: {format_path(path) or '(document)'}: "
            f"expected {_TYPE_NAMES.get(expected, expected.__name__)}, got {shown}"
        )


@dataclass
class Snapshot:
    """The objects a collector run looks at, and the kinds it could not read."""

    objects: list[KubeObject]
    scope: str
    unavailable: dict[str, str] = field(default_factory=dict)
    """Kind -> why it could not be listed (e.g. forbidden)."""

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        """The objects of ``kinds``, outside the system namespaces."""
        return [
            item
            for item in self.objects
            if item.kind in kinds and item.namespace not in SYSTEM_NAMESPACES
        ]

    def workloads(self) -> list[KubeObject]:
        """Workloads the checks judge: not system ones, not controller-made."""
        return [item for item in self.of_kind(*WORKLOAD_KINDS) if not item.owned()]


def format_path(path: Sequence[str | int]) -> str:
    """``spec.template.spec.containers[0].image``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def selector_matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether a Service's equality selector picks pods with ``labels``."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _is_a(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)
