"""Inbound mail as customers write it, and as inbound-parse services post it to the CRM.

``compose`` makes one customer message (a sender from the plan's datasets, a subject that may
be non-ASCII and so RFC 2047-encoded, text and HTML, attachments, a reply's In-Reply-To and
References). ``sendgrid_fields`` and ``mailgun_fields`` turn it into the form fields those
services post (DOMAIN.md §3.2, §3.3); ``encode_form`` writes them as the HTTP body and
``webhook_post`` as the whole request. ``smtp_deliver`` hands a message to the CRM's own mail
server instead, as a sending MTA does.
"""

from __future__ import annotations

import datetime
import json
import random
import secrets
import smtplib
import ssl
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from intcheck.kinds import signatures
from intcheck.kinds.email.smtpprobe import reply_text
from intcheck.kinds.probing import Exchange, ProbeRequest

if TYPE_CHECKING:
    from intcheck.kinds.email.contract import Inbound

# Subjects as customers write them; the non-ASCII ones travel as RFC 2047 encoded-words.
SUBJECTS = (
    "Order {order}: when will it be delivered?",
    "Rückfrage zu meiner Bestellung {order}",
    "Réclamation : commande {order} arrivée abîmée",
    "Заказ {order}: где моя посылка?",
    "注文 {order} について",
    "Invoice for {order} — wrong address",
)
ATTACHMENTS = (
    ("invoice.pdf", "application/pdf", b"%PDF-1.4\n% intcheck test document\n%%EOF\n"),
    ("photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(64))),
    ("Lieferschein Übersicht.csv", "text/csv", b"Artikel;Menge\nSchraube;12\n"),
)
SENDER_IP = "203.0.113.25"  # TEST-NET-3: a documentation address
# A fixed Date keeps a seeded run's messages byte for byte the same.
_FIXED_DATE = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMail:
    """One customer message to the CRM's mailbox."""

    sender_name: str
    sender: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def mime(self) -> EmailMessage:
        """The MIME message: multipart/alternative text and HTML, attachments beside it."""
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = Address(self.sender_name, addr_spec=self.sender)
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Date"] = format_datetime(_FIXED_DATE)
        message["Message-ID"] = self.message_id
        if self.in_reply_to:
            message["In-Reply-To"] = self.in_reply_to
            message["References"] = " ".join(self.references)
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        for item in self.attachments:
            maintype, _, subtype = item.content_type.partition("/")
            message.add_attachment(
                item.data, maintype=maintype, subtype=subtype, filename=item.filename
            )
        return message

    def raw(self) -> bytes:
        return self.mime().as_bytes(policy=policy.SMTP)

    def header_block(self) -> str:
        """The header lines as SendGrid's ``headers`` field carries them."""
        raw = self.raw()
        return raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace") + "\r\n"


def compose(
    rng: random.Random,
    number: int,
    customer: Mapping[str, Any],
    to: str,
    *,
    order: str = "O-1001",
    parent: InboundMail | None = None,
) -> InboundMail:
    """Message ``number`` from ``customer``; a reply to ``parent`` when one is given."""
    name = " ".join(str(customer.get(k, "")) for k in ("first_name", "last_name")).strip()
    address = str(customer.get("email") or f"customer{number}@example.net")
    domain = address.rpartition("@")[2]
    # unique across runs, as a mail client's are: a second run against one CRM is new mail,
    # not a resend of the first run's (the seeded ``rng`` shapes the content only)
    message_id = f"<{uuid.uuid4().hex}@{domain}>"
    if parent is not None:
        subject = parent.subject if parent.subject.startswith("Re: ") else f"Re: {parent.subject}"
        text = f"Hello again,\n\nany news on {order}?\n\n{name}\n\n> {parent.text.splitlines()[0]}"
        references = (*parent.references, parent.message_id)
    else:
        subject = rng.choice(SUBJECTS).format(order=order)
        text = f"Hello,\n\nI am writing about my order {order}.\nPlease call me back.\n\n{name}"
        references = ()
    html = "<html><body>" + "".join(
        f"<p>{line}</p>" for line in text.replace("<", "&lt;").splitlines() if line
    )
    html += "</body></html>"
    attachments = tuple(
        Attachment(filename=f, content_type=t, data=d)
        for f, t, d in rng.sample(ATTACHMENTS, k=rng.choice((0, 0, 1, 2)))
    )
    return InboundMail(
        sender_name=name or address,
        sender=address,
        to=to,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        in_reply_to=parent.message_id if parent is not None else "",
        references=references,
        attachments=attachments,
    )


Field = tuple[str, str | bytes, str, str]  # name, value, filename ("" for text), content type


def _text(name: str, value: str) -> Field:
    return (name, value, "", "")


def sendgrid_fields(mail: InboundMail, *, raw: bool = False) -> list[Field]:
    """SendGrid Inbound Parse: the parsed fields (or, ``raw``, the whole message as ``email``)."""
    sender = formataddr((mail.sender_name, mail.sender))
    domain = mail.sender.rpartition("@")[2]
    envelope = json.dumps({"to": [mail.to], "from": mail.sender})
    charsets = {
        "to": "UTF-8",
        "from": "UTF-8",
        "subject": "UTF-8",
        "text": "UTF-8",
        "html": "UTF-8",
    }
    fields = [
        _text("dkim", f"{{@{domain} : pass}}"),
        _text("SPF", "pass"),
        _text("sender_ip", SENDER_IP),
        _text("from", sender),
        _text("to", mail.to),
        _text("subject", mail.subject),
        _text("envelope", envelope),
    ]
    if raw:
        fields.append(_text("email", mail.raw().decode("ascii", "replace")))
        charsets = {k: v for k, v in charsets.items() if k not in ("text", "html")}
        return [*fields, _text("charsets", json.dumps(charsets))]
    fields += [
        _text("headers", mail.header_block()),
        _text("text", mail.text),
        _text("html", mail.html),
        _text("charsets", json.dumps(charsets)),
        _text("attachments", str(len(mail.attachments))),
    ]
    if mail.attachments:
        info = {
            f"attachment{i}": {"filename": a.filename, "name": a.filename, "type": a.content_type}
            for i, a in enumerate(mail.attachments, 1)
        }
        fields.append(_text("attachment-info", json.dumps(info, ensure_ascii=False)))
        fields += [
            (f"attachment{i}", a.data, a.filename, a.content_type)
            for i, a in enumerate(mail.attachments, 1)
        ]
    return fields


def mailgun_fields(
    mail: InboundMail, *, signing_key: str, timestamp: str, token: str, raw: bool = False
) -> list[Field]:
    """A Mailgun route post: envelope, parsed bodies (or ``body-mime``) and its signature."""
    fields = [
        _text("recipient", mail.to),
        _text("sender", mail.sender),
        _text("from", formataddr((mail.sender_name, mail.sender))),
        _text("subject", mail.subject),
    ]
    if raw:
        fields.append(_text("body-mime", mail.raw().decode("ascii", "replace")))
    else:
        headers = [[k, str(v)] for k, v in mail.mime().items()]
        fields += [
            _text("body-plain", mail.text),
            _text("stripped-text", mail.text.split("\n\n>")[0]),
            _text("stripped-signature", ""),
            _text("body-html", mail.html),
            _text("stripped-html", mail.html),
            _text("message-headers", json.dumps(headers, ensure_ascii=False)),
            _text("content-id-map", "{}"),
        ]
        if mail.attachments:
            fields.append(_text("attachment-count", str(len(mail.attachments))))
            fields += [
                (f"attachment-{i}", a.data, a.filename, a.content_type)
                for i, a in enumerate(mail.attachments, 1)
            ]
    return [
        *fields,
        _text("timestamp", timestamp),
        _text("token", token),
        _text("signature", signatures.mailgun(signing_key, timestamp, token)),
    ]


def encode_form(fields: Sequence[Field], *, boundary: str, multipart: bool) -> tuple[str, bytes]:
    """(content type, body): form-urlencoded, or multipart/form-data with file parts."""
    if not multipart:
        pairs = [(name, value) for name, value, _, _ in fields if isinstance(value, str)]
        return "application/x-www-form-urlencoded", urlencode(pairs).encode()
    out = bytearray()
    for name, value, filename, content_type in fields:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename:
            # RFC 7578: the name as UTF-8 in quotes, as browsers and SendGrid send it
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename:
            out += f"Content-Type: {content_type or 'application/octet-stream'}\r\n".encode()
        else:
            out += b"Content-Type: text/plain; charset=utf-8\r\n"
        out += b"\r\n"
        out += value if isinstance(value, bytes) else value.encode()
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", bytes(out)


def webhook_post(
    mail: InboundMail,
    inbound: Inbound,
    url: str,
    *,
    secret: str,
    headers: Mapping[str, str],
    rng: random.Random,
    timestamp: str = "",
    token: str = "",
    forgery: str = "",
) -> ProbeRequest:
    """``mail`` as the contract's inbound-parse service posts it to ``url``, with ``headers``
    (the webhook's credentials); a Mailgun post is signed with ``secret`` unless ``forgery``
    says it is forged (``forged signature``) or unsigned (``missing signature``)."""
    if inbound.style == "mailgun":
        timestamp = timestamp or str(int(time.time()))
        token = token or secrets.token_hex(25)  # Mailgun's: 50 characters, never reused
        key = secret + "-forged" if forgery == "forged signature" else secret
        fields = mailgun_fields(
            mail, signing_key=key, timestamp=timestamp, token=token, raw=inbound.raw
        )
        if forgery == "missing signature":
            fields = [f for f in fields if f[0] not in ("timestamp", "token", "signature")]
        multipart = inbound.raw or bool(mail.attachments)
    else:
        fields = sendgrid_fields(mail, raw=inbound.raw)
        multipart = True  # SendGrid always posts multipart/form-data
    content_type, body = encode_form(
        fields, boundary=f"xYzZY{rng.getrandbits(64):016x}", multipart=multipart
    )
    sent = {"Content-Type": content_type, "User-Agent": f"intcheck ({inbound.style})", **headers}
    return ProbeRequest(method="POST", url=url, headers=sent, body=body)


def smtp_deliver(target: str, mail: InboundMail, timeout_s: float) -> Exchange:
    """Hand ``mail`` to the CRM's inbound mail server as a sending MTA would."""
    parts = urlsplit(target)
    host, port = parts.hostname or "", parts.port or (465 if parts.scheme == "smtps" else 25)
    raw = mail.raw()
    request = ProbeRequest(method="SMTP", url=target, body=raw)
    started = time.perf_counter()
    # MTA-to-MTA STARTTLS is opportunistic: encrypted, not authenticated (RFC 3207 §4.1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    observed: dict[str, Any] = {"message_id": mail.message_id, "subject": mail.subject}
    try:
        client: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=timeout_s, context=context)
            if parts.scheme == "smtps"
            else smtplib.SMTP(host, port, timeout=timeout_s)
        )
        try:
            client.ehlo("intcheck.simulate")
            if parts.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo("intcheck.simulate")
                observed["tls"] = True
            client.sendmail(mail.sender, [mail.to], raw)
            code, text = 250, "accepted"
        except smtplib.SMTPResponseException as refused:
            code, text = refused.smtp_code, reply_text(refused.smtp_error)
        except smtplib.SMTPRecipientsRefused as refused:
            code, reply = next(iter(refused.recipients.values()))
            text = reply.decode("utf-8", "replace")
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
    except (OSError, smtplib.SMTPException) as exc:
        return Exchange(request=request, error=f"SMTP delivery to {target} failed: {exc}")
    observed["reply"] = f"{code} {text}"
    return Exchange(
        request=request,
        status=code,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        observed=observed,
    )
