"""oauth2-proxy settings: reading flags and environment, and the unsafe rows."""

from __future__ import annotations

from typing import Any

import pytest

from assessment.collectors.oauth2_proxy_flags import (
    is_oauth2_proxy,
    read_settings,
    unsafe_settings,
)

SAFE = [
    "--provider=oidc",
    "--reverse-proxy=true",
    "--trusted-proxy-ip=10.42.0.0/16",
    "--email-domain=example.org",
    "--whitelist-domain=payroll.example.org",
    "--skip-auth-route=GET=^/healthz$",
]


def problems(args: list[str], env: dict[str, str] | None = None) -> list[str]:
    container: dict[str, Any] = {"image": "quay.io/oauth2-proxy/oauth2-proxy:v7.12.0"}
    container["args"] = args
    container["env"] = [{"name": k, "value": v} for k, v in (env or {}).items()]
    return unsafe_settings(read_settings(container))


def test_a_careful_configuration_has_no_problems() -> None:
    assert problems(SAFE) == []


def test_any_email_domain_is_fine_when_groups_are_the_gate() -> None:
    assert problems(["--email-domain=*", "--allowed-group=payroll-admins"]) == []
    assert (
        problems(["--email-domain=*"], {"OAUTH2_PROXY_ALLOWED_GROUPS": "hr,finance"})
        == []
    )


def test_ztkit_own_proxy_flags_pass_the_collector() -> None:
    from assessment.inventory import load_inventory
    from components.access_proxy import proxy_arguments
    from components.settings import GatewaySettings
    from tests.conftest import SAMPLE

    app = load_inventory(SAMPLE / "inventory.yaml").apps_by_id["payroll"]
    arguments = proxy_arguments(
        app,
        "https://sso.example.org/realms/x",
        "payroll",
        GatewaySettings(proxy_cidrs=["10.244.0.0/16"]),
    )

    assert problems(arguments) == []


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--reverse-proxy"], "--reverse-proxy without --trusted-proxy-ip"),
        (
            ["--reverse-proxy", "--trusted-proxy-ip=0.0.0.0/0"],
            "--trusted-proxy-ip=0.0.0.0/0 trusts every address",
        ),
        (["--trusted-proxy-ip=10.0.0.0/8,::/0"], "--trusted-proxy-ip=::/0"),
        (["--trusted-ip=0.0.0.0/0"], "lets every address skip authentication"),
        (["--cookie-secure=false"], "--cookie-secure=false exposes the session cookie"),
        (["--cookie-httponly=false"], "--cookie-httponly=false"),
        (
            ["--ssl-insecure-skip-verify"],
            "--ssl-insecure-skip-verify turns verification off",
        ),
        (
            ["--ssl-upstream-insecure-skip-verify=true"],
            "--ssl-upstream-insecure-skip-verify",
        ),
        (
            ["--insecure-oidc-allow-unverified-email"],
            "--insecure-oidc-allow-unverified-email",
        ),
        (
            ["--skip-auth-regex=.*"],
            "--skip-auth-regex=.* skips authentication for broad paths",
        ),
        (["--skip-auth-regex", "/"], "--skip-auth-regex=/ skips"),
        (["--skip-auth-regex=^/$"], "--skip-auth-regex=^/$ skips"),
        (["--skip-auth-route=GET=.*"], "--skip-auth-route=.* skips"),
        (["--skip-auth-regex=(unclosed"], "is not a regular expression"),
        (["--whitelist-domain=*"], "--whitelist-domain=* allows redirects"),
        (["--whitelist-domain=.example.org"], "--whitelist-domain=.example.org"),
        (["--whitelist-domain=*.example.org"], "--whitelist-domain=*.example.org"),
        (["--email-domain=*"], "--email-domain=* without --allowed-group admits every"),
        (["--email-domain", "example.org,*"], "--email-domain=*"),
    ],
)
def test_each_unsafe_setting_is_named(args: list[str], problem: str) -> None:
    found = problems(args)

    assert len(found) == 1, found
    assert problem in found[0]


def test_narrow_skip_auth_patterns_are_fine() -> None:
    assert (
        problems(["--skip-auth-regex=^/healthz$", "--skip-auth-regex=^/static/"]) == []
    )


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("OAUTH2_PROXY_EMAIL_DOMAINS", "*", "--email-domain=*"),
        (
            "OAUTH2_PROXY_WHITELIST_DOMAINS",
            ".example.org",
            "--whitelist-domain=.example.org",
        ),
        ("OAUTH2_PROXY_COOKIE_SECURE", "false", "--cookie-secure=false"),
        ("OAUTH2_PROXY_TRUSTED_PROXY_IPS", "0.0.0.0/0", "--trusted-proxy-ip=0.0.0.0/0"),
    ],
)
def test_environment_variables_count_as_flags(
    variable: str, value: str, problem: str
) -> None:
    [found] = problems([], {variable: value})

    assert problem in found


def test_flags_inside_a_shell_command_are_read() -> None:
    container = {
        "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
        "command": [
            "sh",
            "-c",
            "exec oauth2-proxy --email-domain='*' --upstream=static://200",
        ],
    }

    [found] = unsafe_settings(read_settings(container))

    assert "--email-domain=*" in found


def test_settings_the_collector_cannot_see_are_reported() -> None:
    container = {
        "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
        "args": ["--config", "/etc/oauth2-proxy.cfg"],
        "env": [
            {
                "name": "OAUTH2_PROXY_CLIENT_SECRET",
                "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}},
            },
            {
                "name": "OAUTH2_PROXY_EMAIL_DOMAINS",
                "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}},
            },
        ],
        "envFrom": [{"configMapRef": {"name": "proxy"}}],
    }

    assert read_settings(container).unread == [
        "OAUTH2_PROXY_EMAIL_DOMAINS (set from a reference)",
        "envFrom (a ConfigMap or Secret)",
        "--config /etc/oauth2-proxy.cfg",
    ]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("quay.io/oauth2-proxy/oauth2-proxy:v7.12.0", True),
        ("bitnami/oauth2-proxy:7", True),
        ("registry.example.org/payroll:1", False),
    ],
)
def test_oauth2_proxy_is_recognised_by_its_image(image: str, expected: bool) -> None:
    assert is_oauth2_proxy({"image": image}) is expected
