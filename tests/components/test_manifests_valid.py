"""Every rendered object of every phase against the Kubernetes schemas."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.components.rendering import rendered
from tests.conftest import DATA

KUBERNETES_VERSION = "1.31.0"
CRD_SCHEMAS = DATA / "crd-schemas"


@cache
def _crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    path = CRD_SCHEMAS / f"{api_version.replace('/', '_')}_{kind}.json"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def _is_custom(manifest: dict[str, Any]) -> bool:
    return manifest["apiVersion"].startswith(
        ("gateway.networking.k8s.io/", "gateway.envoyproxy.io/", "cert-manager.io/")
    )


def validate_object(manifest: dict[str, Any]) -> None:
    """Check one rendered object against its Kubernetes or CRD schema."""
    if _is_custom(manifest):
        jsonschema.validate(
            manifest, _crd_schema(manifest["apiVersion"], manifest["kind"])
        )
    else:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("phase", range(6))
def test_every_object_validates(stack: str, phase: int) -> None:
    manifests = rendered(stack, phase).manifests(show_secrets=True)

    for manifest in manifests:
        validate_object(manifest)
    # Keycloak arrives with phase 1 on dev; prod's external issuer deploys nothing.
    expected_some = phase >= 2 or (stack == "dev" and phase == 1)
    assert bool(manifests) == expected_some


def test_the_validators_catch_a_broken_object() -> None:
    manifests = rendered("dev", 2).manifests()
    deployment = json.loads(
        json.dumps(next(m for m in manifests if m["kind"] == "Deployment"))
    )
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = 3
    route = json.loads(
        json.dumps(next(m for m in manifests if m["kind"] == "HTTPRoute"))
    )
    route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix"

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(route, _crd_schema(route["apiVersion"], route["kind"]))
