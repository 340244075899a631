"""Phases 3 and 4 of the sample, checked by the reachability analyzer.

Every app and in-cluster data store of the inventory gets a stand-in
Deployment (its pod labels and port), next to the gateway's and the cluster
DNS pods, and the rendered phase-3 policies decide who reaches whom: every
path the inventory declares is open, everything else into or out of the wave
is closed. Phase 4 adds the posture gate: the gateway reaches it, it reaches
the wave's proxies and its Redis, and nothing else reaches either.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessment.inventory import Application, DataStore, load_inventory
from assessment.reachability.manifests import load_cluster
from assessment.reachability.matrix import MatrixEvaluator, Reachability
from tests.components.rendering import SAMPLE_WAVE, rendered
from tests.conftest import SAMPLE
from ztkit.plan_command import object_path

INVENTORY = load_inventory(SAMPLE / "inventory.yaml")
WAVE = [INVENTORY.apps_by_id[app] for app in SAMPLE_WAVE]
GATEWAY = "envoy-gateway-system/envoy"
DNS = "kube-system/coredns"
GATE = "ztkit-gate/posture-gate"
REDIS = "ztkit-gate/posture-gate-redis"


def _deployment(
    namespace: str, name: str, labels: dict[str, str], port: int, protocol: str = "TCP"
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "app",
                            "ports": [{"containerPort": port, "protocol": protocol}],
                        }
                    ]
                },
            },
        },
    }


def _in_cluster() -> list[Application | DataStore]:
    stores = [store for store in INVENTORY.data_stores if store.namespace]
    return [*INVENTORY.applications, *stores]


@cache
def _evaluator(root: Path, phase: int = 3) -> MatrixEvaluator:
    for manifest in rendered("dev", phase).manifests():
        target = root / "render" / object_path(manifest)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(manifest, sort_keys=False))
    stand_ins = [
        _deployment(e.namespace, e.id, e.selector, e.port)  # type: ignore[arg-type]
        for e in _in_cluster()
    ]
    stand_ins.append(
        _deployment(
            "envoy-gateway-system", "envoy", {"app.kubernetes.io/name": "envoy"}, 443
        )
    )
    stand_ins.append(
        _deployment("kube-system", "coredns", {"k8s-app": "kube-dns"}, 53, "UDP")
    )
    workloads = root / "workloads.yaml"
    workloads.write_text(yaml.safe_dump_all(stand_ins, sort_keys=False))
    return MatrixEvaluator(load_cluster([root / "render", workloads]))


@pytest.fixture(scope="module")
def evaluator(tmp_path_factory: pytest.TempPathFactory) -> MatrixEvaluator:
    return _evaluator(tmp_path_factory.mktemp("reachability"))


@pytest.fixture(scope="module")
def gate_evaluator(tmp_path_factory: pytest.TempPathFactory) -> MatrixEvaluator:
    return _evaluator(tmp_path_factory.mktemp("reachability-phase-4"), 4)


def _reaches(matrix: Reachability, source: str, destination: str) -> bool:
    keys = {endpoint.key: index for index, endpoint in enumerate(matrix.endpoints)}
    return matrix.allows(keys[source], keys[destination])


def _key(entry: Application | DataStore) -> str:
    return f"{entry.namespace}/{entry.id}"


def _declares(source: Application, target: Application | DataStore, port: int) -> bool:
    return any(
        d.target == target.id and INVENTORY.port_of(d) == port
        for d in source.depends_on
    )


def test_a_wave_app_reaches_exactly_what_it_declares(
    evaluator: MatrixEvaluator,
) -> None:
    matrices: dict[int, Reachability] = {}
    checked = 0
    for app in WAVE:
        for target in _in_cluster():
            if target.id == app.id:
                continue
            matrix = matrices.setdefault(target.port, evaluator.evaluate(target.port))
            expected = _declares(app, target, target.port)
            assert _reaches(matrix, _key(app), _key(target)) == expected, (
                app.id,
                target.id,
            )
            checked += 1
    assert checked > 200


def test_a_wave_app_is_reached_only_by_the_gateway_and_its_declared_callers(
    evaluator: MatrixEvaluator,
) -> None:
    for app in WAVE:
        matrix = evaluator.evaluate(app.port)
        assert _reaches(matrix, GATEWAY, _key(app))
        for source in INVENTORY.applications:
            if source.id == app.id:
                continue
            expected = _declares(source, app, app.port)
            assert _reaches(matrix, _key(source), _key(app)) == expected, (
                source.id,
                app.id,
            )


def test_dns_is_open_and_the_proxy_only_takes_the_gateway(
    evaluator: MatrixEvaluator,
) -> None:
    dns = evaluator.evaluate(53, "UDP")
    proxy_port = evaluator.evaluate(4180)
    for app in WAVE:
        assert _reaches(dns, _key(app), DNS)
        proxy = f"{app.namespace}/{app.id}-oauth2-proxy"
        assert _reaches(proxy_port, GATEWAY, proxy)
        assert not _reaches(proxy_port, _key(INVENTORY.apps_by_id["wiki"]), proxy)


def test_apps_outside_the_wave_keep_their_open_network(
    evaluator: MatrixEvaluator,
) -> None:
    wiki, status = INVENTORY.apps_by_id["wiki"], INVENTORY.apps_by_id["status-page"]
    matrix = evaluator.evaluate(status.port)

    assert wiki not in WAVE and status not in WAVE
    assert _reaches(matrix, _key(wiki), _key(status))


def test_the_gate_reaches_every_wave_proxy_and_is_reached_by_the_gateway_only(
    gate_evaluator: MatrixEvaluator,
) -> None:
    proxy_port = gate_evaluator.evaluate(4180)
    gate_port = gate_evaluator.evaluate(8080)
    wiki = _key(INVENTORY.apps_by_id["wiki"])

    for app in WAVE:
        proxy = f"{app.namespace}/{app.id}-oauth2-proxy"
        assert _reaches(proxy_port, GATE, proxy), app.id
        assert _reaches(proxy_port, GATEWAY, proxy), app.id
        assert not _reaches(proxy_port, wiki, proxy), app.id
        assert not _reaches(gate_port, _key(app), GATE), app.id
    assert _reaches(gate_port, GATEWAY, GATE)
    assert not _reaches(gate_port, wiki, GATE)


def test_the_gate_reaches_no_app_and_redis_takes_the_gate_alone(
    gate_evaluator: MatrixEvaluator,
) -> None:
    redis_port = gate_evaluator.evaluate(6379)
    gateway_port = gate_evaluator.evaluate(443)

    assert _reaches(redis_port, GATE, REDIS)
    assert not _reaches(redis_port, GATEWAY, REDIS)
    assert not _reaches(redis_port, _key(INVENTORY.apps_by_id["wiki"]), REDIS)
    for app in WAVE:
        assert not _reaches(gate_evaluator.evaluate(app.port), GATE, _key(app))
        assert not _reaches(redis_port, _key(app), REDIS)
    # Nothing scrapes the gate until a metrics namespace is named.
    assert not _reaches(gate_evaluator.evaluate(9090), GATEWAY, GATE)
    assert not _reaches(gateway_port, GATE, GATEWAY)


def test_phase_four_keeps_every_path_of_phase_three(
    evaluator: MatrixEvaluator, gate_evaluator: MatrixEvaluator
) -> None:
    for app in WAVE:
        before = evaluator.evaluate(app.port)
        after = gate_evaluator.evaluate(app.port)
        for source in INVENTORY.applications:
            if source.id != app.id:
                assert _reaches(before, _key(source), _key(app)) == _reaches(
                    after, _key(source), _key(app)
                ), (source.id, app.id)
