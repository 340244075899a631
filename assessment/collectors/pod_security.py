"""The restricted Pod Security Standard, applied to a workload's pod spec.

The rules follow the Kubernetes Pod Security Standards, restricted profile
(which includes the baseline profile): no host namespaces, host paths, host
ports or privileged containers; only the volume types the profile allows;
every container runs as non-root, cannot escalate privileges, drops ALL
capabilities (adding back at most NET_BIND_SERVICE) and uses the RuntimeDefault
or a Localhost seccomp profile.
"""

from __future__ import annotations

from assessment.collectors.kubernetes_objects import KubeObject, Path

HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
ALLOWED_VOLUME_TYPES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
ALLOWED_SECCOMP = frozenset({"RuntimeDefault", "Localhost"})


# TODO: the baseline profile's AppArmor, SELinux, procMount, sysctls and
# Windows hostProcess rules are not checked yet.
def restricted_violations(workload: KubeObject) -> list[str]:
    """What in ``workload``'s pod spec breaks the restricted profile, as
    short phrases (``container app: privileged``); empty when it complies.

    Raises:
        ManifestError: a field the profile looks at has the wrong type.
    """
    spec = workload.pod_spec_path()
    if spec is None:
        return []

    problems = [
        f"{name}: true" for name in HOST_NAMESPACES if workload.get((*spec, name), bool)
    ]
    problems += _volume_problems(workload, spec)

    pod_context = (*spec, "securityContext")
    pod_non_root = workload.get((*pod_context, "runAsNonRoot"), bool)
    pod_user = workload.get((*pod_context, "runAsUser"), int)
    pod_seccomp = workload.get((*pod_context, "seccompProfile", "type"), str)
    if pod_user == 0:
        problems.append("pod runAsUser: 0")
    if pod_seccomp is not None and pod_seccomp not in ALLOWED_SECCOMP:
        problems.append(f"pod seccompProfile: {pod_seccomp}")

    for path, container in workload.containers():
        name = f"container {container.get('name', path[-1])}"
        problems += [
            f"{name}: {problem}"
            for problem in _container_problems(
                workload, path, pod_non_root, pod_seccomp
            )
        ]
    return problems


def _volume_problems(workload: KubeObject, spec: Path) -> list[str]:
    problems = []
    for index, volume in enumerate(workload.get((*spec, "volumes"), list, [])):
        if not isinstance(volume, dict):
            workload.get((*spec, "volumes", index), dict)
            continue
        kinds = [key for key in volume if key != "name"]
        banned = [kind for kind in kinds if kind not in ALLOWED_VOLUME_TYPES]
        if banned:
            problems.append(f"volume {volume.get('name', index)}: {', '.join(banned)}")
    return problems


def _container_problems(
    workload: KubeObject,
    path: Path,
    pod_non_root: bool | None,
    pod_seccomp: str | None,
) -> list[str]:
    context = (*path, "securityContext")
    problems = []

    if workload.get((*context, "privileged"), bool):
        problems.append("privileged")
    if workload.get((*context, "allowPrivilegeEscalation"), bool) is not False:
        problems.append("allowPrivilegeEscalation not false")

    non_root = workload.get((*context, "runAsNonRoot"), bool)
    if non_root is False or (non_root is None and not pod_non_root):
        problems.append("runAsNonRoot not true")
    if workload.get((*context, "runAsUser"), int) == 0:
        problems.append("runAsUser: 0")

    seccomp = workload.get((*context, "seccompProfile", "type"), str) or pod_seccomp
    if seccomp not in ALLOWED_SECCOMP:
        problems.append(f"seccompProfile {seccomp or 'unset'}")

    drop = workload.get((*context, "capabilities", "drop"), list, [])
    if "ALL" not in drop:
        problems.append("capabilities do not drop ALL")
    added = workload.get((*context, "capabilities", "add"), list, [])
    extra = [str(c) for c in added if c not in ALLOWED_ADDED_CAPABILITIES]
    if extra:
        problems.append(f"adds capabilities {', '.join(extra)}")

    for index, port in enumerate(workload.get((*path, "ports"), list, [])):
        if isinstance(port, dict) and workload.get(
            (*path, "ports", index, "hostPort"), int
        ):
            problems.append(f"hostPort {port['hostPort']}")
    return problems
