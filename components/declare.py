"""Declaring a manifest built by the plain spec functions as a Pulumi resource.

An object of a named API group whose content sits in ``metadata`` and
``spec`` (a Deployment, a disruption budget, a network policy, an Ingress,
the gateway's routes and policies) is declared through the provider's
generic class, ``apiextensions.CustomResource``. The engine gets exactly what
the typed class would send: the type token ``kubernetes:<apiVersion>:<kind>``,
so the same URN, the same provider behaviour and the same fields. What is
skipped is the SDK's client-side conversion of inputs and outputs to and from
its Python classes, which buys nothing here: the specs are plain dicts with
Kubernetes' own field names. That conversion is most of a large render's
time: under the mock monitor, 1,001 Deployments and 1,000 disruption budgets
of the 1,000-app render took the SDK 11.4 to 12.7 s through their typed
classes and 6.8 to 7.6 s through the generic one, where as many trivial
ConfigMaps took 4.0 to 5.2 s (three runs on a two-core machine;
``bench/plan.py`` prints the whole render's figures). The typed classes also
carry aliases to API versions Kubernetes retired years ago (``apps/v1beta1``
and the like), which only a stack created with those versions needs.

Objects of the core group (``apiVersion: v1``) get their typed class: it
registers them as ``kubernetes:core/v1:<kind>``, which the generic class would
spell ``kubernetes:v1:<kind>``, another URN.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

GENERIC_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec"})
"""The top-level fields the provider's generic class carries."""


def declare(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
    """Declare ``manifest`` under the Pulumi name ``name``.

    Raises:
        ValueError: when an object of a named API group has a top-level field
            the generic class does not carry, which would be dropped silently.
    """
    if "/" not in manifest["apiVersion"]:
        typed = getattr(k8s.core.v1, manifest["kind"])
        fields = {
            _snake_case(key): value
            for key, value in manifest.items()
            if key not in ("apiVersion", "kind")
        }
        typed(name, **fields, opts=opts)
        return

    extra = sorted(manifest.keys() - GENERIC_FIELDS)
    if extra:
        raise ValueError(
            f"{manifest['kind']} {name!r}: top-level fields {extra} are not "
            "carried; only apiVersion, kind, metadata and spec are"
        )
    k8s.apiextensions.CustomResource(
        name,
        api_version=manifest["apiVersion"],
        kind=manifest["kind"],
        metadata=manifest["metadata"],
        spec=manifest["spec"],
        opts=opts,
    )


def _snake_case(field: str) -> str:
    """A top-level Kubernetes field as the typed classes spell their arguments."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in field)
