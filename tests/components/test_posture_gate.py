"""Phase 4: the posture gate, its device CA and store, and the gateway wired to it."""

from __future__ import annotations

import datetime
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from assessment.inventory import load_inventory
from components.access_proxy import proxy_name, session_cookie
from components.device_ca import read_device_ca_certificate
from components.errors import StackConfigError
from components.posture_gate import (
    GATE_ARGUMENTS,
    config_yaml,
    gate_config,
    gate_deployment,
    posture_gate_policies,
)
from components.render import Render, render_program
from components.settings import parse_settings
from gate.config import GateConfig, load_gate_config
from tests.components.rendering import (
    PUSH_KEY,
    SAMPLE_WAVE,
    by_kind,
    config_of,
    rendered,
    secret_keys_of,
)
from tests.components.test_manifests_valid import validate_object
from tests.conftest import ROOT, SAMPLE

INVENTORY = load_inventory(SAMPLE / "inventory.yaml")
WAVE = [app for app in INVENTORY.applications if app.id in SAMPLE_WAVE]
"""The sample wave in inventory order, as the program takes it."""
GATE_NAMESPACE = "ztkit-gate"
BASE = {
    "phase": 4,
    "domain": "internal.fernhollow.example",
    "idp": {"mode": "keycloak"},
    "gateway": {"proxy_cidrs": ["10.244.0.0/16"]},
}
ENVOY = parse_settings(BASE)
NGINX = parse_settings(
    {
        **BASE,
        "gateway": {
            "kind": "ingress-nginx",
            "namespace": "ingress-nginx",
            "name": "nginx",
            "labels": {"app.kubernetes.io/name": "ingress-nginx"},
            "proxy_cidrs": ["10.32.0.0/14"],
        },
    }
)


def _named(render: Render, kind: str, name: str, namespace: str) -> dict[str, Any]:
    return next(
        m
        for m in by_kind(render, kind)
        if m["metadata"]["name"] == name and m["metadata"].get("namespace") == namespace
    )


def _gate_pod(render: Render) -> dict[str, Any]:
    deployment = _named(render, "Deployment", "posture-gate", GATE_NAMESPACE)
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return pod


def _certificate(*, ca: bool = True, expires: datetime.datetime | None = None) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fernhollow devices")])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(expires or start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@cache
def _variant(stack: str, changes: str) -> Render:
    """A phase-4 render of a sample stack with some ``ztkit:`` values changed
    (``changes`` is JSON, so the render can be cached)."""
    config = {**config_of(stack, 4), **json.loads(changes)}
    keys = (*secret_keys_of(stack, 4), "ztkit:gateRedisUrl")
    return render_program(config, ROOT, stack, keys)


def _posture(stack: str, posture: dict[str, Any], **extra: str) -> Render:
    return _variant(
        stack,
        json.dumps({"ztkit:posture": json.dumps(posture), **extra}, sort_keys=True),
    )


# The gate's configuration -----------------------------------------------------


def test_the_config_file_is_the_gate_s_own_schema_and_loads_as_the_gate_loads_it(
    tmp_path: Path,
) -> None:
    config_map = _named(rendered("dev", 4), "ConfigMap", "posture-gate", GATE_NAMESPACE)
    path = tmp_path / "gate.yaml"
    path.write_text(config_map["data"]["gate.yaml"])

    loaded = load_gate_config(path)

    assert loaded == gate_config(WAVE, ENVOY, push_key=True)
    assert [app.id for app in loaded.apps] == [app.id for app in WAVE]
    assert loaded.trusted_peers == ["10.244.0.0/16"]


def test_each_app_s_identity_comes_from_its_own_oauth2_proxy_service() -> None:
    config = gate_config(WAVE, ENVOY, push_key=False)
    services = {
        s["metadata"]["name"]: s["metadata"]["namespace"]
        for s in by_kind(rendered("dev", 4), "Service")
    }

    for app, gate_app in zip(WAVE, config.apps, strict=True):
        assert gate_app.identity_url == (
            f"http://{proxy_name(app)}.{app.namespace}.svc.cluster.local:4180/oauth2/auth"
        )
        assert services[proxy_name(app)] == app.namespace
        assert gate_app.classification == app.classification
        assert gate_app.readers == app.readers and gate_app.writers == app.writers
    assert config.identity.cookie_names == [session_cookie(app) for app in WAVE]


