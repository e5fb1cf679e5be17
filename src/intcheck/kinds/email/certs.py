"""The mock relay's TLS certificate, made at start, and what the probe reads from a real one.

The mock needs a certificate for STARTTLS but no CA will sign one for 127.0.0.1, so it makes
a self-signed one each start (ECDSA P-256: a fraction of an RSA key's generation time) for
``localhost``, the loopback addresses and the contract's ``relay.hostname``. A CRM under test
trusts it through the mock's ``/certificate`` admin route, or does not verify a dev relay.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate and its key, PEM encoded."""

    cert_pem: bytes
    key_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context serving this certificate (TLS 1.2 and newer)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # load_cert_chain reads files only: written to a private folder, read, removed
        with tempfile.TemporaryDirectory(prefix="intcheck-tls-") as folder:
            cert, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
            cert.write_bytes(self.cert_pem)
            fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(self.key_pem)
            context.load_cert_chain(cert, key)
        return context


def self_signed(hostnames: tuple[str, ...], *, valid_days: int) -> Certificate:
    """A self-signed server certificate for ``hostnames`` (DNS names or IP addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for name in dict.fromkeys(hostnames):  # unique, in order
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        # what strict verifiers (Python 3.13's default flags) want of a trust anchor
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return Certificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def describe(der: bytes, hostname: str) -> dict[str, Any]:
    """What a probe reports of a peer certificate: names, issuer, expiry, hostname match."""
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = san.get_values_for_type(x509.DNSName)
        ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        dns, ips = [], []
    expires = cert.not_valid_after_utc
    left = expires - datetime.datetime.now(datetime.UTC)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "self_signed": cert.subject == cert.issuer,
        "dns_names": dns,
        "ip_addresses": ips,
        "not_after": expires.isoformat(),
        "days_left": round(left.total_seconds() / 86400, 1),
        "hostname": hostname,
        "hostname_matches": matches_hostname(hostname, dns, ips),
    }


def matches_hostname(hostname: str, dns_names: list[str], ip_addresses: list[str]) -> bool:
    """RFC 6125 matching as browsers and mail clients do it: SAN only, one leading wildcard."""
    try:
        wanted = ipaddress.ip_address(hostname)
    except ValueError:
        pass
    else:
        return any(ipaddress.ip_address(ip) == wanted for ip in ip_addresses)
    host = hostname.lower().rstrip(".")
    for name in dns_names:
        pattern = name.lower().rstrip(".")
        if pattern == host:
            return True
        # "*.example.com" matches exactly one label: a.example.com, not a.b.example.com
        if pattern.startswith("*.") and "." in host:
            label, rest = host.split(".", 1)
            if rest == pattern[2:] and label:
                return True
    return False
