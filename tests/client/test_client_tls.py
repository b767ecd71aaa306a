"""TLS: verification on by default, --ca-bundle trust, and mutual TLS client authentication
(tls_client_auth / self_signed_tls_client_auth present the certificate on the connection)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ciba_kit.client import CibaClient, SelfSignedTlsClientAuth, TlsClientAuth
from ciba_kit.protocol import errors
from ciba_kit.protocol.clock import ManualClock
from ciba_kit.protocol.constants import Outcome

from fakeas import FakeAS

pytestmark = pytest.mark.timeout(60)


def _write(path: Path, key, cert) -> tuple[str, str]:
    kp, cp = path.with_suffix(".key"), path.with_suffix(".pem")
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(cp), str(kp)


def _cert(name: str, issuer_key, issuer_name, *, ca: bool = False, san_ip: str | None = None):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san_ip:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(san_ip))]),
                            critical=False)
    cert = b.sign(issuer_key or key, hashes.SHA256())
    return key, cert


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca_key, ca = _cert("test CA", None, None, ca=True)
    ca_pem, _ = _write(d / "ca", ca_key, ca)
    sk, sc = _cert("127.0.0.1", ca_key, ca.subject, san_ip="127.0.0.1")
    server = _write(d / "server", sk, sc)
    ck, cc = _cert("client c1", ca_key, ca.subject)
    client = _write(d / "client", ck, cc)
    return {"ca": ca_pem, "server": server, "client": client}


@pytest.fixture()
def tls_as(pki):
    s = FakeAS(ssl_certfile=pki["server"][0], ssl_keyfile=pki["server"][1], ssl_ca_certs=pki["ca"],
               ssl_cert_reqs=ssl.CERT_REQUIRED)
    try:
        yield s
    finally:
        s.stop()


def _flow(client: CibaClient):
    async def go():
        try:
            return await client.authenticate(login_hint="alice")
        finally:
            await client.aclose()
    return asyncio.run(go())


def test_tls_verification_is_on_by_default(tls_as: FakeAS, pki) -> None:
    with pytest.raises(errors.TransportError, match="TLS"):
        CibaClient.discover(tls_as.issuer, "c1", auth=TlsClientAuth(*pki["client"]))


@pytest.mark.parametrize("cls", [TlsClientAuth, SelfSignedTlsClientAuth])
@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_mtls_presents_the_client_certificate(tls_as: FakeAS, pki, cls, transport: str) -> None:
    tls_as.token_script = [tls_as.tokens()]
    client = CibaClient.discover(tls_as.issuer, "c1", auth=cls(*pki["client"]), verify=pki["ca"],
                                 transport=transport, clock=ManualClock(epoch=time.time()))
    f = _flow(client)
    assert f.outcome == Outcome.APPROVED, f.error_description
    assert tls_as.bc_forms[0]["client_id"] == "c1" and "client_secret" not in tls_as.bc_forms[0]
    assert "key=***" in repr(client.auth)


def test_server_requiring_a_cert_refuses_a_client_without_one(tls_as: FakeAS, pki) -> None:
    from ciba_kit.client import ClientSecretBasic

    # the server demands a certificate (CERT_REQUIRED): only the mTLS methods get through
    with pytest.raises(errors.TransportError):
        CibaClient.discover(tls_as.issuer, "c1", auth=ClientSecretBasic("s3cret-value"), verify=pki["ca"])


def test_missing_cert_files_are_input_errors(tmp_path) -> None:
    with pytest.raises(errors.InputError) as e:
        TlsClientAuth(tmp_path / "nope.pem", tmp_path / "nope.key")
    assert e.value.field == "cert"