def test_the_certificate_header_follows_the_gateway() -> None:
    envoy = gate_config(WAVE, ENVOY, push_key=False)
    nginx = gate_config(WAVE, NGINX, push_key=False)

    assert envoy.client_certificate.format == "xfcc"
    assert envoy.client_certificate.certificate_header == "X-Forwarded-Client-Cert"
    assert envoy.client_address_header == "X-Envoy-External-Address"
    assert nginx.client_certificate.format == "pem"
    assert nginx.client_certificate.certificate_header == "X-Client-Cert"
    assert nginx.client_certificate.verify_header == "X-Client-Verify"
    assert nginx.client_address_header == "X-Real-IP"
    assert nginx.trusted_peers == ["10.32.0.0/14"]


def test_a_configuration_the_gate_would_refuse_stops_the_program() -> None:
    twin = WAVE[1].model_copy(update={"id": "hris-twin", "host": WAVE[0].host})

    with pytest.raises(StackConfigError) as caught:
        gate_config([WAVE[0], twin], ENVOY, push_key=False)

    assert str(caught.value).startswith(
        "ztkit:posture: the gate refuses its configuration: apps: "
    )
    assert f"two apps have host {WAVE[0].host!r}" in str(caught.value)


def test_posture_settings_reach_the_gate_unchanged() -> None:
    settings = parse_settings(
        {
            **BASE,
            "posture": {
                "checks": {"min_os_version": {"windows": "10.0.19045"}},
                "access": {"office_network": {"internal": {"unknown": "read_only"}}},
                "office_networks": ["192.0.2.0/24"],
                "redis": {"kind": "in-cluster", "required": True},
                "feed": {"key": "devices.csv"},
            },
        }
    )
    config = GateConfig.model_validate(
        yaml.safe_load(config_yaml(gate_config(WAVE, settings, push_key=False)))
    )

    assert config.posture.min_os_version == {"windows": "10.0.19045"}
    assert config.access.level_for("internal", "unknown", True) == "read_only"
    assert config.office_networks == ["192.0.2.0/24"]
    assert config.store.required is True
    assert config.feed.path == Path("/var/run/ztkit-gate/feed/devices.csv")
    assert config.push.key_file is None


def _dev_stack_example() -> dict[str, Any]:
    lines = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text().splitlines()
    start = lines.index("  # ztkit:posture:") + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("  #   "):
            break
        block.append(line.removeprefix("  #   ").split("  #")[0])
    example: dict[str, Any] = yaml.safe_load("\n".join(block))
    return example


def _deploy_doc_example() -> dict[str, Any]:
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text[text.index("### Phase 4: posture gate") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n\n## ")]
    example: dict[str, Any] = yaml.safe_load(block)["ztkit:posture"]
    return example


@pytest.mark.parametrize("example", [_dev_stack_example, _deploy_doc_example])
def test_the_documented_examples_are_valid_settings(example: Any) -> None:
    posture = example()
    settings = parse_settings({**BASE, "posture": posture})

    assert len(posture) >= 7
    assert settings.posture.office_networks == ["192.0.2.0/24"]
    assert gate_config(WAVE, settings, push_key=True).posture.min_os_version


# The gate's workload ----------------------------------------------------------


def test_the_gate_runs_two_restricted_replicas_with_probes_and_a_budget() -> None:
    render = rendered("dev", 4)
    deployment = _named(render, "Deployment", "posture-gate", GATE_NAMESPACE)
    pod = _gate_pod(render)
    container = pod["containers"][0]
    budget = _named(render, "PodDisruptionBudget", "posture-gate", GATE_NAMESPACE)
    namespace = next(
        n
        for n in by_kind(render, "Namespace")
        if n["metadata"]["name"] == GATE_NAMESPACE
    )

    assert deployment["spec"]["replicas"] == 2
    assert budget["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": pod_selector()},
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] >= 10000
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["image"] == "ghcr.io/ztkit/posture-gate:0.1.0"
    assert container["args"] == GATE_ARGUMENTS
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "http": 8080,
        "metrics": 9090,
    }
    assert container["resources"]["limits"]["memory"] == "256Mi"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "restricted"
    )


def pod_selector() -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "posture-gate",
        "app.kubernetes.io/instance": "ztkit",
    }


