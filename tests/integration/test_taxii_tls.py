"""``fusionhub serve`` speaks HTTPS when given a certificate and key, and only then."""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from taxii2client.v21 import Server

from tests.integration.hub_process import HubProcess
from tests.integration.taxii_server import TaxiiServer


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fusion-hub.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "hub.crt", directory / "hub.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[TaxiiServer, Path]]:
    cert, key = self_signed(tmp_path)
    # No broker needed: the sinks are off, and nothing here posts.
    hub = HubProcess(bootstrap="127.0.0.1:9", workdir=tmp_path)
    server = TaxiiServer(
        hub=hub,
        workdir=tmp_path,
        extra_env={"FUSIONHUB_TLS_CERT": str(cert), "FUSIONHUB_TLS_KEY": str(key)},
        extra_args=["--no-sinks"],
    )
    server.start(verify=str(cert))
    try:
        yield server, cert
    finally:
        server.stop()


def test_the_api_is_served_over_https_with_the_configured_certificate(
    tls_server: tuple[TaxiiServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    # requests lets these override a session's own `verify` (psf/requests#3829).
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert server.url.startswith("https://")
    discovery = Server(server.url, user="ana", password="ana-demo", verify=str(cert))
    assert discovery.title == "Fusion Hub"
    assert discovery.default.url == f"{server.url}fusion/"
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, verify=True, timeout=5.0)  # not a publicly trusted certificate
    plain = server.url.replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):
        httpx.get(plain, timeout=5.0)


def test_a_certificate_without_its_key_is_refused_with_the_reason(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "hub", "serve", "--tls-cert", str(cert)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "tls_key" in result.stderr and "FUSIONHUB_TLS_KEY" in result.stderr
