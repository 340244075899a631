"""The live-cluster path, through the official client, against recorded responses.

There is no Kubernetes cluster on the build machines. These tests serve
recorded list responses (tests/data/collectors/cluster/responses.json) from a
small HTTP server on loopback, playing the API server's documented contract:
list endpoints across all namespaces, ``limit`` and ``continue`` for chunked
lists, bearer-token authentication, ``Status`` objects with 401, 403 and 404
for refusals and for kinds the cluster does not serve.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from assessment.collectors.errors import ClusterError
from assessment.collectors.kubernetes import collect_kubernetes
from assessment.collectors.kubernetes_cluster import PAGE_SIZE, read_cluster
from assessment.inventory import load_inventory
from tests.conftest import DATA

RECORDED = json.loads((DATA / "collectors" / "cluster" / "responses.json").read_text())
TOKEN = "recorded-token"
Responses = dict[str, dict[str, Any]]


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    """A ``Status`` object as the API server sends with an error."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    return {
        "status": code,
        "body": {**body, "message": message, "reason": reason, "code": code},
    }


class RecordedApiServer:
    """Serves recorded responses; remembers every request it was sent."""

    def __init__(self, responses: Responses) -> None:
        self.responses = responses
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                self._answer(
                    server._lookup(self.path, self.headers.get("Authorization"))
                )

            def _answer(self, response: dict[str, Any]) -> None:
                payload = json.dumps(response["body"]).encode()
                self.send_response(response["status"])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def _lookup(self, path: str, authorization: str | None) -> dict[str, Any]:
        if authorization != f"Bearer {TOKEN}":
            return status(401, "Unauthorized", "Unauthorized")
        url = urlsplit(path)
        token = parse_qs(url.query).get("continue")
        key = url.path + (f"?continue={token[0]}" if token else "")
        return self.responses.get(key) or status(404, "NotFound", "not recorded")


@pytest.fixture
def api_server() -> Iterator[Callable[..., RecordedApiServer]]:
    started: list[RecordedApiServer] = []

    def start(**overrides: dict[str, Any]) -> RecordedApiServer:
        server = RecordedApiServer({**RECORDED["responses"], **overrides})
        thread = threading.Thread(
            target=server.http.serve_forever, args=(0.05,), daemon=True
        )
        thread.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.http.shutdown()
        server.http.server_close()


def kubeconfig(tmp_path: Path, server: str, token: str = TOKEN) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "recorded", "cluster": {"server": server}}],
                "users": [{"name": "reader", "user": {"token": token}}],
                "contexts": [
                    {
                        "name": "recorded",
                        "context": {"cluster": "recorded", "user": "reader"},
                    }
                ],
                "current-context": "recorded",
            }
        )
    )
    return path


def test_the_cluster_is_read_page_by_page_and_judged(
    api_server: Callable[..., RecordedApiServer], tmp_path: Path
) -> None:
    server = api_server()

    snapshot = read_cluster("recorded", kubeconfig(tmp_path, server.url))
    evidence = collect_kubernetes(
        snapshot, load_inventory(DATA / "collectors" / "inventory.yaml")
    )

    deployments = [
        r for r in server.requests if r.startswith("/apis/apps/v1/deployments")
    ]
    assert len(deployments) == 2
    assert all(f"limit={PAGE_SIZE}" in request for request in deployments)
    assert "continue=" in deployments[1]
    assert evidence.scope == f"kubernetes context recorded at {server.url}"
    assert evidence.warnings == []
    assert [(i.function, i.status, i.resource) for i in evidence.items] == [
        ("networks/network-segmentation", "fail", "Namespace wiki"),
        ("applications-workloads/application-access", "fail", "Service wiki/wiki"),
        (
            "applications-workloads/application-threat-protections",
            "fail",
            "Pod wiki/debug-shell",
        ),
        (
            "applications-workloads/application-threat-protections",
            "fail",
            "Deployment wiki/wiki",
        ),
        (
            "applications-workloads/application-access",
            "pass",
            "oauth2-proxy containers",
        ),
        ("applications-workloads/governance", "pass", "inventory applications"),
    ]
    debug_shell = evidence.items[2].finding
    assert (
        "hostPID: true" in debug_shell
        and "container shell: runAsUser: 0" in debug_shell
    )


def test_a_kind_the_credentials_may_not_list_becomes_a_warning(
    api_server: Callable[..., RecordedApiServer], tmp_path: Path
) -> None:
    forbidden = status(
        403, "Forbidden", "networkpolicies.networking.k8s.io is forbidden"
    )
    server = api_server(**{"/apis/networking.k8s.io/v1/networkpolicies": forbidden})

    evidence = collect_kubernetes(
        read_cluster("recorded", kubeconfig(tmp_path, server.url))
    )

    assert [w.model_dump() for w in evidence.warnings] == [
        {
            "check": "namespace-default-deny",
            "reason": "listing NetworkPolicy objects: forbidden (403)",
        }
    ]
    assert not [
        i for i in evidence.items if i.function == "networks/network-segmentation"
    ]
    assert [i for i in evidence.items if i.resource == "Service wiki/wiki"]


def test_rejected_credentials_are_a_one_line_error(
    api_server: Callable[..., RecordedApiServer], tmp_path: Path
) -> None:
    server = api_server()

    with pytest.raises(ClusterError, match=r"rejected the credentials \(401\)$"):
        read_cluster("recorded", kubeconfig(tmp_path, server.url, token="stale"))


def test_an_unknown_context_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"kubeconfig: .*nowhere"):
        read_cluster("nowhere", kubeconfig(tmp_path, "http://127.0.0.1:9"))


def test_an_unreachable_cluster_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(
        ClusterError, match=r"cannot reach the cluster at http://127\.0\.0\.1:9"
    ):
        read_cluster("recorded", kubeconfig(tmp_path, "http://127.0.0.1:9"))
