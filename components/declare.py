"""Declaring a manifest built by the plain spec functions as a Pulumi resource."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s


def declare(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
    """Declare ``manifest`` under the Pulumi name ``name``.

    Built-in kinds get their typed resource so the provider knows their
    schema; anything else (routes, policies of the gateway) is a custom
    resource.
    """
    if manifest["kind"] == "Ingress":
        k8s.networking.v1.Ingress(
            name, metadata=manifest["metadata"], spec=manifest["spec"], opts=opts
        )
        return
    if manifest["kind"] == "ConfigMap":
        k8s.core.v1.ConfigMap(
            name, metadata=manifest["metadata"], data=manifest["data"], opts=opts
        )
        return
    k8s.apiextensions.CustomResource(
        name,
        api_version=manifest["apiVersion"],
        kind=manifest["kind"],
        metadata=manifest["metadata"],
        spec=manifest["spec"],
        opts=opts,
    )
