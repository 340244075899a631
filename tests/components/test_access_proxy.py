"""oauth2-proxy's flags and Deployment, as its security advisories advise."""

from __future__ import annotations

from assessment.inventory import load_inventory
from components.access_proxy import AccessProxyArgs, proxy_arguments, proxy_deployment
from components.settings import GatewaySettings
from tests.conftest import SAMPLE

INVENTORY = load_inventory(SAMPLE / "inventory.yaml")
PAYROLL = INVENTORY.apps_by_id["payroll"]
GATEWAY = GatewaySettings(proxy_cidrs=["10.244.0.0/16", "fd00:10:244::/56"])
ISSUER = "https://sso.internal.example.org/realms/ztkit"


def _flags() -> dict[str, list[str]]:
    flags: dict[str, list[str]] = {}
    for argument in proxy_arguments(PAYROLL, ISSUER, "payroll", GATEWAY):
        name, _, value = argument.partition("=")
        flags.setdefault(name, []).append(value)
    return flags


def test_trusted_proxies_are_the_gateway_never_everything() -> None:
    flags = _flags()

    assert flags["--reverse-proxy"] == ["true"]
    assert flags["--trusted-proxy-ip"] == ["10.244.0.0/16", "fd00:10:244::/56"]


def test_redirects_are_an_exact_allow_list() -> None:
    flags = _flags()

    assert flags["--redirect-url"] == [f"https://{PAYROLL.host}/oauth2/callback"]
    assert flags["--whitelist-domain"] == [PAYROLL.host]
    assert not any(
        value.startswith(".") or "*" in value for value in flags["--whitelist-domain"]
    )


def test_cookies_pkce_and_groups() -> None:
    flags = _flags()

    assert flags["--cookie-secure"] == ["true"]
    assert flags["--cookie-httponly"] == ["true"]
    assert flags["--cookie-name"] == ["__Host-payroll-session"]
    assert flags["--code-challenge-method"] == ["S256"]
    assert sorted(flags["--allowed-group"]) == sorted(
        set(PAYROLL.readers) | set(PAYROLL.writers)
    )
    assert flags["--upstream"] == ["static://202"]
    assert "--ssl-insecure-skip-verify" not in flags
    assert "--skip-auth-regex" not in flags


def test_secrets_come_from_a_secret_never_from_flags() -> None:
    deployment = proxy_deployment(
        AccessProxyArgs(
            app=PAYROLL,
            issuer_url=ISSUER,
            client_id="payroll",
            client_secret="s3cret",
            gateway=GATEWAY,
            phase=2,
        )
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]

    assert not any("secret" in argument.split("=")[0] for argument in container["args"])
    assert "s3cret" not in str(deployment)
    assert {env["valueFrom"]["secretKeyRef"]["name"] for env in container["env"]} == {
        "payroll-oauth2-proxy"
    }


def test_the_pod_meets_the_restricted_pod_security_standard() -> None:
    deployment = proxy_deployment(
        AccessProxyArgs(
            app=PAYROLL,
            issuer_url=ISSUER,
            client_id="payroll",
            client_secret="x",
            gateway=GATEWAY,
            phase=2,
        )
    )
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["livenessProbe"]["httpGet"]["path"] == "/ping"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["resources"]["limits"]["memory"] == "128Mi"
    assert deployment["spec"]["replicas"] == 2
