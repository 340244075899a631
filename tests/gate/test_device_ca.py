"""The device CA: certificates that chain, say what they are for, and fingerprint."""

from __future__ import annotations

import datetime
import ipaddress
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from gate.device_ca import (
    CertificateError,
    IssuedCertificate,
    certificate_fingerprint,
    issue_ca,
    issue_client_certificate,
    issue_server_certificate,
    load_certificate,
)
from gate.device_feed import normalise_fingerprint


@pytest.fixture(scope="module")
def ca() -> IssuedCertificate:
    return issue_ca()


def _openssl(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *arguments], capture_output=True, text=True, check=False
    )


def _written(issued: IssuedCertificate, folder: Path, name: str) -> Path:
    path = folder / f"{name}.pem"
    issued.write(path, folder / f"{name}-key.pem")
    return path


def test_the_ca_is_a_self_signed_ca_that_signs_only_end_entities(
    ca: IssuedCertificate,
) -> None:
    certificate = ca.certificate

    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert constraints.critical
    assert constraints.value.ca is True
    assert constraints.value.path_length == 0
    assert usage.key_cert_sign and usage.crl_sign
    assert certificate.issuer == certificate.subject
    certificate.verify_directly_issued_by(certificate)


def test_a_device_certificate_chains_to_the_ca_and_is_for_client_auth_only(
    ca: IssuedCertificate, tmp_path: Path
) -> None:
    device = issue_client_certificate(ca, "managed-laptop")

    device.certificate.verify_directly_issued_by(ca.certificate)
    usage = device.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(usage.value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    constraints = device.certificate.extensions.get_extension_for_class(
        x509.BasicConstraints
    )
    assert constraints.value.ca is False

    ca_path = _written(ca, tmp_path, "ca")
    device_path = _written(device, tmp_path, "device")
    as_client = _openssl(
        "verify", "-CAfile", str(ca_path), "-purpose", "sslclient", str(device_path)
    )
    assert as_client.returncode == 0, as_client.stderr
    as_server = _openssl(
        "verify", "-CAfile", str(ca_path), "-purpose", "sslserver", str(device_path)
    )
    assert as_server.returncode != 0


def test_a_certificate_from_another_ca_with_the_same_name_does_not_chain(
    ca: IssuedCertificate, tmp_path: Path
) -> None:
    forger = issue_ca()
    forged = issue_client_certificate(forger, "managed-laptop")

    assert forger.certificate.subject == ca.certificate.subject
    with pytest.raises(InvalidSignature):
        forged.certificate.verify_directly_issued_by(ca.certificate)
    result = _openssl(
        "verify",
        "-CAfile",
        str(_written(ca, tmp_path, "ca")),
        str(_written(forged, tmp_path, "forged")),
    )
    assert result.returncode != 0


def test_the_server_certificate_names_the_hosts_and_loopback(
    ca: IssuedCertificate, tmp_path: Path
) -> None:
    server = issue_server_certificate(ca, ["hris.localhost", "leave.localhost"])

    names = server.certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value
    assert names.get_values_for_type(x509.DNSName) == [
        "hris.localhost",
        "leave.localhost",
    ]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1")
    ]
    usage = server.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(usage.value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    result = _openssl(
        "verify",
        "-CAfile",
        str(_written(ca, tmp_path, "ca")),
        "-purpose",
        "sslserver",
        "-verify_hostname",
        "leave.localhost",
        str(_written(server, tmp_path, "server")),
    )
    assert result.returncode == 0, result.stderr


def test_a_server_certificate_needs_a_host_name(ca: IssuedCertificate) -> None:
    with pytest.raises(ValueError, match="host name"):
        issue_server_certificate(ca, [])


def test_a_leaf_never_outlives_its_ca() -> None:
    short_ca = issue_ca(lifetime=datetime.timedelta(days=2))

    leaf = issue_client_certificate(short_ca, "laptop")

    assert leaf.certificate.not_valid_after_utc <= (
        short_ca.certificate.not_valid_after_utc
    )


def test_the_fingerprint_matches_openssl(ca: IssuedCertificate, tmp_path: Path) -> None:
    device = issue_client_certificate(ca, "managed-laptop")
    path = _written(device, tmp_path, "device")

    result = _openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", str(path))

    assert result.returncode == 0, result.stderr
    openssl_fingerprint = normalise_fingerprint(result.stdout.strip().split("=", 1)[1])
    der = device.certificate.public_bytes(serialization.Encoding.DER)
    assert certificate_fingerprint(path.read_text()) == openssl_fingerprint
    assert certificate_fingerprint(path.read_bytes()) == openssl_fingerprint
    assert certificate_fingerprint(der) == openssl_fingerprint
    assert device.fingerprint == openssl_fingerprint
    assert len(openssl_fingerprint) == 64
    assert openssl_fingerprint == openssl_fingerprint.lower()


@pytest.mark.parametrize(
    "data", [b"", b"not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n"]
)
def test_a_fingerprint_of_something_else_is_a_certificate_error(
    data: bytes | str,
) -> None:
    with pytest.raises(CertificateError, match="not a PEM or DER certificate"):
        certificate_fingerprint(data)


def test_keys_are_written_private_and_certificates_readable(
    ca: IssuedCertificate, tmp_path: Path
) -> None:
    key = tmp_path / "ca-key.pem"
    key.write_text("an old key someone left readable")
    key.chmod(0o644)

    ca.write(tmp_path / "ca.pem", key)

    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ca.pem").stat().st_mode) == 0o644
    assert "PRIVATE KEY" in key.read_text()
    assert load_certificate(tmp_path / "ca.pem") == ca.certificate
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_unwritable_path_is_a_certificate_error(
    ca: IssuedCertificate, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(CertificateError, match="cannot write"):
        ca.write(blocker / "ca.pem", blocker / "ca-key.pem")


def test_loading_a_missing_certificate_is_a_certificate_error(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="cannot read"):
        load_certificate(tmp_path / "missing.pem")
