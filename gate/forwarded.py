"""The original request, as the gateway describes it in the auth sub-request.

Every value here comes from a header the gateway sets. The server only calls
these functions for peers in ``trusted_peers``; for anyone else the headers
could be the client's own words.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from gate.config import GateConfig

# RFC 9110 token characters: a method outside them is not a method.
_METHOD = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$")
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_HEX_FINGERPRINT = re.compile(r"^[0-9a-fA-F]{64}$")
_COOKIE_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")
_COOKIE_VALUE = re.compile(r'^"?[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*"?$')
# One XFCC element: no comma outside a quoted string, every quote closed.
_ONE_XFCC_ELEMENT = re.compile(r'^(?:[^,"\\]|\\.|"(?:\\.|[^"\\])*")*$')
_XFCC_PAIR = re.compile(r'(?:[^;"\\]|\\.|"(?:\\.|[^"\\])*")+')
_PEM_BODY = re.compile(
    r"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----"
)

CertificateState = Literal["absent", "verified", "rejected", "malformed"]


class MalformedRequest(ValueError):
    """A forwarded header is missing, oversized or not what the gateway sends."""


@dataclass(frozen=True)
class ClientCertificate:
    """What the gateway says about the client's certificate."""

    state: CertificateState
    fingerprint: str | None = None
    """SHA-256 of the certificate, 64 lower-case hex digits, when ``verified``."""


@dataclass(frozen=True)
class ForwardedRequest:
    """The request the gateway is asking about."""

    method: str
    host: str
    path: str
    """The path only: the query string may carry tokens and is never kept."""
    certificate: ClientCertificate
    client_address: str | None
    request_id: str | None


