"""The objects reachability is computed over: namespaces, endpoints, policies.

An endpoint is a pod, or a workload standing for the pods of its template
(Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
CronJob). Namespaces that endpoints or policies live in but that no manifest
declares exist implicitly, with only the ``kubernetes.io/metadata.name``
label the API server gives every namespace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assessment.reachability.policy import NetworkPolicy

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_NAMESPACE = "default"
IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """A port a container declares; only its name matters to policies."""

    number: int
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True, eq=False)
class Endpoint:
    """A pod, or a workload standing for the pods of its template."""

    namespace: str
    name: str
    labels: Mapping[str, str]
    ports: tuple[ContainerPort, ...] = ()
    ips: tuple[IPAddress, ...] = ()
    """``status.podIP`` and ``status.podIPs``; empty for workloads."""
    kind: str = "Pod"
    source: str = ""
    """The file the endpoint was read from."""

    @property
    def key(self) -> str:
        """``namespace/name``, the endpoint's name in every report."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Namespace:
    """A namespace and its labels, ``kubernetes.io/metadata.name`` included."""

    name: str
    labels: Mapping[str, str]
    declared: bool = True
    """False for a namespace no manifest declares."""

    @classmethod
    def of(
        cls, name: str, labels: Mapping[str, str] | None = None, declared: bool = True
    ) -> Namespace:
        """A namespace whose name label is set the way the API server sets it."""
        return cls(name, {**(labels or {}), NAMESPACE_NAME_LABEL: name}, declared)


@dataclass
class Cluster:
    """Everything read from one set of manifests."""

    namespaces: dict[str, Namespace]
    endpoints: list[Endpoint]
    policies: list[NetworkPolicy]
    warnings: list[str] = field(default_factory=list)
    """Objects left out of the analysis, and why."""

    @classmethod
    def build(
        cls,
        endpoints: Sequence[Endpoint],
        policies: Sequence[NetworkPolicy] = (),
        namespaces: Iterable[Namespace] = (),
        warnings: Iterable[str] = (),
    ) -> Cluster:
        """A cluster, with the namespaces nobody declared added implicitly."""
        known = {namespace.name: namespace for namespace in namespaces}
        for name in sorted(
            {endpoint.namespace for endpoint in endpoints}
            | {policy.namespace for policy in policies}
        ):
            if name not in known:
                known[name] = Namespace.of(name, declared=False)
        return cls(known, list(endpoints), list(policies), list(warnings))

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        """The labels of namespace ``name``, declared or implicit."""
        namespace = self.namespaces.get(name)
        if namespace is None:
            return {NAMESPACE_NAME_LABEL: name}
        return namespace.labels

    def endpoint_index(self) -> dict[str, int]:
        """Each endpoint's position, keyed ``namespace/name``."""
        return {endpoint.key: index for index, endpoint in enumerate(self.endpoints)}
