"""oauth2-proxy settings that undo the protection the proxy is there for.

Each row of :data:`UNSAFE_SETTINGS` reads the container's flags (command-line
arguments and ``OAUTH2_PROXY_*`` environment variables, merged) and names a
problem or says nothing. The rows follow oauth2-proxy's documented options and
the lessons of its security advisories: trust forwarded headers only from the
gateway, keep cookies secure, verify TLS and the identity provider, never
skip authentication for broad paths, and keep the redirect and e-mail domain
allow-lists exact.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "OAUTH2_PROXY_"
ENV_ALIASES = {
    "email-domains": "email-domain",
    "allowed-groups": "allowed-group",
    "whitelist-domains": "whitelist-domain",
    "skip-auth-routes": "skip-auth-route",
    "trusted-ips": "trusted-ip",
    "trusted-proxy-ips": "trusted-proxy-ip",
}
"""Environment variables that are plural where the flag is singular."""
LIST_FLAGS = frozenset(
    {
        "email-domain",
        "allowed-group",
        "whitelist-domain",
        "skip-auth-regex",
        "skip-auth-route",
        "trusted-ip",
        "trusted-proxy-ip",
    }
)
"""Flags that take comma-separated lists."""
BOOLEAN_FLAGS = frozenset(
    {
        "reverse-proxy",
        "cookie-secure",
        "cookie-httponly",
        "ssl-insecure-skip-verify",
        "ssl-upstream-insecure-skip-verify",
        "insecure-oidc-allow-unverified-email",
        "insecure-oidc-skip-issuer-verification",
        "skip-jwt-bearer-tokens",
        "skip-provider-button",
        "skip-auth-preflight",
        "pass-access-token",
        "set-xauthrequest",
        "pass-user-headers",
        "pass-host-header",
        "pass-authorization-header",
        "set-authorization-header",
    }
)
"""Flags that take no separate value (``--flag`` means true)."""
CHECKED_FLAGS = frozenset(
    {
        "reverse-proxy",
        "trusted-proxy-ip",
        "trusted-ip",
        "cookie-secure",
        "cookie-httponly",
        "ssl-insecure-skip-verify",
        "ssl-upstream-insecure-skip-verify",
        "insecure-oidc-allow-unverified-email",
        "insecure-oidc-skip-issuer-verification",
        "skip-auth-regex",
        "skip-auth-route",
        "whitelist-domain",
        "email-domain",
    }
)
"""The flags :data:`UNSAFE_SETTINGS` reads."""
CONFIG_FLAGS = ("config", "alpha-config")
TRUE_WORDS = frozenset({"1", "t", "true"})
FALSE_WORDS = frozenset({"0", "f", "false"})
PROBE_PATHS = ("/", "/ztkit-probe/any/private/path")
"""Paths a skip-auth pattern must not match: the root and an arbitrary one."""
WORLD = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


@dataclass
class ProxySettings:
    """An oauth2-proxy container's flags, and what could not be read."""

    flags: dict[str, list[str]] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)
    """Settings living elsewhere: a config file, a Secret, a ConfigMap."""

    def values(self, name: str) -> list[str]:
        """Every value given for ``--name``, lists split at commas."""
        return self.flags.get(name, [])

    def boolean(self, name: str) -> bool | None:
        """The flag's last value as a boolean, or None when absent or unclear."""
        values = self.values(name)
        if not values:
            return None
        word = values[-1].strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        return None


def is_oauth2_proxy(container: Mapping[str, Any]) -> bool:
    """Whether the container runs oauth2-proxy, judged by its image."""
    image = str(container.get("image", ""))
    return "oauth2-proxy" in image or "oauth2_proxy" in image


def read_settings(container: Mapping[str, Any]) -> ProxySettings:
    """The container's flags from its command, args and environment."""
    settings = ProxySettings()
    words: list[str] = []
    for part in ("command", "args"):
        for word in container.get(part) or []:
            words.extend(_split(str(word)))
    _parse_arguments(words, settings)

    for variable in container.get("env") or []:
        if not isinstance(variable, dict):
            continue
        name = str(variable.get("name", ""))
        if not name.startswith(ENV_PREFIX):
            continue
        flag = name.removeprefix(ENV_PREFIX).lower().replace("_", "-")
        flag = ENV_ALIASES.get(flag, flag)
        if "valueFrom" not in variable:
            _add(settings, flag, str(variable.get("value", "")))
        elif flag in CHECKED_FLAGS:
            # Secrets such as the client secret come by reference too; only
            # settings the rules read are worth a warning.
            settings.unread.append(f"{name} (set from a reference)")
    if container.get("envFrom"):
        settings.unread.append("envFrom (a ConfigMap or Secret)")
    # TODO: the --config and --alpha-config files are not read (they live in
    # ConfigMaps or images); the evidence file warns about them instead.
    for flag in CONFIG_FLAGS:
        settings.unread += [f"--{flag} {path}" for path in settings.values(flag)]
    return settings


