"""Helpers for the email tests: one-contract plans, the mock relay's URL, smtplib sessions."""

from __future__ import annotations

import smtplib
import ssl
import textwrap
from contextlib import contextmanager
from email.message import EmailMessage
from typing import TYPE_CHECKING

from intcheck.contracts import load_plan

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from intcheck.mock.server import MockServer
    from intcheck.model import Plan

USER, PASSWORD = "crm", "relay-password-1"

_COMPLIANT = f"""
    kind: email
    name: mail
    target: http://127.0.0.1:9/crm
    relay:
      port: 0
      starttls: required
      auth: {{username: {USER}, password: {PASSWORD}, after_tls: true}}
      max_size: 20000{{relay_extra}}
    mail:
      from: service@example.com
      reply_to: support@example.com
      domains: [example.com]
"""


def compliant(relay_extra: str = "") -> str:
    """The compliant contract, with more lines (indented 6) under ``relay:``."""
    return _COMPLIANT.replace("{relay_extra}", "\n" + relay_extra.rstrip() if relay_extra else "")


COMPLIANT = compliant()

# The defect the issue names: no STARTTLS, AUTH offered and taken in the clear.
NON_COMPLIANT = f"""
    kind: email
    name: mail
    relay:
      port: 0
      starttls: off
      auth: {{username: {USER}, password: {PASSWORD}, after_tls: false}}
"""


def email_plan(folder: Path, contract: str, *, extra_files: dict[str, str] | None = None) -> Plan:
    """A plan in ``folder`` holding one email contract (YAML, dedented)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.yaml").write_text("name: mail\nintegrations:\n  - contract: mail.yaml\n")
    (folder / "mail.yaml").write_text(textwrap.dedent(contract))
    for name, text in (extra_files or {}).items():
        (folder / name).write_text(text)
    return load_plan(folder / "plan.yaml", environ={})


def relay_url(mock: MockServer, contract: str = "mail") -> str:
    return next(
        url for name, kind, url in mock.endpoints if name == contract and kind == "email smtp"
    )


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("smtp://").rsplit(":", 1)
    return host, int(port)


def unverified() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


@contextmanager
def smtp(url: str, *, tls: bool = False, login: bool = False) -> Iterator[smtplib.SMTP]:
    """An smtplib session with the relay at ``url``: EHLO done, optionally STARTTLS and AUTH."""
    client = smtplib.SMTP(*host_port(url), timeout=10)
    try:
        client.ehlo("test.client")
        if tls:
            client.starttls(context=unverified())
            client.ehlo("test.client")
        if login:
            client.login(USER, PASSWORD)
        yield client
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def message(
    subject: str = "Your case 42", *, html: str = "", attachment: bool = False
) -> EmailMessage:
    """A CRM-like message from the contract's sender."""
    mail = EmailMessage()
    mail["From"] = "Service <service@example.com>"
    mail["To"] = "anna.schmidt@example.com"
    mail["Reply-To"] = "support@example.com"
    mail["Subject"] = subject
    mail["Message-ID"] = "<case-42@example.com>"
    mail.set_content("Hello Anna,\n\nyour case 42 is solved: https://crm.example.com/cases/42\n")
    if html:
        mail.add_alternative(html, subtype="html")
    if attachment:
        mail.add_attachment(
            b"%PDF-1.4 test", maintype="application", subtype="pdf", filename="case-42.pdf"
        )
    return mail