def test_the_service_offers_checks_and_metrics() -> None:
    service = _named(rendered("dev", 4), "Service", "posture-gate", GATE_NAMESPACE)

    assert service["spec"]["selector"] == pod_selector()
    assert {(p["name"], p["port"]) for p in service["spec"]["ports"]} == {
        ("http", 8080),
        ("metrics", 9090),
    }


def test_config_feed_and_push_key_are_mounted_read_only() -> None:
    render = rendered("dev", 4)
    pod = _gate_pod(render)
    mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    config = GateConfig.model_validate(
        yaml.safe_load(
            _named(render, "ConfigMap", "posture-gate", GATE_NAMESPACE)["data"][
                "gate.yaml"
            ]
        )
    )

    assert volumes["feed"]["configMap"] == {"name": "device-feed", "optional": True}
    assert config.feed.path is not None
    assert str(config.feed.path.parent) == mounts["feed"]["mountPath"]
    assert volumes["push-key"]["secret"]["secretName"] == "posture-gate-push-key"
    assert config.push.key_file is not None
    assert str(config.push.key_file.parent) == mounts["push-key"]["mountPath"]
    assert all(m["readOnly"] for m in mounts.values() if m["name"] != "tmp")
    # The export job owns the feed; a ConfigMap from ztkit would overwrite it.
    assert "device-feed" not in {
        m["metadata"]["name"] for m in by_kind(render, "ConfigMap")
    }


def test_the_push_key_is_a_secret_never_shown() -> None:
    render = rendered("dev", 4)
    secret = _named(render, "Secret", "posture-gate-push-key", GATE_NAMESPACE)
    shown = _named_shown(render, "posture-gate-push-key")

    assert secret["stringData"] == {"push.key": "<redacted>"}
    assert shown["stringData"] == {"push.key": PUSH_KEY}
    assert PUSH_KEY not in json.dumps(render.manifests())


def _named_shown(render: Render, name: str) -> dict[str, Any]:
    return next(
        m
        for m in render.manifests(show_secrets=True)
        if m["kind"] == "Secret" and m["metadata"]["name"] == name
    )


def test_without_a_push_key_pushes_are_off_and_nothing_is_mounted() -> None:
    render = _variant("dev", json.dumps({"ztkit:gatePushKey": ""}))
    pod = _gate_pod(render)
    config = GateConfig.model_validate(
        yaml.safe_load(
            _named(render, "ConfigMap", "posture-gate", GATE_NAMESPACE)["data"][
                "gate.yaml"
            ]
        )
    )

    assert config.push.key_file is None
    assert "push-key" not in {v["name"] for v in pod["volumes"]}
    assert not [
        s
        for s in by_kind(render, "Secret")
        if s["metadata"]["name"] == "posture-gate-push-key"
    ]


def test_a_changed_config_restarts_the_gate() -> None:
    one = gate_deployment(ENVOY, "apps: []\n", push_key=False, phase=4)
    two = gate_deployment(ENVOY, "apps: [x]\n", push_key=False, phase=4)

    annotation = "ztkit.io/config-sha256"
    assert (
        one["spec"]["template"]["metadata"]["annotations"][annotation]
        != two["spec"]["template"]["metadata"]["annotations"][annotation]
    )


def test_one_replica_warns_and_gets_no_budget_that_would_block_drains() -> None:
    render = _posture("dev", {"replicas": 1})

    assert any("ztkit:posture.replicas is 1" in w for w in render.warnings)
    assert _gate_pod(render) and "posture-gate" not in {
        b["metadata"]["name"] for b in by_kind(render, "PodDisruptionBudget")
    }


# The store --------------------------------------------------------------------


def test_the_in_cluster_redis_is_restricted_in_memory_and_password_protected() -> None:
    render = rendered("dev", 4)
    deployment = _named(render, "Deployment", "posture-gate-redis", GATE_NAMESPACE)
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    secret = _named_shown(render, "posture-gate-redis")["stringData"]
    gate_env = _gate_pod(render)["containers"][0]["env"]

    assert deployment["spec"]["replicas"] == 1
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert [v for v in pod["volumes"] if "persistentVolumeClaim" in v] == []
    assert container["args"][:4] == ["--save", "", "--appendonly", "no"]
    assert "--requirepass" in container["args"]
    assert secret["url"] == (
        f"redis://:{secret['password']}@posture-gate-redis.{GATE_NAMESPACE}"
        ".svc.cluster.local:6379/0"
    )
    assert secret["password"] in render.secret_values
    assert secret["password"] not in json.dumps(render.manifests())
    assert gate_env == [
        {
            "name": "ZTKIT_GATE_REDIS_URL",
            "valueFrom": {"secretKeyRef": {"key": "url", "name": "posture-gate-redis"}},
        }
    ]
    assert "ztkit-posture-gate-redis-password" in render.protected


