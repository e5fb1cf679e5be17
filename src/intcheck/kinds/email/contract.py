"""An email contract's own fields as typed values, and the rules JSON Schema cannot say.

``read`` (in ``__init__``) calls ``check_source`` once per contract file: what it finds goes
into the run's diagnostics with the contract line (AUTH only after TLS without STARTTLS, a DKIM
key that does not parse, a Mailgun webhook without its signing key). Every other module reads
the settings through ``EmailSettings.of(contract)``, so defaults live in one place.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractSource
    from intcheck.model import Contract

MECHANISMS = ("PLAIN", "LOGIN")
CHAOS_COMMANDS = ("sender", "recipient", "authentication")  # Mailpit's trigger names
DEFAULT_MIN_DAYS = 14
DEFAULT_VALID_DAYS = 90
DEFAULT_SIZE = 33_554_432  # aiosmtpd's default SIZE, advertised when the contract names none


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayAuth:
    """Credentials the CRM presents to the relay, and when the relay takes them."""

    username: str
    password: str
    mechanisms: tuple[str, ...] = MECHANISMS
    after_tls: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Trigger:
    """One chaos trigger: answer ``code`` to a share ``rate`` of the command."""

    code: int
    rate: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Relay:
    """The SMTP relay: what the mock serves and what the probe expects of the real one."""

    url: str = ""
    port: int = 0
    hostname: str = ""
    starttls: str = "off"  # off | offered | required
    auth: RelayAuth | None = None
    max_size: int | None = None
    min_days: int = DEFAULT_MIN_DAYS
    ca_file: Path | None = None
    valid_days: int = DEFAULT_VALID_DAYS
    sink: str = ""
    chaos: Mapping[str, Trigger] = field(default_factory=dict)

    @property
    def tls(self) -> bool:
        return self.starttls != "off"


@dataclass(frozen=True, slots=True, kw_only=True)
class Dkim:
    """The DKIM key the CRM's mail must be signed with: selector, domain, published key."""

    selector: str
    domain: str
    record: bytes  # the DNS TXT record, v=DKIM1; k=rsa; p=...


@dataclass(frozen=True, slots=True, kw_only=True)
class MailRules:
    """What every message the CRM sends must satisfy."""

    sender: str = ""  # mail.from, an address
    reply_to: str = ""
    domains: tuple[str, ...] = ()
    dkim: Dkim | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """How customers' mail reaches the CRM."""

    via: str = "webhook"  # webhook | smtp
    style: str = "sendgrid"  # sendgrid | mailgun
    raw: bool = False
    path: str = ""
    to: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailSettings:
    """Every email-specific field of one contract, with its defaults."""

    relay: Relay
    mail: MailRules
    inbound: Inbound | None

    @classmethod
    def of(cls, contract: Contract) -> EmailSettings:
        """The settings of a loaded contract (its file already checked by ``check_source``)."""
        base = contract.source.path.parent
        return cls(
            relay=_relay(contract.settings.get("relay", {}), base),
            mail=_mail(contract.settings.get("mail", {}), base),
            inbound=_inbound(contract.settings),
        )


def _relay(data: Mapping[str, Any], base: Path) -> Relay:
    auth = data.get("auth")
    certificate = data.get("certificate", {})
    ca_file = certificate.get("ca_file")
    return Relay(
        url=data.get("url", ""),
        port=data.get("port", 0),
        hostname=data.get("hostname", "") or urlsplit(data.get("url", "")).hostname or "",
        starttls=data.get("starttls") or "off",  # YAML reads a bare off as false
        auth=None
        if auth is None
        else RelayAuth(
            username=auth["username"],
            password=auth["password"],
            mechanisms=tuple(auth.get("mechanisms", MECHANISMS)),
            after_tls=auth.get("after_tls", True),
        ),
        max_size=data.get("max_size"),
        min_days=certificate.get("min_days", DEFAULT_MIN_DAYS),
        ca_file=(base / ca_file).resolve() if ca_file else None,
        valid_days=certificate.get("valid_days", DEFAULT_VALID_DAYS),
        sink=data.get("sink", ""),
        chaos={
            name: Trigger(code=int(t["code"]), rate=float(t["rate"]))
            for name, t in data.get("chaos", {}).items()
        },
    )


def _mail(data: Mapping[str, Any], base: Path) -> MailRules:
    sender = parseaddr(data.get("from", ""))[1]
    dkim = data.get("dkim")
    record = None if dkim is None else dkim_record(dkim, base)
    return MailRules(
        sender=sender,
        reply_to=parseaddr(data.get("reply_to", ""))[1],
        domains=tuple(d.lower() for d in data.get("domains", ())),
        dkim=None
        if dkim is None or record is None
        else Dkim(
            selector=dkim["selector"],
            domain=(dkim.get("domain") or domain_of(sender)).lower(),
            record=record,
        ),
    )


def _inbound(settings: Mapping[str, Any]) -> Inbound | None:
    data = settings.get("inbound")
    if data is None:
        return None
    domains = settings.get("mail", {}).get("domains") or ["example.com"]
    return Inbound(
        via=data.get("via", "webhook"),
        style=data.get("style", "sendgrid"),
        raw=data.get("raw", False),
        path=data.get("path", ""),
        to=data.get("to", f"support@{domains[0]}"),
    )


