"""Reading Kubernetes manifests from files and folders into a :class:`Cluster`.

Every ``.yaml``, ``.yml`` and ``.json`` file under a folder is read, sorted
by path; a file may hold several documents, and a document may be a ``List``
(or any ``...List`` with ``items``). Objects of other kinds are skipped.

A pod or workload whose controlling owner (``ownerReferences`` with
``controller: true``) is among the objects read is left out, so that a dump
of a live cluster does not count a Deployment, its ReplicaSet and its pods
three times. Host-network pods are left out too: NetworkPolicy does not
apply to them. Policies of other APIs (Calico, Cilium, AdminNetworkPolicy)
are not evaluated; each is named in the cluster's warnings.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assessment.document import read_text
from assessment.reachability.errors import ManifestError
from assessment.reachability.objects import (
    DEFAULT_NAMESPACE,
    Cluster,
    ContainerPort,
    Endpoint,
    IPAddress,
    Namespace,
)
from assessment.reachability.policy import PROTOCOLS, NetworkPolicy, parse_policy
from assessment.reachability.selectors import check_label_key, check_label_value
from assessment.reachability.source import ManifestFile, ObjectSource
from assessment.yaml_loader import InputLoader

logger = logging.getLogger(__name__)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
PLAN_INDEX = "plan.json"
"""The index ``ztkit plan`` writes beside the manifests; not a manifest itself."""
WORKLOAD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
"""Where each workload kind keeps its pod template."""
WORKLOAD_GROUPS = ("apps", "extensions", "batch", "")
NETWORK_POLICY_VERSIONS = ("networking.k8s.io/v1", "extensions/v1beta1")
OTHER_POLICY_KINDS = (
    "NetworkPolicy",
    "GlobalNetworkPolicy",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
)


@dataclass(frozen=True)
class _Candidate:
    endpoint: Endpoint
    owner: tuple[str, str] | None
    """The controlling owner's kind and name, in the endpoint's namespace."""
    source: ObjectSource


def load_cluster(paths: Sequence[Path | str]) -> Cluster:
    """Read every manifest under ``paths`` (files or folders).

    Raises:
        ManifestError: a path is missing or unreadable, a file is not YAML,
            or an object is malformed; names the file, line and field.
        PolicyError: a NetworkPolicy breaks the API's validation rules.
    """
    reader = _Reader()
    for path in paths:
        for file in manifest_files(Path(path)):
            reader.read_file(file)
    return reader.cluster()


def manifest_files(path: Path) -> list[Path]:
    """The manifest files ``path`` stands for: itself, or those under it.

    Raises:
        ManifestError: the path does not exist, or a folder holds no manifest.
    """
    if path.is_dir():
        files = sorted(
            file
            for file in path.rglob("*")
            if file.suffix in MANIFEST_SUFFIXES
            and file.name != PLAN_INDEX
            and file.is_file()
            and not any(part.startswith(".") for part in file.relative_to(path).parts)
        )
        if not files:
            raise ManifestError(
                path, f"no {', '.join(MANIFEST_SUFFIXES)} files in this folder"
            )
        return files
    if not path.exists():
        raise ManifestError(path, "file not found")
    return [path]


class _Reader:
    def __init__(self) -> None:
        self.namespaces: dict[str, tuple[Namespace, ObjectSource]] = {}
        self.candidates: list[_Candidate] = []
        self.workloads: set[tuple[str, str, str]] = set()
        self.policies: dict[str, tuple[NetworkPolicy, ObjectSource]] = {}
        self.skipped: dict[str, int] = {}

    def read_file(self, path: Path) -> None:
        text = read_text(path, ManifestError)
        file = ManifestFile(path, text)
        for index, document in enumerate(_documents(path, text)):
            if document is None:
                continue
            self.read_object(document, ObjectSource(file, index))

    def read_object(self, raw: Any, source: ObjectSource) -> None:
        if not isinstance(raw, dict):
            raise source.error((), f"{_short(raw)} is not a Kubernetes object")
        kind = raw.get("kind")
        if not isinstance(kind, str):
            logger.debug("%s: skipped a document without a kind", source.path)
            return
        if kind.endswith("List") and isinstance(raw.get("items"), list):
            for index, item in enumerate(raw["items"]):
                self.read_object(
                    item,
                    ObjectSource(
                        source.file, source.document, (*source.prefix, "items", index)
                    ),
                )
            return

        api_version = raw.get("apiVersion")
        group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
        if kind == "NetworkPolicy" and api_version in NETWORK_POLICY_VERSIONS:
            self.read_policy(raw, source)
        elif kind in OTHER_POLICY_KINDS:
            # TODO: AdminNetworkPolicy, BaselineAdminNetworkPolicy and CNI
            # policies (Calico, Cilium) are only counted in the warnings; each
            # needs its own semantics (tiers, priorities, deny rules).
            self.skipped[f"{kind} ({api_version})"] = (
                self.skipped.get(f"{kind} ({api_version})", 0) + 1
            )
        elif kind == "Namespace" and group == "":
            self.read_namespace(raw, source)
        elif kind == "Pod" and group == "":
            self.read_pod(raw, source)
        elif kind in WORKLOAD_TEMPLATES and group in WORKLOAD_GROUPS:
            self.read_workload(raw, kind, source)

    def read_namespace(self, raw: dict[str, Any], source: ObjectSource) -> None:
        name, _, metadata = _metadata(raw, source, namespaced=False)
        source = source.labelled(f"Namespace {name}")
        labels = _labels(metadata.get("labels"), source, ("metadata", "labels"))
        if name in self.namespaces:
            raise source.error(
                ("metadata", "name"),
                f"namespace {name!r} is declared twice (also in "
                f"{self.namespaces[name][1].path})",
            )
        self.namespaces[name] = (Namespace.of(name, labels), source)

    def read_pod(self, raw: dict[str, Any], source: ObjectSource) -> None:
        name, namespace, metadata = _metadata(raw, source)
        source = source.labelled(f"Pod {namespace}/{name}")
        spec = _mapping(raw.get("spec"), source, ("spec",))
        if spec.get("hostNetwork") is True:
            # TODO: host-network pods and nodes are not endpoints; the spec
            # leaves their traffic to the CNI (node-to-pod is always allowed).
            self.skipped["host-network Pod"] = (
                self.skipped.get("host-network Pod", 0) + 1
            )
            return
        endpoint = Endpoint(
            namespace=namespace,
            name=name,
            labels=_labels(metadata.get("labels"), source, ("metadata", "labels")),
            ports=_container_ports(spec, source, ("spec",)),
            ips=_pod_ips(raw.get("status"), source),
            kind="Pod",
            source=str(source.path),
        )
        self.candidates.append(_Candidate(endpoint, _owner(metadata), source))

    def read_workload(
        self, raw: dict[str, Any], kind: str, source: ObjectSource
    ) -> None:
        name, namespace, metadata = _metadata(raw, source)
        source = source.labelled(f"{kind} {namespace}/{name}")
        path = WORKLOAD_TEMPLATES[kind]
        template: Any = raw
        for depth, key in enumerate(path):
            template = _mapping(
                template.get(key) if isinstance(template, dict) else None,
                source,
                path[: depth + 1],
            )
        template_metadata = _mapping(
            template.get("metadata"), source, (*path, "metadata")
        )
        template_spec = _mapping(template.get("spec"), source, (*path, "spec"))
        if template_spec.get("hostNetwork") is True:
            self.skipped[f"host-network {kind}"] = (
                self.skipped.get(f"host-network {kind}", 0) + 1
            )
            return
        endpoint = Endpoint(
            namespace=namespace,
            name=name,
            labels=_labels(
                template_metadata.get("labels"), source, (*path, "metadata", "labels")
            ),
            ports=_container_ports(template_spec, source, (*path, "spec")),
            kind=kind,
            source=str(source.path),
        )
        self.workloads.add((namespace, kind, name))
        self.candidates.append(_Candidate(endpoint, _owner(metadata), source))

    def read_policy(self, raw: dict[str, Any], source: ObjectSource) -> None:
        name, namespace, _ = _metadata(raw, source)
        policy = parse_policy(raw.get("spec"), namespace, name, source)
        if policy.key in self.policies:
            raise source.labelled(f"NetworkPolicy {policy.key}").error(
                ("metadata", "name"),
                f"NetworkPolicy {policy.key!r} is declared twice (also in "
                f"{self.policies[policy.key][1].path})",
            )
        self.policies[policy.key] = (policy, source)

    def cluster(self) -> Cluster:
        endpoints: dict[str, _Candidate] = {}
        owned = 0
        for candidate in self.candidates:
            endpoint = candidate.endpoint
            owner = candidate.owner
            if owner is not None and (endpoint.namespace, *owner) in self.workloads:
                owned += 1
                continue
            earlier = endpoints.get(endpoint.key)
            if earlier is not None:
                raise candidate.source.error(
                    ("metadata", "name"),
                    f"{endpoint.key!r} is already the {earlier.endpoint.kind} in "
                    f"{earlier.source.path}; pods and workloads need distinct names "
                    "in a namespace",
                )
            endpoints[endpoint.key] = candidate
        if owned:
            logger.info("left out %d objects whose controller was also read", owned)

        warnings = [
            f"{count} {what} object{'s' if count > 1 else ''} not evaluated"
            for what, count in sorted(self.skipped.items())
        ]
        return Cluster.build(
            [candidate.endpoint for candidate in endpoints.values()],
            [policy for policy, _ in self.policies.values()],
            [namespace for namespace, _ in self.namespaces.values()],
            warnings,
        )


def _documents(path: Path, text: str) -> Iterator[Any]:
    try:
        yield from yaml.load_all(text, Loader=InputLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        raise ManifestError(
            path,
            f"malformed YAML: {problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "malformed"
        raise ManifestError(path, f"malformed YAML: {first}") from None


def _metadata(
    raw: dict[str, Any], source: ObjectSource, namespaced: bool = True
) -> tuple[str, str, dict[str, Any]]:
    metadata = _mapping(raw.get("metadata"), source, ("metadata",))
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise source.error(
            ("metadata", "name"), f"{raw.get('kind')} needs a name, found {name!r}"
        )
    namespace = metadata.get("namespace") if namespaced else None
    if namespace is None:
        namespace = DEFAULT_NAMESPACE
    if not isinstance(namespace, str) or not namespace:
        raise source.error(
            ("metadata", "namespace"), f"{namespace!r} is not a namespace name"
        )
    return name, namespace, metadata


def _mapping(
    raw: Any, source: ObjectSource, field: tuple[str | int, ...]
) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise source.error(field, f"{_short(raw)} is not a mapping")
    return raw


def _labels(
    raw: Any, source: ObjectSource, field: tuple[str | int, ...]
) -> dict[str, str]:
    labels = _mapping(raw, source, field)
    for key, value in labels.items():
        check_label_key(key, source, (*field, key), ManifestError)
        check_label_value(value, source, (*field, key), ManifestError)
    return dict(labels)


def _container_ports(
    spec: dict[str, Any], source: ObjectSource, field: tuple[str | int, ...]
) -> tuple[ContainerPort, ...]:
    ports: list[ContainerPort] = []
    for list_key in ("containers", "initContainers"):
        containers = spec.get(list_key) or []
        if not isinstance(containers, list):
            raise source.error((*field, list_key), "is not a list of containers")
        for index, container in enumerate(containers):
            where = (*field, list_key, index)
            container = _mapping(container, source, where)
            if (
                list_key == "initContainers"
                and container.get("restartPolicy") != "Always"
            ):
                continue  # only sidecar init containers keep serving
            declared = container.get("ports") or []
            if not isinstance(declared, list):
                raise source.error((*where, "ports"), "is not a list of ports")
            for number, port in enumerate(declared):
                ports.append(_container_port(port, source, (*where, "ports", number)))
    return tuple(ports)


def _container_port(
    raw: Any, source: ObjectSource, field: tuple[str | int, ...]
) -> ContainerPort:
    port = _mapping(raw, source, field)
    number = port.get("containerPort")
    if (
        not isinstance(number, int)
        or isinstance(number, bool)
        or not 1 <= number <= 65535
    ):
        raise source.error(
            (*field, "containerPort"), f"{number!r} is not a port number (1-65535)"
        )
    protocol = port.get("protocol") or "TCP"
    if protocol not in PROTOCOLS:
        raise source.error(
            (*field, "protocol"),
            f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}",
        )
    name = port.get("name")
    if name is not None and not isinstance(name, str):
        raise source.error((*field, "name"), f"{name!r} is not a port name")
    return ContainerPort(number=number, protocol=protocol, name=name or None)


def _pod_ips(status: Any, source: ObjectSource) -> tuple[IPAddress, ...]:
    if not isinstance(status, dict):
        return ()
    texts: list[tuple[tuple[str | int, ...], Any]] = []
    if status.get("podIP"):
        texts.append((("status", "podIP"), status["podIP"]))
    for index, entry in enumerate(status.get("podIPs") or []):
        if isinstance(entry, dict) and entry.get("ip"):
            texts.append((("status", "podIPs", index, "ip"), entry["ip"]))
    addresses: list[IPAddress] = []
    for field, text in texts:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise source.error(field, f"{text!r} is not an IP address") from None
        if address not in addresses:
            addresses.append(address)
    return tuple(addresses)


def _owner(metadata: dict[str, Any]) -> tuple[str, str] | None:
    references = metadata.get("ownerReferences")
    if not isinstance(references, list):
        return None
    for reference in references:
        if isinstance(reference, dict) and reference.get("controller") is True:
            kind, name = reference.get("kind"), reference.get("name")
            if isinstance(kind, str) and isinstance(name, str):
                return kind, name
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