def _one(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def _bounded(value: str | None, name: str, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        raise MalformedRequest(f"{name} header of {len(value)} bytes exceeds {limit}")
    return value


def original_method(headers: Mapping[str, str], own_method: str, limit: int) -> str:
    """The original method: X-Forwarded-Method, X-Original-Method or the sub-request's."""
    method = _bounded(
        _one(headers, ("X-Forwarded-Method", "X-Original-Method")), "method", limit
    )
    method = own_method if method is None else method.strip()
    if not _METHOD.match(method):
        raise MalformedRequest(f"unusable method {method[:40]!r}")
    return method


def original_host_and_path(
    headers: Mapping[str, str], own_host: str | None, own_path: str, limit: int
) -> tuple[str, str]:
    """The original host (no port, lower case) and path (no query string).

    Sources, in order: X-Forwarded-Host and X-Forwarded-Uri (Traefik, the
    nginx demo), X-Original-URL (ingress-nginx, a full URL), X-Original-URI,
    then the sub-request's own Host and path (Envoy's external auth).
    """
    host = _bounded(headers.get("X-Forwarded-Host"), "host", limit)
    uri = _bounded(headers.get("X-Forwarded-Uri"), "URI", limit)
    original_url = _bounded(headers.get("X-Original-URL"), "URL", limit)
    if uri is None and original_url is not None:
        try:
            parts = urlsplit(original_url)
        except ValueError:
            raise MalformedRequest("X-Original-URL is not a URL") from None
        uri = parts.path or "/"
        if host is None:
            host = parts.netloc
    if uri is None:
        uri = _bounded(headers.get("X-Original-URI"), "URI", limit)
    if uri is None:
        uri = own_path
    if host is None:
        host = own_host

    if not host:
        raise MalformedRequest("no host for the original request")
    name = _strip_port(host.strip()).lower()
    if not _HOST.match(name):
        raise MalformedRequest(f"unusable host {host[:80]!r}")
    path = uri.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        raise MalformedRequest(f"unusable path {path[:80]!r}")
    return name, path


def _strip_port(host: str) -> str:
    if host.startswith("["):
        raise MalformedRequest("an IP literal is not an application host")
    name, _, port = host.partition(":")
    if port and not port.isdigit():
        raise MalformedRequest(f"unusable host {host[:80]!r}")
    return name


def pem_fingerprint(escaped_pem: str) -> str:
    """SHA-256 of a certificate given as nginx's ``$ssl_client_escaped_cert``.

    Raises:
        MalformedRequest: The value is not one URL-encoded PEM certificate.
    """
    pem = unquote(escaped_pem)
    found = _PEM_BODY.findall(pem)
    if len(found) != 1:
        raise MalformedRequest("client certificate header is not one PEM certificate")
    try:
        der = base64.b64decode("".join(found[0].split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedRequest(
            "client certificate header is not valid base64"
        ) from None
    if not der:
        raise MalformedRequest("client certificate header is empty")
    return hashlib.sha256(der).hexdigest()


def xfcc_fingerprint(value: str) -> str:
    """The ``Hash`` of Envoy's X-Forwarded-Client-Cert, for exactly one certificate.

    Envoy writes ``Hash`` as the SHA-256 of the verified certificate. More than
    one element means a proxy appended rather than replaced the header, so
    the value is refused rather than guessed at.

    Raises:
        MalformedRequest: Not exactly one element, or no valid ``Hash``.
    """
    if not _ONE_XFCC_ELEMENT.match(value):
        raise MalformedRequest(
            "X-Forwarded-Client-Cert is not exactly one element with balanced quotes"
        )
    pairs = _XFCC_PAIR.findall(value) if '"' in value else value.split(";")
    hashes = [
        pair.partition("=")[2].strip()
        for pair in pairs
        if pair.strip()[:5].lower() == "hash="
    ]
    if len(hashes) != 1 or not _HEX_FINGERPRINT.match(hashes[0]):
        raise MalformedRequest("X-Forwarded-Client-Cert has no single valid Hash")
    return hashes[0].lower()


def client_certificate(
    headers: Mapping[str, str], config: GateConfig
) -> ClientCertificate:
    """What the gateway verified about the client certificate.

    With the ``pem`` format, only a verification result of exactly ``SUCCESS``
    makes the certificate count; ``NONE`` or no header means no certificate
    was offered, and anything else (``FAILED:...``) means it did not verify.
    """
    settings = config.client_certificate
    limit = config.limits.max_header_bytes
    certificate = _bounded(
        headers.get(settings.certificate_header), "certificate", limit
    )

    if settings.format == "xfcc":
        if not certificate:
            return ClientCertificate("absent")
        try:
            return ClientCertificate("verified", xfcc_fingerprint(certificate))
        except MalformedRequest:
            return ClientCertificate("malformed")

    verify = _bounded(headers.get(settings.verify_header), "verify", limit)
    if verify is None or verify == "NONE":
        return ClientCertificate("malformed" if certificate else "absent")
    if verify != "SUCCESS":
        return ClientCertificate("rejected")
    if not certificate:
        return ClientCertificate("malformed")
    try:
        return ClientCertificate("verified", pem_fingerprint(certificate))
    except MalformedRequest:
        return ClientCertificate("malformed")


def parse_forwarded(
    headers: Mapping[str, str],
    own_method: str,
    own_host: str | None,
    own_path: str,
    config: GateConfig,
) -> ForwardedRequest:
    """Read the original request from a trusted gateway's sub-request.

    Raises:
        MalformedRequest: A header is oversized or unusable.
    """
    limit = config.limits.max_header_bytes
    method = original_method(headers, own_method, limit)
    host, path = original_host_and_path(headers, own_host, own_path, limit)
    certificate = client_certificate(headers, config)

    address = _bounded(headers.get(config.client_address_header), "address", limit)
    request_id = headers.get("X-Request-Id")
    if request_id is not None and not _REQUEST_ID.match(request_id):
        request_id = None
    return ForwardedRequest(
        method=method,
        host=host,
        path=path,
        certificate=certificate,
        client_address=address.strip() if address else None,
        request_id=request_id,
    )


def session_cookies(cookie_header: str | None, names: list[str]) -> str | None:
    """The Cookie header to forward to oauth2-proxy: its session cookies only.

    A session cookie too big for one cookie is split by oauth2-proxy into
    ``<name>_0``, ``<name>_1``...; those parts are kept too. Every other
    cookie the browser sent stays with the gate.

    Raises:
        MalformedRequest: A cookie name is not an RFC 6265 token, or a session
            cookie's value holds characters a cookie value cannot.
    """
    if not cookie_header:
        return None

    kept = []
    for pair in cookie_header.split(";"):
        name, equals, value = pair.strip().partition("=")
        if not name and not equals:
            continue
        if not _COOKIE_NAME.match(name):
            raise MalformedRequest("Cookie header is malformed")
        base, _, suffix = name.rpartition("_")
        if name in names or (base in names and suffix.isdigit()):
            if not _COOKIE_VALUE.match(value):
                raise MalformedRequest(f"cookie {name} has a malformed value")
            kept.append(f"{name}={value}")
    kept.sort()
    return "; ".join(kept) or None