def domain_of(address: str) -> str:
    """The domain of an address, lower case ("" when there is none)."""
    return address.rpartition("@")[2].lower() if "@" in address else ""


def dkim_record(dkim: Mapping[str, Any], base: Path) -> bytes | None:
    """The DNS TXT record that publishes the contract's DKIM key; None if it does not parse."""
    if "key_file" in dkim:
        try:
            text = (base / dkim["key_file"]).read_bytes()
        except OSError:
            return None
    else:
        text = str(dkim.get("public_key", "")).encode()
    der = _public_der(text)
    if der is None:
        return None
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def _public_der(text: bytes) -> bytes | None:
    """SubjectPublicKeyInfo DER of an RSA key given as PEM or as the bare base64 p= value."""
    try:
        if b"-----BEGIN" in text:
            key = serialization.load_pem_public_key(text)
        else:
            compact = b"".join(text.split())
            key = serialization.load_der_public_key(base64.b64decode(compact, validate=True))
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(key, rsa.RSAPublicKey):
        return None  # dkimpy verifies ed25519 only with PyNaCl, which intcheck does not ship
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_source(source: ContractSource) -> None:
    """The rules across fields, reported with the line that breaks them."""
    data = source.data
    relay = data.get("relay", {})
    auth = relay.get("auth")
    if auth and auth.get("after_tls", True) and (relay.get("starttls") or "off") == "off":
        source.error(
            "/relay/auth/after_tls",
            "AUTH only after TLS needs STARTTLS, but relay.starttls is off",
            hint="set relay.starttls to offered or required, or after_tls: false",
            rule="email-auth-needs-tls",
        )
    certificate = relay.get("certificate", {})
    if "ca_file" in certificate:
        source.document_path("/relay/certificate/ca_file")
    mail = data.get("mail", {})
    for name in ("from", "reply_to"):
        if name in mail and "@" not in parseaddr(mail[name])[1]:
            source.error(
                f"/mail/{name}",
                f"expected an address such as service@example.com, got {mail[name]!r}",
                rule="email-address",
            )
    _check_dkim(source, mail)
    _check_inbound(source, data)
    _check_cases(source)


def _check_dkim(source: ContractSource, mail: Mapping[str, Any]) -> None:
    dkim = mail.get("dkim")
    if dkim is None:
        return
    if ("public_key" in dkim) == ("key_file" in dkim):
        source.error(
            "/mail/dkim",
            "expected exactly one of public_key and key_file",
            hint="public_key: the p= value published in DNS; key_file: a PEM public key",
            rule="email-dkim-key",
        )
        return
    if "key_file" in dkim and source.document_path("/mail/dkim/key_file") is None:
        return
    if not dkim.get("domain") and "@" not in parseaddr(mail.get("from", ""))[1]:
        source.error(
            "/mail/dkim",
            "a DKIM key needs its domain: set dkim.domain or mail.from",
            rule="email-dkim-domain",
        )
    if dkim_record(dkim, source.path.parent) is None:
        pointer = "/mail/dkim/key_file" if "key_file" in dkim else "/mail/dkim/public_key"
        source.error(
            pointer,
            "expected an RSA public key (PEM, or the base64 p= value of the DNS record)",
            hint="openssl rsa -in dkim.key -pubout prints it",
            rule="email-dkim-key",
        )


def _check_inbound(source: ContractSource, data: Mapping[str, Any]) -> None:
    inbound = data.get("inbound")
    if inbound is None:
        return
    via = inbound.get("via", "webhook")
    target = str(data.get("target", ""))
    scheme = target.partition("://")[0]
    if via == "webhook":
        if "path" not in inbound:
            source.error(
                "/inbound",
                "an inbound webhook needs its path on the CRM",
                hint="path: /webhooks/email/inbound",
                rule="missing-field",
            )
        if target and scheme not in ("http", "https"):
            source.error(
                "/target",
                f"expected the CRM's http(s) URL for the inbound webhook, got {target!r}",
                rule="email-inbound-target",
            )
        signature = data.get("signature", {})
        if inbound.get("style") == "mailgun" and signature.get("scheme") != "mailgun":
            source.error(
                "/inbound/style",
                "Mailgun signs every post: the contract needs its webhook signing key",
                hint="signature: {scheme: mailgun, secret: ${MAILGUN_SIGNING_KEY}}",
                rule="email-mailgun-signature",
            )
    elif target and scheme not in ("smtp", "smtps"):
        source.error(
            "/target",
            f"inbound via smtp delivers to the CRM's mail server: expected smtp://, got {target!r}",
            rule="email-inbound-target",
        )


def _check_cases(source: ContractSource) -> None:
    """Written cases name real addresses and attach files that exist."""
    for index, case in enumerate(source.data.get("cases", [])):
        at = f"/cases/{index}"
        for name in ("from", "to"):
            written = case.get(name)
            addresses = [a for _, a in getaddresses([written])] if isinstance(written, str) else []
            if written is not None and not all("@" in a for a in addresses or [""]):
                source.error(
                    f"{at}/{name}",
                    f"expected an address such as anna.schmidt@example.com, got {written!r}",
                    rule="email-address",
                )
        for number in range(len(case.get("attachments", []))):
            source.document_path(f"{at}/attachments/{number}")