def unsafe_settings(settings: ProxySettings) -> list[str]:
    """The problems :data:`UNSAFE_SETTINGS` finds, in table order."""
    return [problem for rule in UNSAFE_SETTINGS if (problem := rule(settings))]


def _reverse_proxy_trusts_everyone(settings: ProxySettings) -> str | None:
    if settings.boolean("reverse-proxy") and not settings.values("trusted-proxy-ip"):
        return (
            "--reverse-proxy without --trusted-proxy-ip trusts X-Forwarded-* "
            "headers from any client"
        )
    return None


def _wildcard_trusted_proxy(settings: ProxySettings) -> str | None:
    wide = [value for value in settings.values("trusted-proxy-ip") if _is_world(value)]
    return f"--trusted-proxy-ip={wide[0]} trusts every address" if wide else None


def _wildcard_trusted_ip(settings: ProxySettings) -> str | None:
    wide = [value for value in settings.values("trusted-ip") if _is_world(value)]
    if wide:
        return f"--trusted-ip={wide[0]} lets every address skip authentication"
    return None


def _insecure_cookie(settings: ProxySettings) -> str | None:
    problems = [
        f"--{flag}=false"
        for flag in ("cookie-secure", "cookie-httponly")
        if settings.boolean(flag) is False
    ]
    return f"{' and '.join(problems)} exposes the session cookie" if problems else None


def _skipped_verification(settings: ProxySettings) -> str | None:
    skipped = [
        f"--{flag}"
        for flag in (
            "ssl-insecure-skip-verify",
            "ssl-upstream-insecure-skip-verify",
            "insecure-oidc-allow-unverified-email",
            "insecure-oidc-skip-issuer-verification",
        )
        if settings.boolean(flag)
    ]
    return f"{', '.join(skipped)} turns verification off" if skipped else None


def _broad_skip_auth(settings: ProxySettings) -> str | None:
    patterns = [("skip-auth-regex", p) for p in settings.values("skip-auth-regex")]
    patterns += [
        ("skip-auth-route", _route_pattern(route))
        for route in settings.values("skip-auth-route")
    ]
    for flag, pattern in patterns:
        try:
            compiled = re.compile(pattern)
        except re.error:
            return f"--{flag}={pattern} is not a regular expression Python can check"
        if any(compiled.search(path) for path in PROBE_PATHS):
            return f"--{flag}={pattern} skips authentication for broad paths"
    return None


def _wildcard_redirects(settings: ProxySettings) -> str | None:
    wide = [
        domain
        for domain in settings.values("whitelist-domain")
        if domain == "*" or domain.startswith((".", "*."))
    ]
    if wide:
        return (
            f"--whitelist-domain={wide[0]} allows redirects to any matching host, "
            "not an exact list"
        )
    return None


def _any_email_domain(settings: ProxySettings) -> str | None:
    # With allowed groups, group membership is the gate and any address may
    # belong to a group; without them, every account gets in.
    if "*" in settings.values("email-domain") and not settings.values("allowed-group"):
        return (
            "--email-domain=* without --allowed-group admits every account the "
            "identity provider knows"
        )
    return None


UNSAFE_SETTINGS: tuple[Callable[[ProxySettings], str | None], ...] = (
    _reverse_proxy_trusts_everyone,
    _wildcard_trusted_proxy,
    _wildcard_trusted_ip,
    _insecure_cookie,
    _skipped_verification,
    _broad_skip_auth,
    _wildcard_redirects,
    _any_email_domain,
)
"""The unsafe-settings rules; each names a problem or returns None."""


def _split(word: str) -> list[str]:
    # "sh -c 'oauth2-proxy --flag=x'" hides flags inside one argument.
    if not any(space in word for space in " \t\n"):
        return [word]
    try:
        return shlex.split(word)
    except ValueError:
        return word.split()


def _parse_arguments(words: Sequence[str], settings: ProxySettings) -> None:
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("-") or word in ("-", "--"):
            continue
        name, has_value, value = word.lstrip("-").partition("=")
        if not has_value:
            following = words[index] if index < len(words) else None
            if name in BOOLEAN_FLAGS or following is None or following.startswith("-"):
                value = "true"
            else:
                value = following
                index += 1
        _add(settings, name, value)


def _add(settings: ProxySettings, name: str, value: str) -> None:
    values = [v.strip() for v in value.split(",")] if name in LIST_FLAGS else [value]
    settings.flags.setdefault(name, []).extend(v for v in values if v)


def _route_pattern(route: str) -> str:
    # A route is "[METHOD=]path-regex".
    method, separator, pattern = route.partition("=")
    if separator and method.isalpha() and method.isupper():
        return pattern
    return route


def _is_world(value: str) -> bool:
    if value.strip() == "*":
        return True
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return network in WORLD