def test_an_external_redis_needs_its_url_and_deploys_no_redis() -> None:
    posture = {"redis": {"kind": "external", "cidr": "10.40.0.0/24", "port": 6380}}
    render = _posture("dev", posture, **{"ztkit:gateRedisUrl": "rediss://cache:6380/0"})
    policy = _named(render, "NetworkPolicy", "posture-gate", GATE_NAMESPACE)

    assert not [
        d
        for d in by_kind(render, "Deployment")
        if d["metadata"]["name"] == "posture-gate-redis"
    ]
    assert _named_shown(render, "posture-gate-redis")["stringData"] == {
        "url": "rediss://cache:6380/0"
    }
    assert "rediss://cache:6380/0" not in json.dumps(render.manifests())
    assert {
        "to": [{"ipBlock": {"cidr": "10.40.0.0/24"}}],
        "ports": [{"port": 6380, "protocol": "TCP"}],
    } in policy["spec"]["egress"]

    config = config_of("dev", 4)
    config["ztkit:posture"] = json.dumps(posture)
    with pytest.raises(StackConfigError, match=r"^ztkit:gateRedisUrl: required secret"):
        render_program(config, ROOT, "dev")


# The device CA ----------------------------------------------------------------


def test_cert_manager_issues_the_device_ca_and_keeps_it() -> None:
    render = rendered("dev", 4)
    issuers = {i["metadata"]["name"]: i["spec"] for i in by_kind(render, "Issuer")}
    certificate = _named(render, "Certificate", "device-ca", GATE_NAMESPACE)["spec"]
    certificate_resource = next(
        r.name
        for r in render.resources
        if r.type.endswith("cert-manager.io/v1:Certificate")
    )

    assert issuers["device-ca-root"] == {"selfSigned": {}}
    assert certificate["isCA"] is True
    assert certificate["secretName"] == "device-ca"
    assert certificate["issuerRef"]["name"] == "device-ca-root"
    assert issuers["device-ca"] == {"ca": {"secretName": "device-ca"}}
    assert certificate_resource in render.protected


def test_a_provided_ca_goes_to_a_config_map_for_envoy() -> None:
    pem = _certificate()
    render = _posture(
        "dev", {"device_ca": {"kind": "provided"}}, **{"ztkit:deviceCaCertificate": pem}
    )
    policy = next(iter(by_kind(render, "ClientTrafficPolicy")))
    grant = _named(render, "ReferenceGrant", "gateway-device-ca", GATE_NAMESPACE)

    assert _named(render, "ConfigMap", "device-ca", GATE_NAMESPACE)["data"] == {
        "ca.crt": pem.strip()
    }
    assert not by_kind(render, "Certificate") and not by_kind(render, "Issuer")
    assert policy["spec"]["tls"]["clientValidation"]["caCertificateRefs"] == [
        {
            "group": "",
            "kind": "ConfigMap",
            "name": "device-ca",
            "namespace": GATE_NAMESPACE,
        }
    ]
    assert grant["spec"]["to"] == [
        {"group": "", "kind": "ConfigMap", "name": "device-ca"}
    ]
    for manifest in render.manifests(show_secrets=True):
        validate_object(manifest)


