"""The whole program under the SDK's mock monitor, phase by phase."""

from __future__ import annotations

import json
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from assessment.inventory import load_inventory
from components.errors import StackConfigError
from components.render import render_program
from tests.components.rendering import SAMPLE_WAVE, by_kind, config_of, rendered
from tests.conftest import ROOT, SAMPLE

# Fields whose change makes Kubernetes (and so Pulumi) replace an object.
REPLACING_FIELDS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec.selector",),
    "PodDisruptionBudget": (),
    "PersistentVolumeClaim": ("spec",),
    "Service": ("spec.clusterIP", "spec.type"),
    "Secret": ("type",),
}


def _get(manifest: dict[str, Any], dotted: str) -> Any:
    value: Any = manifest
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _identity(manifest: dict[str, Any]) -> tuple[str, str, str, str]:
    metadata = manifest["metadata"]
    return (
        manifest["apiVersion"],
        manifest["kind"],
        metadata.get("namespace", ""),
        metadata["name"],
    )


def test_each_component_registers_under_its_type_token() -> None:
    types = {resource.type for resource in rendered("dev", 2).resources}

    assert {
        "ztkit:phases:ZeroTrustStack",
        "ztkit:identity:IdentityProvider",
        "ztkit:access_proxy:AccessProxy",
    } <= types


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_kubernetes_objects_register_under_their_typed_classes_tokens(
    stack: str,
) -> None:
    # Objects declared through the provider's generic class must keep the
    # type token, and so the URN, their typed class gives them: another
    # token would make Pulumi replace them on the next update.
    typed_classes = {
        ("v1", "Service"): k8s.core.v1.Service,
        ("v1", "Secret"): k8s.core.v1.Secret,
        ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
        ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
        ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
        ("networking.k8s.io/v1", "Ingress"): k8s.networking.v1.Ingress,
    }
    tokens = {key: _type_token(cls) for key, cls in typed_classes.items()}
    seen = set()

    for phase in range(5):
        for resource in rendered(stack, phase).resources:
            if not resource.is_kubernetes:
                continue
            key = (resource.inputs["apiVersion"], resource.inputs["kind"])
            group = f"core/{key[0]}" if "/" not in key[0] else key[0]
            token = f"kubernetes:{group}:{key[1]}"
            assert resource.type in (token, f"{token}Patch"), resource.name
            if key in tokens:
                assert resource.type == tokens[key], resource.name
                seen.add(key)
    assert {("apps/v1", "Deployment"), ("v1", "Service")} <= seen


def _type_token(cls: type) -> str:
    """The type token a pulumi-kubernetes class registers its objects under."""
    token = cls.pulumi_type  # set by the SDK's @pulumi.type_token
    assert isinstance(token, str)
    return token


def test_every_child_has_a_parent_named_after_it() -> None:
    render = rendered("dev", 2)

    for resource in render.resources:
        if resource.type == "ztkit:phases:ZeroTrustStack":
            continue
        parent = render.parents[resource.name]
        assert resource.name.startswith(parent), (resource.name, parent)


@pytest.mark.parametrize(
    ("phase", "proxies", "keycloak", "gates"),
    [(0, 0, 0, 0), (1, 0, 1, 0), (2, 5, 1, 0), (3, 5, 1, 0), (4, 5, 1, 1)],
)
def test_phases_add_components(
    phase: int, proxies: int, keycloak: int, gates: int
) -> None:
    render = rendered("dev", phase)
    deployments = [d["metadata"]["name"] for d in by_kind(render, "Deployment")]

    assert sum(name.endswith("-oauth2-proxy") for name in deployments) == proxies
    assert deployments.count("keycloak") == keycloak
    assert deployments.count("posture-gate") == gates


def test_a_proxy_per_app_of_the_wave_and_nothing_for_the_rest() -> None:
    render = rendered("dev", 2)
    namespaces = {d["metadata"]["namespace"] for d in by_kind(render, "Deployment")}
    inventory = load_inventory(SAMPLE / "inventory.yaml")

    assert namespaces == {"identity"} | {
        inventory.apps_by_id[a].namespace for a in SAMPLE_WAVE
    }


def test_the_app_route_has_external_auth_and_the_sign_in_route_has_none() -> None:
    render = rendered("dev", 2)
    policies = {
        p["spec"]["targetRefs"][0]["name"]: p for p in by_kind(render, "SecurityPolicy")
    }
    routes = {r["metadata"]["name"]: r for r in by_kind(render, "HTTPRoute")}

    assert set(policies) == set(SAMPLE_WAVE)
    for app in SAMPLE_WAVE:
        policy = policies[app]["spec"]["extAuth"]
        assert policy["failOpen"] is False
        assert policy["http"]["backendRefs"] == [
            {"name": f"{app}-oauth2-proxy", "port": 4180}
        ]
        assert (
            routes[f"{app}-oauth2"]["spec"]["rules"][0]["matches"][0]["path"]["value"]
            == "/oauth2/"
        )
        assert f"{app}-oauth2" not in policies


