"""The device CA: what the gateway checks device client certificates against.

Either cert-manager issues it in the gate's namespace (the default: nothing
to provide, but cert-manager must be installed), or the organisation provides
its own CA certificate in the setting ``ztkit:deviceCaCertificate``. Both end
up as an object named ``device-ca`` holding ``ca.crt``, which the gateway
reads.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from assessment.inventory import Application
from components.errors import StackConfigError
from components.settings import CertManagerDeviceCa, StackSettings

DEVICE_CA = "device-ca"
"""The ConfigMap or Secret, in the gate's namespace, holding the device CA's
``ca.crt``; also cert-manager's Issuer of device certificates."""
CA_ROOT_ISSUER = f"{DEVICE_CA}-root"
CA_CERTIFICATE_KEY = "deviceCaCertificate"


def read_device_ca_certificate(
    raw: str | None, now: datetime.datetime | None = None
) -> str:
    """Check the provided device CA certificate (PEM, one or more).

    Args:
        raw: The value of ``ztkit:deviceCaCertificate``.
        now: The time the certificates must be valid at; now when not given.

    Returns:
        The PEM text, with surrounding whitespace removed.

    Raises:
        StackConfigError: the setting is missing, is not PEM, or holds a
            certificate that is not a CA or has expired.
    """
    key = f"ztkit:{CA_CERTIFICATE_KEY}"
    if not raw or not raw.strip():
        raise StackConfigError(
            f"{key}: required setting is missing with posture.device_ca.kind "
            f"'provided' (pulumi config set {key} < device-ca.pem)"
        )

    text = raw.strip()
    shown = text if len(text) <= 40 else text[:37] + "..."
    try:
        certificates = x509.load_pem_x509_certificates(text.encode())
    except ValueError:
        raise StackConfigError(
            f"{key}: {shown!r} is not a PEM certificate "
            "('-----BEGIN CERTIFICATE-----' ...)"
        ) from None

    moment = now or datetime.datetime.now(datetime.UTC)
    for certificate in certificates:
        subject = _common_name(certificate)
        try:
            constraints = certificate.extensions.get_extension_for_class(
                x509.BasicConstraints
            ).value
        except x509.ExtensionNotFound:
            constraints = None
        if constraints is None or not constraints.ca:
            raise StackConfigError(
                f"{key}: {subject!r} is not a CA certificate "
                "(its basicConstraints do not say CA:TRUE)"
            )
        if certificate.not_valid_after_utc <= moment:
            raise StackConfigError(
                f"{key}: {subject!r} expired on "
                f"{certificate.not_valid_after_utc:%Y-%m-%d}"
            )
    return text


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        return str(names[0].value)
    return certificate.subject.rfc4514_string()


# TODO: with ingress-nginx, an in-cluster (cert-manager) CA is referred to
# across namespaces, which ingress-nginx 1.12+ refuses unless
# allow-cross-namespace-resources is on; copying only its ca.crt into the app
# namespaces needs a distributor such as trust-manager, not deployed here.
def device_ca_beside_apps(settings: StackSettings) -> bool:
    """Whether the CA is copied into each app namespace: a provided one for
    ingress-nginx, whose Ingresses may not refer to another namespace's
    Secret by default (from 1.12). An in-cluster CA stays in the gate's
    namespace with its key."""
    return (
        not isinstance(settings.posture.device_ca, CertManagerDeviceCa)
        and settings.gateway.kind == "ingress-nginx"
    )


def device_ca_objects(
    settings: StackSettings,
    apps: Sequence[Application],
    certificate: str | None,
    meta_labels: dict[str, str],
) -> list[dict[str, Any]]:
    """The device CA the gateway checks client certificates against.

    In-cluster: a self-signed cert-manager Issuer that signs one CA
    Certificate (its Secret ``device-ca`` holds the key and ``ca.crt``), and a
    CA Issuer that signs device certificates with it. Provided: the PEM in a
    ConfigMap for Envoy Gateway; for ingress-nginx, which reads CAs from
    Secrets only, a Secret in each app namespace.
    """
    namespace = settings.posture.namespace
    device_ca = settings.posture.device_ca
    metadata = {"name": DEVICE_CA, "namespace": namespace, "labels": meta_labels}
    if not isinstance(device_ca, CertManagerDeviceCa):
        assert certificate is not None
        if device_ca_beside_apps(settings):
            return [
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {**metadata, "namespace": app_namespace},
                    "type": "Opaque",
                    "stringData": {"ca.crt": certificate},
                }
                for app_namespace in sorted({app.namespace for app in apps})
            ]
        return [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": metadata,
                "data": {"ca.crt": certificate},
            }
        ]

    def issuer(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Issuer",
            "metadata": {**metadata, "name": name},
            "spec": spec,
        }

    return [
        issuer(CA_ROOT_ISSUER, {"selfSigned": {}}),
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": metadata,
            "spec": {
                "isCA": True,
                "commonName": device_ca.common_name,
                "secretName": DEVICE_CA,
                "duration": device_ca.duration,
                "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {
                    "group": "cert-manager.io",
                    "kind": "Issuer",
                    "name": CA_ROOT_ISSUER,
                },
            },
        },
        issuer(DEVICE_CA, {"ca": {"secretName": DEVICE_CA}}),
    ]


def device_ca_kind(settings: StackSettings) -> str:
    """What holds the device CA's ``ca.crt``: ``Secret`` or ``ConfigMap``."""
    if isinstance(settings.posture.device_ca, CertManagerDeviceCa):
        return "Secret"
    return "Secret" if settings.gateway.kind == "ingress-nginx" else "ConfigMap"