def test_a_provided_ca_sits_beside_each_app_for_ingress_nginx() -> None:
    pem = _certificate()
    render = _posture(
        "prod",
        {"device_ca": {"kind": "provided"}},
        **{"ztkit:deviceCaCertificate": pem},
    )
    ingresses = {i["metadata"]["name"]: i for i in by_kind(render, "Ingress")}

    secrets = [
        m
        for m in render.manifests(show_secrets=True)
        if m["kind"] == "Secret" and m["metadata"]["name"] == "device-ca"
    ]
    assert {s["metadata"]["namespace"] for s in secrets} == {
        app.namespace for app in WAVE
    }
    assert all(s["stringData"] == {"ca.crt": pem.strip()} for s in secrets)
    for app in WAVE:
        annotations = ingresses[app.id]["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/auth-tls-secret"] == (
            f"{app.namespace}/device-ca"
        )
    for manifest in render.manifests(show_secrets=True):
        validate_object(manifest)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "ztkit:deviceCaCertificate: required setting is missing"),
        (
            "not a certificate",
            "ztkit:deviceCaCertificate: 'not a certificate' is not a PEM",
        ),
        (
            _certificate(ca=False),
            "ztkit:deviceCaCertificate: 'Fernhollow devices' is not a CA certificate",
        ),
        (
            _certificate(expires=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)),
            "ztkit:deviceCaCertificate: 'Fernhollow devices' expired on 2024-06-01",
        ),
    ],
)
def test_a_bad_provided_ca_is_named(value: str | None, message: str) -> None:
    with pytest.raises(StackConfigError) as caught:
        read_device_ca_certificate(value)

    assert str(caught.value).startswith(message)


def test_the_program_checks_the_provided_ca() -> None:
    config = config_of("dev", 4)
    config["ztkit:posture"] = json.dumps({"device_ca": {"kind": "provided"}})
    config["ztkit:deviceCaCertificate"] = "-----BEGIN CERTIFICATE-----\nAAAA"

    with pytest.raises(
        StackConfigError, match=r"^ztkit:deviceCaCertificate: '-----BEGIN"
    ):
        render_program(config, ROOT, "dev", secret_keys_of("dev", 4))


def test_the_gate_needs_a_namespace_of_its_own() -> None:
    config = config_of("dev", 4)
    config["ztkit:posture"] = json.dumps({"namespace": "identity"})

    with pytest.raises(
        StackConfigError,
        match=r"^ztkit:posture\.namespace: 'identity' is the identity provider's",
    ):
        render_program(config, ROOT, "dev", secret_keys_of("dev", 4))
    config["ztkit:posture"] = json.dumps({"namespace": "hris"})
    with pytest.raises(StackConfigError, match="'hris' is the namespace of app 'hris'"):
        render_program(config, ROOT, "dev", secret_keys_of("dev", 4))


# The gateway ------------------------------------------------------------------


def test_envoy_asks_for_optional_device_certificates_and_sets_xfcc_itself() -> None:
    policies = by_kind(rendered("dev", 4), "ClientTrafficPolicy")

    assert len(policies) == 1
    policy = policies[0]
    assert policy["metadata"]["namespace"] == "envoy-gateway-system"
    assert policy["spec"]["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "ztkit"}
    ]
    validation = policy["spec"]["tls"]["clientValidation"]
    assert validation["optional"] is True
    assert validation["caCertificateRefs"] == [
        {
            "group": "",
            "kind": "Secret",
            "name": "device-ca",
            "namespace": GATE_NAMESPACE,
        }
    ]
    assert policy["spec"]["headers"]["xForwardedClientCert"] == {"mode": "SanitizeSet"}


def test_every_wave_app_s_check_goes_to_the_gate_with_the_headers_it_reads() -> None:
    render = rendered("dev", 4)
    policies = {
        p["spec"]["targetRefs"][0]["name"]: p for p in by_kind(render, "SecurityPolicy")
    }
    grants = {
        g["spec"]["from"][0]["namespace"]: g
        for g in by_kind(render, "ReferenceGrant")
        if g["spec"]["from"][0]["kind"] == "SecurityPolicy"
    }

    assert set(policies) == set(SAMPLE_WAVE)
    for app in WAVE:
        external_auth = policies[app.id]["spec"]["extAuth"]
        assert external_auth["failOpen"] is False
        assert external_auth["http"]["backendRefs"] == [
            {"name": "posture-gate", "namespace": GATE_NAMESPACE, "port": 8080}
        ]
        assert external_auth["http"]["path"] == "/auth"
        # The app learns who asked and what the gate allowed them.
        assert {
            "X-Auth-Request-User",
            "X-Auth-Request-Groups",
            "X-Ztkit-Device-Trust",
            "X-Ztkit-Access-Level",
        } <= set(external_auth["http"]["headersToBackend"])
        headers = {h.lower() for h in external_auth["headersToExtAuth"]}
        assert {"cookie", "x-forwarded-client-cert", "x-request-id"} <= headers
        # Only Envoy's own view of the request: headers a client could write
        # that the gate would believe about the original request stay out.
        assert not headers & {
            "x-forwarded-method",
            "x-forwarded-host",
            "x-forwarded-uri",
            "x-original-url",
            "x-original-uri",
            "x-original-method",
            "x-real-ip",
        }
        assert grants[app.namespace]["metadata"]["namespace"] == GATE_NAMESPACE
        assert grants[app.namespace]["spec"]["to"] == [
            {"group": "", "kind": "Service", "name": "posture-gate"}
        ]


