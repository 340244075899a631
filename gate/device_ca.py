"""A small certificate authority for device identity: the device CA and its certificates.

Every device gets a client certificate signed by the device CA; the gateway
verifies it during the TLS handshake and forwards it, and the gate looks the
device up in the feed by the certificate's SHA-256 fingerprint. The same
module issues the server certificate the demo's gateway presents, from a CA
of its own, so the anchor the gateway trusts for devices never vouches for a
server.

Keys are EC P-256. Private keys are written with mode 0600, atomically.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from assessment.atomic_file import write_atomic
from gate.errors import GateError

DEFAULT_CA_LIFETIME = datetime.timedelta(days=365)
DEFAULT_LEAF_LIFETIME = datetime.timedelta(days=30)
# Certificates start slightly in the past so a peer whose clock runs a little
# behind does not reject a certificate issued a second ago.
BACKDATE = datetime.timedelta(minutes=5)
ORGANISATION = "ztkit demo"


class CertificateError(GateError):
    """A certificate could not be read, or could not be written to disk."""


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    @property
    def certificate_pem(self) -> str:
        """The certificate in PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def private_key_pem(self) -> str:
        """The private key in unencrypted PKCS#8 PEM."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint the gate keys devices by."""
        return certificate_fingerprint(
            self.certificate.public_bytes(serialization.Encoding.DER)
        )

    def write(self, certificate_path: Path, key_path: Path) -> None:
        """Write the certificate (mode 0644) and the key (mode 0600), each atomically.

        Raises:
            CertificateError: A file cannot be written.
        """
        write_private(key_path, self.private_key_pem)
        _write(certificate_path, self.certificate_pem, 0o644)


def certificate_fingerprint(pem_or_der: bytes | str) -> str:
    """The SHA-256 of a certificate's DER encoding, as 64 lower-case hex digits.

    Args:
        pem_or_der: One certificate, PEM (text or bytes) or DER. With PEM, the
            first certificate in the text counts.

    Raises:
        CertificateError: The input is not a certificate.
    """
    data = pem_or_der.encode() if isinstance(pem_or_der, str) else pem_or_der
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise CertificateError(f"not a PEM or DER certificate: {error}") from None
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def issue_ca(
    common_name: str = "ztkit demo device CA",
    *,
    lifetime: datetime.timedelta = DEFAULT_CA_LIFETIME,
    now: datetime.datetime | None = None,
) -> IssuedCertificate:
    """A self-signed CA that may sign end-entity certificates only.

    The path length is 0, so a certificate it signs can never act as a CA.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    start = _start(now)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            critical=False,
        )
    )
    return IssuedCertificate(builder.sign(key, hashes.SHA256()), key)


def issue_client_certificate(
    ca: IssuedCertificate,
    common_name: str,
    *,
    lifetime: datetime.timedelta = DEFAULT_LEAF_LIFETIME,
    now: datetime.datetime | None = None,
) -> IssuedCertificate:
    """A device's certificate for TLS client authentication, signed by ``ca``."""
    builder = _leaf(ca, common_name, lifetime, now).add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
    )
    return _sign(ca, builder)


def issue_server_certificate(
    ca: IssuedCertificate,
    hostnames: Iterable[str],
    addresses: Iterable[str] = ("127.0.0.1",),
    *,
    lifetime: datetime.timedelta = DEFAULT_LEAF_LIFETIME,
    now: datetime.datetime | None = None,
) -> IssuedCertificate:
    """A TLS server certificate for ``hostnames`` and IP ``addresses``, signed by ``ca``.

    Raises:
        ValueError: No host name is given, or an address is not an IP address.
    """
    names = list(hostnames)
    if not names:
        raise ValueError("a server certificate needs at least one host name")
    alternative_names: list[x509.GeneralName] = [x509.DNSName(h) for h in names]
    alternative_names += [
        x509.IPAddress(ipaddress.ip_address(address)) for address in addresses
    ]
    builder = (
        _leaf(ca, names[0], lifetime, now)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
    )
    return _sign(ca, builder)


def load_certificate(path: Path) -> x509.Certificate:
    """Read one PEM certificate from a file.

    Raises:
        CertificateError: The file is unreadable or holds no certificate.
    """
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except OSError as error:
        raise CertificateError(f"{path}: cannot read: {error.strerror}") from None
    except ValueError as error:
        raise CertificateError(f"{path}: not a PEM certificate: {error}") from None


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (mode 0600), atomically: a key or a secret.

    Raises:
        CertificateError: The file cannot be written.
    """
    _write(path, text, 0o600)


def _write(path: Path, text: str, mode: int) -> None:
    try:
        # The atomic writer keeps an existing file's mode, and a new file gets
        # mkstemp's 0600; narrowing an old file first means a key is never
        # readable by others, not even for the moment of the rename.
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, mode & 0o600)
        write_atomic(path, text)
        os.chmod(path, mode)
    except OSError as error:
        raise CertificateError(
            f"{path}: cannot write: {error.strerror or error}"
        ) from None


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _start(now: datetime.datetime | None) -> datetime.datetime:
    return (now or datetime.datetime.now(datetime.UTC)) - BACKDATE


def _key_usage(
    *,
    digital_signature: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf(
    ca: IssuedCertificate,
    common_name: str,
    lifetime: datetime.timedelta,
    now: datetime.datetime | None,
) -> x509.CertificateBuilder:
    # The subject key is attached by _sign; everything else here is common to
    # every end-entity certificate.
    start = _start(now)
    not_after = min(start + lifetime, ca.certificate.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.certificate.subject)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca.private_key.public_key()
            ),
            critical=False,
        )
    )


def _sign(ca: IssuedCertificate, builder: x509.CertificateBuilder) -> IssuedCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = builder.public_key(key.public_key()).add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
    )
    return IssuedCertificate(builder.sign(ca.private_key, hashes.SHA256()), key)