def test_ingress_nginx_adapter_checks_every_request_with_the_proxy() -> None:
    render = rendered("prod", 2)
    ingresses = {i["metadata"]["name"]: i for i in by_kind(render, "Ingress")}
    hris = ingresses["hris"]["metadata"]["annotations"]

    assert hris["nginx.ingress.kubernetes.io/auth-url"] == (
        "http://hris-oauth2-proxy.hris.svc.cluster.local:4180/oauth2/auth"
    )
    assert hris["nginx.ingress.kubernetes.io/auth-signin"].startswith("https://hris.")
    assert ingresses["hris-oauth2"]["metadata"]["annotations"] == {}
    assert not by_kind(render, "HTTPRoute")
    assert not [
        d for d in by_kind(render, "Deployment") if d["metadata"]["name"] == "keycloak"
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("phase", [0, 1, 2, 3, 4])
def test_raising_the_phase_never_removes_or_replaces(stack: str, phase: int) -> None:
    before = {_identity(m): m for m in rendered(stack, phase).manifests()}
    after = {_identity(m): m for m in rendered(stack, phase + 1).manifests()}
    names_before = {r.name: r.type for r in rendered(stack, phase).resources}
    names_after = {r.name: r.type for r in rendered(stack, phase + 1).resources}

    assert set(before) <= set(after)
    assert all(names_after.get(name) == kind for name, kind in names_before.items())
    for key, manifest in before.items():
        for field in REPLACING_FIELDS.get(manifest["kind"], ()):
            assert _get(manifest, field) == _get(after[key], field), (key, field)


def test_stateful_resources_and_generated_secrets_are_protected() -> None:
    render = rendered("dev", 2)
    protected_types = {r.type for r in render.resources if r.name in render.protected}

    assert "kubernetes:core/v1:PersistentVolumeClaim" in protected_types
    random = [r.name for r in render.resources if r.type.startswith("random:")]
    assert random and set(random) <= render.protected
    assert not [
        r
        for r in render.resources
        if r.type == "kubernetes:apps/v1:Deployment" and r.name in render.protected
    ]


def test_no_generated_secret_appears_in_a_default_render() -> None:
    render = rendered("dev", 2)
    text = json.dumps(render.manifests())

    assert len(render.secret_values) == 11
    assert not [value for value in render.secret_values if value in text]
    realm = next(
        s
        for s in by_kind(render, "Secret")
        if s["metadata"]["name"] == "keycloak-realm"
    )
    realm_json = json.loads(realm["stringData"]["ztkit-realm.json"])
    assert {c["secret"] for c in realm_json["clients"]} == {"<redacted>"}
    assert realm_json["clients"][0]["redirectUris"][0].endswith("/oauth2/callback")


def test_show_secrets_reveals_them_and_they_match_between_realm_and_proxy() -> None:
    render = rendered("dev", 2)
    secrets = {s["metadata"]["name"]: s for s in by_kind_shown(render)}
    realm = json.loads(secrets["keycloak-realm"]["stringData"]["ztkit-realm.json"])
    hris_client = next(c for c in realm["clients"] if c["clientId"] == "hris")

    assert hris_client["secret"] in render.secret_values
    assert (
        secrets["hris-oauth2-proxy"]["stringData"]["client-secret"]
        == hris_client["secret"]
    )
    assert len(secrets["hris-oauth2-proxy"]["stringData"]["cookie-secret"]) == 32


def by_kind_shown(render: Any) -> list[dict[str, Any]]:
    return [m for m in render.manifests(show_secrets=True) if m["kind"] == "Secret"]


def test_secret_config_values_never_appear_either() -> None:
    render = rendered("prod", 2)
    text = json.dumps(render.manifests())

    assert "prod-secret-hris" in render.secret_values
    assert "prod-secret-hris" not in text


def test_phases_beyond_the_implemented_ones_warn() -> None:
    assert (
        "phase 5 asked for; this version deploys phases 1-4"
        in rendered("dev", 5).warnings
    )
    assert not [w for w in rendered("dev", 4).warnings if "asked for" in w]
    assert rendered("dev", 2).warnings == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"ztkit:wave": json.dumps(["payroll", "nope"])},
            "ztkit:wave: 'nope' is not an application of sample/inventory.yaml",
        ),
        ({"ztkit:gateway": "not json"}, "ztkit:gateway: 'not json' is not an object"),
        ({"ztkit:phase": "9"}, "ztkit:phase: 9 is out of range"),
    ],
)
def test_bad_config_fails_with_the_key_named(
    change: dict[str, str], message: str
) -> None:
    config = {**config_of("dev", 2), **change}

    with pytest.raises(StackConfigError, match=message):
        render_program(config, ROOT, "dev")


def test_oidc_mode_needs_a_client_secret_for_every_app_of_the_wave() -> None:
    config = config_of("prod", 2)
    config["ztkit:oidcClientSecrets"] = json.dumps({"hris": "x"})

    with pytest.raises(StackConfigError, match="no client secret for 'timesheets'"):
        render_program(config, ROOT, "prod", ("ztkit:oidcClientSecrets",))