def test_sign_in_still_happens_at_the_proxy() -> None:
    routes = {
        r["metadata"]["name"]: r for r in by_kind(rendered("dev", 4), "HTTPRoute")
    }

    for app in WAVE:
        rule = routes[f"{app.id}-oauth2"]["spec"]["rules"][0]
        assert rule["matches"][0]["path"]["value"] == "/oauth2/"
        assert rule["backendRefs"] == [{"name": proxy_name(app), "port": 4180}]


def test_phase_three_still_asks_the_proxy() -> None:
    for policy in by_kind(rendered("dev", 3), "SecurityPolicy"):
        backend = policy["spec"]["extAuth"]["http"]["backendRefs"][0]
        assert backend["name"].endswith("-oauth2-proxy")
        assert "headersToExtAuth" not in policy["spec"]["extAuth"]
    assert not by_kind(rendered("dev", 3), "ClientTrafficPolicy")


def test_ingress_nginx_hands_the_certificate_to_the_gate() -> None:
    render = rendered("prod", 4)
    ingresses = {i["metadata"]["name"]: i for i in by_kind(render, "Ingress")}
    before = {i["metadata"]["name"]: i for i in by_kind(rendered("prod", 3), "Ingress")}
    prefix = "nginx.ingress.kubernetes.io/"

    for app in WAVE:
        annotations = ingresses[app.id]["metadata"]["annotations"]
        assert annotations[prefix + "auth-url"] == (
            f"http://posture-gate.{GATE_NAMESPACE}.svc.cluster.local:8080/auth"
        )
        assert annotations[prefix + "auth-tls-verify-client"] == "optional"
        assert annotations[prefix + "auth-response-headers"].split(",") == [
            "X-Auth-Request-User",
            "X-Auth-Request-Email",
            "X-Auth-Request-Groups",
            "X-Auth-Request-Preferred-Username",
            "X-Ztkit-Device-Trust",
            "X-Ztkit-Access-Level",
        ]
        assert annotations[prefix + "auth-tls-secret"] == f"{GATE_NAMESPACE}/device-ca"
        assert (
            annotations[prefix + "auth-signin"]
            == (before[app.id]["metadata"]["annotations"][prefix + "auth-signin"])
        )
        namespace, _, name = annotations[prefix + "auth-proxy-set-headers"].partition(
            "/"
        )
        headers = _named(render, "ConfigMap", name, namespace)
        assert namespace == app.namespace
        assert headers["data"] == {
            "X-Client-Cert": "$ssl_client_escaped_cert",
            "X-Client-Verify": "$ssl_client_verify",
            # The gate reads these first; a client must not be able to set them.
            "X-Forwarded-Method": "$request_method",
            "X-Forwarded-Host": "$host",
            "X-Forwarded-Uri": "$request_uri",
        }
        assert ingresses[f"{app.id}-oauth2"]["metadata"]["annotations"] == {}
    assert not by_kind(render, "ClientTrafficPolicy")


def test_pushes_get_a_route_of_their_own_only_when_a_host_is_named() -> None:
    host = "devices.internal.fernhollow.example"
    envoy = _posture("dev", {"push_hostname": host})
    nginx = _posture("prod", {"push_hostname": host})
    route = _named(envoy, "HTTPRoute", "posture-gate-push", GATE_NAMESPACE)
    push_ingress = _named(nginx, "Ingress", "posture-gate-push", GATE_NAMESPACE)

    assert route["spec"]["hostnames"] == [host]
    assert route["spec"]["rules"] == [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/push/devices"}}],
            "backendRefs": [{"name": "posture-gate", "port": 8080}],
        }
    ]
    assert "posture-gate-push" not in {
        p["spec"]["targetRefs"][0]["name"] for p in by_kind(envoy, "SecurityPolicy")
    }
    assert push_ingress["metadata"]["annotations"] == {}
    assert push_ingress["spec"]["rules"][0]["http"]["paths"][0]["path"] == (
        "/push/devices"
    )
    assert not [
        r
        for r in by_kind(rendered("dev", 4), "HTTPRoute")
        if r["metadata"]["namespace"] == GATE_NAMESPACE
    ]


