"""One SMTP dialogue with a real relay, recorded: what the probe's email checks read.

Driven by smtplib (a real SMTP client) in a worker thread (``perform``), every socket operation
bounded by the probe's timeout. ``observe_session`` connects (implicit TLS for ``smtps://``),
reads the greeting and the EHLO capabilities, tries MAIL FROM before TLS (a relay that requires
TLS refuses it), takes STARTTLS with the certificate verified, reads the capabilities again and
describes the certificate. ``try_login`` tries the credentials; ``hand_over`` hands a message
over (MAIL, RCPT, DATA, each reply kept), and ``send_test_message`` hands over a small one.
What is observed is a plain mapping; its keys avoid the words the redactor masks (auth, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from intcheck.kinds.email.certs import describe
from intcheck.kinds.probing import Exchange

if TYPE_CHECKING:
    from intcheck.kinds.probing import PerformContext, ProbeRequest

PROBE_SENDER = "intcheck-probe@example.invalid"
# Bodies go 7-bit clean (quoted-printable or base64 where needed), so no relay needs 8BITMIME.
SEVEN_BIT = policy.SMTP.clone(cte_type="7bit")


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """Where and how to reach the relay."""

    url: str
    hostname: str  # the name the certificate must carry
    ca_file: str | None = None
    insecure: bool = False
    timeout_s: float = 10.0

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (465 if parts.scheme == "smtps" else 25)

    @property
    def implicit_tls(self) -> bool:
        return self.url.startswith("smtps://")


class SmtpFailure(Exception):
    """The dialogue could not go on: refused, timed out, TLS failed, connection dropped.

    ``unreachable``: no session was ever opened (the probe then says so once per relay).
    """

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def _context(endpoint: Endpoint, *, verify: bool) -> ssl.SSLContext:
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cafile=endpoint.ca_file)
    context.check_hostname = (
        False  # the hostname is a check of its own (certificate_matches_hostname)
    )
    return context


def _connect(endpoint: Endpoint, context: ssl.SSLContext) -> tuple[smtplib.SMTP, int, str]:
    """An open client and the greeting (code, text)."""
    try:
        if endpoint.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(timeout=endpoint.timeout_s, context=context)
        else:
            client = smtplib.SMTP(timeout=endpoint.timeout_s)
        # The TLS server name comes from the host given to the constructor, which would
        # connect and raise on a greeting other than 220: the greeting is what we record.
        client._host = endpoint.host  # type: ignore[attr-defined]
        code, text = client.connect(endpoint.host, endpoint.port)
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpFailure(
            f"cannot connect to {endpoint.url}: {_why(exc)}", unreachable=True
        ) from exc
    return client, code, text.decode("utf-8", "replace")


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {exc.verify_message}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"{type(exc).__name__}: {exc}"


def _capabilities(client: smtplib.SMTP) -> dict[str, Any]:
    lines = [f"{k.upper()} {v}".strip() for k, v in client.esmtp_features.items()]
    mechanisms = client.esmtp_features.get("auth", "").upper().split()
    size = client.esmtp_features.get("size", "")
    return {
        "extensions": lines,
        "mechanisms": mechanisms,
        "size": int(size) if size.isdigit() else None,
        "starttls": client.has_extn("starttls"),
    }


def _starttls(client: smtplib.SMTP, endpoint: Endpoint, observed: dict[str, Any]) -> bool:
    """STARTTLS with verification; a cert that fails is recorded and the session goes on."""
    verify = not endpoint.insecure
    try:
        code, text = client.starttls(context=_context(endpoint, verify=verify))
    except ssl.SSLCertVerificationError as exc:
        observed["tls"] = {"verified": False, "verify_error": exc.verify_message or str(exc)}
        return False
    except (OSError, smtplib.SMTPException) as exc:
        observed["tls"] = {"verified": False, "error": _why(exc)}
        return False
    observed["starttls_reply"] = f"{code} {text.decode('utf-8', 'replace')}"
    observed["tls"] = {"verified": verify, **_tls_details(client, endpoint)}
    return True


def _tls_details(client: smtplib.SMTP, endpoint: Endpoint) -> dict[str, Any]:
    sock = client.sock
    assert isinstance(sock, ssl.SSLSocket)
    cipher = sock.cipher()
    der = sock.getpeercert(binary_form=True)
    return {
        "version": sock.version(),
        "cipher": cipher[0] if cipher else "",
        "certificate": describe(der, endpoint.hostname) if der else None,
    }


def observe_session(endpoint: Endpoint) -> dict[str, Any]:
    """The relay as a client first meets it: greeting, capabilities before and after TLS."""
    observed: dict[str, Any] = {"url": endpoint.url, "insecure": endpoint.insecure}
    started = time.perf_counter()
    verify = not endpoint.insecure
    try:
        client, code, text = _connect(endpoint, _context(endpoint, verify=verify))
    except SmtpFailure as failure:
        cause = failure.__cause__
        if not (endpoint.implicit_tls and isinstance(cause, ssl.SSLCertVerificationError)):
            raise
        # implicit TLS with an untrusted certificate: note it, look at the rest unverified
        observed["tls"] = {"verified": False, "verify_error": cause.verify_message or str(cause)}
        client, code, text = _connect(endpoint, _context(endpoint, verify=False))
        verify = False
    observed["greeting"] = {"code": code, "text": text, "ms": _ms(started)}
    try:
        ehlo_code, _ = client.ehlo("intcheck.probe")
        observed["ehlo_code"] = ehlo_code
        if endpoint.implicit_tls:
            observed.setdefault("tls", {"verified": verify})
            observed["tls"].update(_tls_details(client, endpoint))
            observed["after_tls"] = _capabilities(client)
            return observed
        observed["before_tls"] = _capabilities(client)
        mail_code, mail_text = client.mail(PROBE_SENDER)
        observed["mail_before_tls"] = f"{mail_code} {mail_text.decode('utf-8', 'replace')}"
        client.rset()
        if observed["before_tls"]["starttls"]:
            if not _starttls(client, endpoint, observed):
                client.close()  # the handshake failed: look again without verifying
                client, _, _ = _connect(endpoint, _context(endpoint, verify=False))
                client.ehlo("intcheck.probe")
                client.starttls(context=_context(endpoint, verify=False))
                details = _tls_details(client, endpoint)
                observed["tls"] = {**observed["tls"], **details}
            client.ehlo("intcheck.probe")
            observed["after_tls"] = _capabilities(client)
        return observed
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpFailure(f"the session with {endpoint.url} broke off: {_why(exc)}") from exc
    finally:
        _quit(client)


def _secure(endpoint: Endpoint) -> tuple[smtplib.SMTP, int]:
    """A session ready for AUTH: TLS when the relay offers it (unverified: that is checked
    elsewhere), EHLO done. Returns the client and the greeting code."""
    client, code, _ = _connect(endpoint, _context(endpoint, verify=False))
    try:
        client.ehlo("intcheck.probe")
        if not endpoint.implicit_tls and client.has_extn("starttls"):
            client.starttls(context=_context(endpoint, verify=False))
            client.ehlo("intcheck.probe")
    except (OSError, smtplib.SMTPException) as exc:
        _quit(client)
        raise SmtpFailure(f"the session with {endpoint.url} broke off: {_why(exc)}") from exc
    return client, code


def try_login(endpoint: Endpoint, username: str, password: str, mechanism: str) -> dict[str, Any]:
    """AUTH with ``mechanism`` after TLS: the reply code and text (never the credentials)."""
    client, greeting = _secure(endpoint)
    try:
        client.user, client.password = username, password
        method = {"PLAIN": client.auth_plain, "LOGIN": client.auth_login}[mechanism]
        try:
            code, text = client.auth(mechanism, method, initial_response_ok=True)
        except smtplib.SMTPAuthenticationError as refused:
            code, text = refused.smtp_code, _bytes(refused.smtp_error)
        except smtplib.SMTPNotSupportedError:
            code, text = 0, b"AUTH is not offered"
        return {
            "greeting_code": greeting,
            "mechanism": mechanism,
            "reply": f"{code} {text.decode('utf-8', 'replace')}".strip(),
            "code": code,
        }
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpFailure(f"AUTH {mechanism} at {endpoint.url} broke off: {_why(exc)}") from exc
    finally:
        _quit(client)


def send_test_message(
    endpoint: Endpoint, sender: str, sink: str, credentials: tuple[str, str] | None
) -> dict[str, Any]:
    """One small message to ``sink``: each step's reply, and the Message-ID it carried."""
    message = EmailMessage(policy=SEVEN_BIT)
    message["From"] = sender
    message["To"] = sink
    message["Subject"] = "intcheck relay probe"
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "intcheck.invalid")
    message.set_content("A test message from intcheck probe. It can be deleted.\n")
    return hand_over(endpoint, message, sender, [sink], credentials)


