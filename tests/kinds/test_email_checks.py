"""The checks on captured mail, on messages built by hand (no socket)."""

from __future__ import annotations

import time
from email import policy
from email.message import EmailMessage
from typing import TYPE_CHECKING

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from intcheck.kinds.email.capture import CapturedMessage, Envelope
from intcheck.kinds.email.contract import EmailSettings, MailRules
from intcheck.kinds.email.mailchecks import check_message
from intcheck.model import Status
from tests.kinds.email_support import email_plan, message

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.kinds.email.mailchecks import MailVerdict

RULES = MailRules(
    sender="service@example.com", reply_to="support@example.com", domains=("example.com",)
)


def _captured(raw: bytes) -> CapturedMessage:
    envelope = Envelope(mail_from="service@example.com", rcpt_to=("anna@example.com",))
    return CapturedMessage(raw, envelope, received_at=time.time())


def _verdicts(raw: bytes, rules: MailRules = RULES) -> dict[str, MailVerdict]:
    return {v.name: v for v in check_message(_captured(raw), rules)}


def _bytes(mail: EmailMessage) -> bytes:
    return mail.as_bytes(policy=policy.SMTP)


def test_a_well_formed_message_passes_every_check_the_contract_makes() -> None:
    verdicts = _verdicts(
        _bytes(message(html='<p>Solved: <a href="https://crm.example.com/c/42">case</a></p>'))
    )
    assert {n: v.status for n, v in verdicts.items()} == {
        "from_is_as_contracted": Status.PASSED,
        "reply_to_is_as_contracted": Status.PASSED,
        "no_unresolved_placeholders": Status.PASSED,
        "html_has_text_alternative": Status.PASSED,
        "links_parse": Status.PASSED,
        "dkim_signature_verifies": Status.SKIPPED,  # the contract names no DKIM key
    }


@pytest.mark.parametrize(
    "subject",
    [
        "Hello {{ first_name }}",
        "Dear %FIRSTNAME%",
        "Case ${case.id}",
        "Hi *|FNAME|*",
        "Dear [FirstName]",
    ],
)
def test_unresolved_placeholders_are_found(subject: str) -> None:
    verdict = _verdicts(_bytes(message(subject)))["no_unresolved_placeholders"]
    assert verdict.status is Status.FAILED
    assert "in the subject" in verdict.message


@pytest.mark.parametrize(
    "subject", ["[Urgent] Your case 42", "50% off {not a placeholder}", "Price: $5 {x}"]
)
def test_text_that_only_looks_like_a_template_is_not_flagged(subject: str) -> None:
    html = "<style>p { color: red }</style><p>Hello Anna</p>"
    verdict = _verdicts(_bytes(message(subject, html=html)))["no_unresolved_placeholders"]
    assert verdict.status is Status.PASSED, verdict.message


def test_html_without_a_text_part_fails() -> None:
    mail = message()
    mail.set_content("<p>only html</p>", subtype="html")
    assert _verdicts(_bytes(mail))["html_has_text_alternative"].status is Status.FAILED


@pytest.mark.parametrize(
    ("href", "problem"),
    [
        ("/cases/42", "is relative"),
        ("https://crm.example.com:99999/x", "does not parse"),
        ("https://crm.example.com/cases/{{id}}", "placeholder"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("https:///nohost", "has no host"),
    ],
)
def test_links_that_will_not_work_in_a_mail_are_named(href: str, problem: str) -> None:
    verdict = _verdicts(_bytes(message(html=f'<a href="{href}">case</a>')))["links_parse"]
    assert verdict.status is Status.FAILED and problem in verdict.message


def test_from_and_reply_to_other_than_the_contract_fail() -> None:
    mail = message()
    del mail["From"], mail["Reply-To"]
    mail["From"] = "noreply@crm-vendor.example.net"
    mail["Reply-To"] = "noreply@crm-vendor.example.net"
    verdicts = _verdicts(_bytes(mail))
    assert "the contract says service@example.com" in verdicts["from_is_as_contracted"].message
    assert verdicts["reply_to_is_as_contracted"].status is Status.FAILED


@pytest.fixture(scope="module")
def dkim_key() -> tuple[bytes, bytes]:
    """A 2048-bit RSA test key: (PKCS#1 private PEM for dkimpy, public PEM for the contract)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def _dkim_rules(tmp_path: Path, public: bytes, selector: str = "crm2024") -> MailRules:
    plan = email_plan(
        tmp_path,
        f"""
        kind: email
        name: mail
        mail:
          from: service@example.com
          dkim: {{selector: {selector}, key_file: dkim.pub}}
        """,
        extra_files={"dkim.pub": public.decode()},
    )
    return EmailSettings.of(plan.contract("mail")).mail


def _signed(private: bytes, selector: bytes = b"crm2024") -> bytes:
    raw = _bytes(message())
    signed = [b"from", b"to", b"subject"]
    header: bytes = dkim.sign(raw, selector, b"example.com", private, include_headers=signed)
    return header + raw


def test_a_dkim_signature_made_with_the_contract_key_verifies(
    tmp_path: Path, dkim_key: tuple[bytes, bytes]
) -> None:
    private, public = dkim_key
    verdict = _verdicts(_signed(private), _dkim_rules(tmp_path, public))["dkim_signature_verifies"]
    assert verdict.status is Status.PASSED, verdict.message


def test_a_tampered_message_does_not_verify(tmp_path: Path, dkim_key: tuple[bytes, bytes]) -> None:
    private, public = dkim_key
    tampered = _signed(private).replace(b"your case 42 is solved", b"your case 43 is solved")
    verdict = _verdicts(tampered, _dkim_rules(tmp_path, public))["dkim_signature_verifies"]
    assert verdict.status is Status.FAILED and "body hash mismatch" in verdict.message


def test_a_signature_with_another_selector_or_none_fails(
    tmp_path: Path, dkim_key: tuple[bytes, bytes]
) -> None:
    private, public = dkim_key
    rules = _dkim_rules(tmp_path, public)
    other = _verdicts(_signed(private, b"old2019"), rules)["dkim_signature_verifies"]
    assert other.status is Status.FAILED and "s=old2019" in other.message
    unsigned = _verdicts(_bytes(message()), rules)["dkim_signature_verifies"]
    assert unsigned.status is Status.FAILED and "not DKIM-signed" in unsigned.message