# NetworkPolicies --------------------------------------------------------------


def _policy(
    policies: list[dict[str, Any]], namespace: str, name: str
) -> dict[str, Any]:
    return next(
        p
        for p in policies
        if p["metadata"]["namespace"] == namespace and p["metadata"]["name"] == name
    )


def test_the_gate_namespace_denies_by_default_and_allows_dns() -> None:
    policies = posture_gate_policies(WAVE, ENVOY)

    assert _policy(policies, GATE_NAMESPACE, "default-deny")["spec"] == {
        "podSelector": {},
        "ingress": [],
        "egress": [],
        "policyTypes": ["Ingress", "Egress"],
    }
    dns = _policy(policies, GATE_NAMESPACE, "allow-dns")["spec"]["egress"][0]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {
        ("UDP", 53),
        ("TCP", 53),
    }


def test_only_the_gateway_reaches_the_gate_and_the_gate_only_its_proxies_and_redis() -> (
    None
):
    spec = _policy(posture_gate_policies(WAVE, ENVOY), GATE_NAMESPACE, "posture-gate")[
        "spec"
    ]

    assert spec["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {
                        "matchLabels": {
                            "kubernetes.io/metadata.name": "envoy-gateway-system"
                        }
                    },
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "envoy"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": 8080}],
        }
    ]
    proxies, redis = spec["egress"]
    assert proxies["ports"] == [{"protocol": "TCP", "port": 4180}]
    assert [
        (
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/instance"],
        )
        for peer in proxies["to"]
    ] == [(app.namespace, app.id) for app in WAVE]
    assert redis["ports"] == [{"protocol": "TCP", "port": 6379}]


def test_redis_takes_the_gate_alone_and_each_proxy_takes_the_gate() -> None:
    policies = posture_gate_policies(WAVE, ENVOY)
    gate_peer = {
        "namespaceSelector": {
            "matchLabels": {"kubernetes.io/metadata.name": GATE_NAMESPACE}
        },
        "podSelector": {"matchLabels": pod_selector()},
    }

    redis = _policy(policies, GATE_NAMESPACE, "posture-gate-redis")["spec"]
    assert redis["ingress"] == [
        {"from": [gate_peer], "ports": [{"protocol": "TCP", "port": 6379}]}
    ]
    assert redis["egress"] == []
    for app in WAVE:
        proxy = _policy(
            policies, app.namespace, f"{app.id}-oauth2-proxy-from-posture-gate"
        )
        assert proxy["spec"]["podSelector"]["matchLabels"] == {
            "app.kubernetes.io/name": "oauth2-proxy",
            "app.kubernetes.io/instance": app.id,
        }
        assert proxy["spec"]["ingress"] == [
            {"from": [gate_peer], "ports": [{"protocol": "TCP", "port": 4180}]}
        ]
        assert proxy["spec"]["policyTypes"] == ["Ingress"]


def test_metrics_open_only_to_the_named_monitoring_namespace() -> None:
    closed = _policy(posture_gate_policies(WAVE, ENVOY), GATE_NAMESPACE, "posture-gate")
    settings = parse_settings(
        {**BASE, "posture": {"metrics_namespace": "observability"}}
    )
    open_ = _policy(
        posture_gate_policies(WAVE, settings), GATE_NAMESPACE, "posture-gate"
    )

    assert all(
        rule["ports"] != [{"protocol": "TCP", "port": 9090}]
        for rule in closed["spec"]["ingress"]
    )
    assert {
        "from": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "observability"}
                }
            }
        ],
        "ports": [{"protocol": "TCP", "port": 9090}],
    } in open_["spec"]["ingress"]


def test_phase_four_objects_carry_their_phase_and_the_component_its_token() -> None:
    render = rendered("dev", 4)
    gate_objects = [
        m
        for m in render.manifests()
        if m["metadata"].get("namespace") == GATE_NAMESPACE
        or m["kind"] == "ClientTrafficPolicy"
    ]

    assert "ztkit:posture_gate:PostureGate" in {r.type for r in render.resources}
    assert len(gate_objects) > 10
    assert {m["metadata"]["labels"]["ztkit.io/phase"] for m in gate_objects} == {"4"}