def hand_over(
    endpoint: Endpoint,
    message: EmailMessage,
    sender: str,
    recipients: Sequence[str],
    credentials: tuple[str, str] | None,
) -> dict[str, Any]:
    """``message`` handed to the relay after TLS and AUTH: the reply to its DATA (or to the
    command that refused it), each refused recipient's reply, and its Message-ID."""
    client, greeting = _secure(endpoint)
    observed: dict[str, Any] = {"greeting_code": greeting, "message_id": message["Message-ID"]}
    try:
        if credentials is not None:
            client.login(*credentials)
        code, text = client.mail(sender)
        refused: dict[str, str] = {}
        if code == 250:
            for recipient in recipients:
                answer, words = client.rcpt(recipient)
                if answer not in (250, 251):
                    refused[recipient] = f"{answer} {reply_text(words)}"
                    code, text = answer, words
            if len(refused) < len(recipients):
                code, text = client.data(message.as_bytes(policy=SEVEN_BIT))
        if code != 250:
            # the envelope is void either way; a relay that hung up has nothing to reset
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.rset()
        observed["refused"] = refused
        observed["reply"] = f"{code} {reply_text(text)}"
        observed["code"] = code
    except smtplib.SMTPResponseException as exc:  # AUTH refused, or the relay hung up on us
        observed["reply"] = f"{exc.smtp_code} {reply_text(exc.smtp_error)}"
        observed["code"] = exc.smtp_code
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpFailure(
            f"sending to {', '.join(recipients)} through {endpoint.url} broke off: {_why(exc)}"
        ) from exc
    finally:
        _quit(client)
    return observed


async def perform(
    describe: ProbeRequest,
    dialogue: Callable[[Endpoint], dict[str, Any]],
    endpoint: Endpoint,
    ctx: PerformContext,
) -> Exchange:
    """Run a blocking dialogue in a thread with the run's timeout; its failure is the
    exchange's error, its greeting the exchange's status."""
    endpoint = Endpoint(
        url=endpoint.url,
        hostname=endpoint.hostname,
        ca_file=endpoint.ca_file,
        insecure=ctx.insecure,
        timeout_s=ctx.timeout_s,
    )
    started = time.perf_counter()
    try:
        observed = await asyncio.to_thread(dialogue, endpoint)
    except SmtpFailure as failure:
        return Exchange(
            request=describe,
            error=str(failure),
            elapsed_ms=_since(started),
            unreachable=failure.unreachable,
        )
    greeting = observed.get("greeting", {}).get("code") or observed.get("greeting_code")
    return Exchange(
        request=describe, status=greeting, elapsed_ms=_since(started), observed=observed
    )


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def reply_text(reply: bytes | str) -> str:
    """An SMTP reply's text (smtplib gives bytes, or str for errors it makes itself)."""
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _bytes(reply: bytes | str) -> bytes:
    return reply if isinstance(reply, bytes) else reply.encode()
