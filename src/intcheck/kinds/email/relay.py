"""The mock SMTP relay: a real aiosmtpd server the CRM sends through, as the contract says.

STARTTLS with a certificate made at start, AUTH PLAIN/LOGIN (only after TLS when the contract
says so), a SIZE limit, and chaos triggers in Mailpit's manner (a 4xx/5xx answer to MAIL FROM,
RCPT TO or AUTH at a rate). Every message is captured (``capture.MailStore``); every refusal,
every AUTH and every accepted message is journaled as ``protocol="smtp"``. Credentials never
reach the journal: only the outcome of an AUTH is recorded, not what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import random
import socket
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from intcheck.kinds.base import bound_socket
from intcheck.kinds.email.capture import CapturedMessage, MailStore
from intcheck.kinds.email.capture import Envelope as MailEnvelope
from intcheck.kinds.email.certs import Certificate, self_signed
from intcheck.kinds.email.contract import DEFAULT_SIZE, MECHANISMS, Relay, Trigger
from intcheck.kinds.email.mailchecks import check_message

if TYPE_CHECKING:
    from intcheck.kinds.base import JournalSink
    from intcheck.kinds.email.contract import MailRules

OPERATION_RELAY = "relay"  # connecting and authenticating
OPERATION_SEND = "send"  # handing over a message
IDLE_TIMEOUT_S = 60.0
# The replies real relays give with each chaos code (RFC 3463 enhanced status codes).
REPLY_TEXT = {
    421: "4.3.2 Service not available, closing transmission channel",
    450: "4.2.1 Mailbox busy, try again later",
    451: "4.3.0 Local error in processing, try again later",
    452: "4.5.3 Too many recipients",
    454: "4.7.0 Temporary authentication failure",
    535: "5.7.8 Authentication credentials invalid",
    550: "5.1.1 Mailbox unavailable",
    552: "5.3.4 Message size exceeds fixed limit",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.7.1 Transaction failed",
}
_QUIET = logging.NullHandler()
_BEFORE_TLS = frozenset({"EHLO", "HELO", "STARTTLS", "NOOP", "RSET", "QUIT", "HELP"})


def reply(code: int) -> str:
    """The full reply line a chaos trigger answers with."""
    text = REPLY_TEXT.get(code, f"{code // 100}.0.0 Refused by intcheck chaos")
    return f"{code} {text} (intcheck chaos)"


@dataclass(slots=True)
class Chaos:
    """The chaos triggers in force; the admin API may replace them at run time."""

    triggers: dict[str, Trigger]
    rng: random.Random

    def answer(self, command: str) -> str | None:
        """A refusal for ``command`` (sender, recipient, authentication) when its trigger fires."""
        trigger = self.triggers.get(command)
        if trigger is None or trigger.rate <= 0 or self.rng.random() >= trigger.rate:
            return None
        return reply(trigger.code)


@dataclass(slots=True, kw_only=True)
class RelayState:
    """What the relay shares with the admin routes: its mail, its chaos, its certificate."""

    relay: Relay
    rules: MailRules
    store: MailStore
    chaos: Chaos
    journal: JournalSink
    certificate: Certificate | None = None
    url: str = ""


class _Handler:
    """aiosmtpd hooks: EHLO advertisement, chaos, AUTH outcome, capture."""

    def __init__(self, state: RelayState) -> None:
        self.state = state

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if self.state.relay.auth is None:  # no credentials in the contract: no AUTH at all
            return [line for line in responses if not line.startswith("250-AUTH")]
        return responses

    async def handle_AUTH(
        self, server: SMTP, session: Session, envelope: Envelope, args: list[str]
    ) -> Any:
        refusal = self.state.chaos.answer("authentication")
        return refusal if refusal is not None else MISSING

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.state.relay.auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        refusal = self.state.chaos.answer("sender")
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.state.chaos.answer("recipient")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else b""
        message = CapturedMessage(
            raw,
            MailEnvelope(
                mail_from=envelope.mail_from or "",
                rcpt_to=tuple(envelope.rcpt_tos),
                peer=str((session.peer or ("", 0))[0]),
                tls=session.ssl is not None,
                login=login.decode("utf-8", "replace"),
            ),
            received_at=time.time(),
        )
        self.state.store.add(message)
        failed = [
            v.name for v in check_message(message, self.state.rules) if v.status.value == "failed"
        ]
        self.state.journal(
            OPERATION_SEND,
            protocol="smtp",
            method="DATA",
            path=f"messages/{message.id}",
            headers=(
                ("mail-from", message.envelope.mail_from),
                ("rcpt-to", ", ".join(message.envelope.rcpt_to)),
                ("subject", message.subject),
                ("message-id", message.header("message-id")),
            ),
            body=raw,
            validation=failed[0] if failed else "ok",
            status=250,
            note=f"failed mail checks: {', '.join(failed)}" if failed else "",
        )
        return f"250 2.0.0 Ok: queued as {message.id}"


class _Session(SMTP):
    """One client connection: STARTTLS gating as the contract says, and refusals journaled."""

    def __init__(self, state: RelayState, **options: Any) -> None:
        super().__init__(_Handler(state), **options)
        self.state = state
        self.last_reply = ""

    async def push(self, status: str) -> None:  # type: ignore[override]  # this class pushes text
        self.last_reply = status
        await super().push(status)

    async def _gated(self, command: str, call: Any, arg: str | None) -> None:
        """Run one command; refuse it before TLS when the contract requires STARTTLS."""
        started = time.perf_counter()
        self.last_reply = ""
        if (
            self.state.relay.starttls == "required"
            and (self.session is None or self.session.ssl is None)
            and command not in _BEFORE_TLS
        ):
            await self.push("530 5.7.0 Must issue a STARTTLS command first")
        else:
            await call(arg)
        code = int(self.last_reply[:3]) if self.last_reply[:3].isdigit() else 0
        if code >= 400 or (command == "AUTH" and code == 235):
            self._journal(command, code, (time.perf_counter() - started) * 1000)

    def _journal(self, command: str, code: int, took_ms: float) -> None:
        operation = OPERATION_RELAY if command in ("AUTH", "STARTTLS", "EHLO") else OPERATION_SEND
        text = self.last_reply
        validation = "ok" if code < 400 else _rule(code, text)
        self.state.journal(
            operation,
            protocol="smtp",
            method=command,
            validation=validation,
            status=code,
            duration_ms=took_ms,
            note=text[:200],
        )

    async def smtp_AUTH(self, arg: str) -> None:
        await self._gated("AUTH", super().smtp_AUTH, arg)

    async def smtp_MAIL(self, arg: str | None) -> None:
        await self._gated("MAIL", super().smtp_MAIL, arg)

    async def smtp_RCPT(self, arg: str | None) -> None:
        await self._gated("RCPT", super().smtp_RCPT, arg)

    async def smtp_DATA(self, arg: str) -> None:
        await self._gated("DATA", super().smtp_DATA, arg)

    async def smtp_VRFY(self, arg: str) -> None:
        await self._gated("VRFY", super().smtp_VRFY, arg)


def _rule(code: int, text: str) -> str:
    """The journal's validation word for a refusal."""
    lowered = text.lower()
    if "intcheck chaos" in lowered:
        return "chaos"
    if "starttls" in lowered or code == 538:
        return "tls-required"
    if code in (530, 535):
        return "auth-required" if code == 530 else "bad-credentials"
    if code == 552:
        return "too-large"
    return f"refused-{code}"


@dataclass(slots=True, kw_only=True)
class SmtpRelay:
    """The relay as a ``MockService``: binds at start, stops at close."""

    state: RelayState
    host: str
    port: int
    reuse_port: bool = False
    _server: asyncio.base_events.Server | None = None
    _sessions: weakref.WeakSet[_Session] = field(default_factory=weakref.WeakSet)

    async def start(self) -> None:
        # aiosmtpd logs every client that drops a TLS handshake with a traceback, and a
        # deprecation warning of its own at every login; the journal says what happened, so its
        # log reaches neither Python's last-resort handler nor the console's
        library = logging.getLogger("mail.log")
        library.addHandler(_QUIET)
        library.propagate = False
        relay = self.state.relay
        if relay.tls:
            names = ("localhost", "127.0.0.1", "::1", self.host, *filter(None, [relay.hostname]))
            self.state.certificate = self_signed(names, valid_days=relay.valid_days)
        context = self.state.certificate.server_context() if self.state.certificate else None
        auth = relay.auth
        options: dict[str, Any] = {
            "hostname": relay.hostname or "localhost",
            "ident": "ESMTP intcheck mock relay",
            "data_size_limit": relay.max_size or DEFAULT_SIZE,
            "enable_SMTPUTF8": True,
            "tls_context": context,
            "timeout": IDLE_TIMEOUT_S,
            "auth_require_tls": bool(auth and auth.after_tls and context),
            "auth_exclude_mechanism": [
                m for m in MECHANISMS if auth is None or m not in auth.mechanisms
            ],
            "authenticator": self._authenticate,
        }
        loop = asyncio.get_running_loop()

        def session() -> _Session:
            protocol = _Session(self.state, loop=loop, **options)
            self._sessions.add(protocol)
            return protocol

        sock = _listen(self.host, self.port, reuse_port=self.reuse_port)
        self._server = await loop.create_server(session, sock=sock)
        bound = sock.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.state.url = f"smtp://{host}:{bound}"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        expected = self.state.relay.auth
        if expected is None or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user_ok = hmac.compare_digest(data.login, expected.username.encode())
        password_ok = hmac.compare_digest(data.password, expected.password.encode())
        return AuthResult(success=user_ok and password_ok, auth_data=data, handled=False)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for session in list(self._sessions):
                if session.transport is not None:
                    session.transport.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None
        self._sessions.clear()

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        return [("smtp", self.state.url)] if self.state.url else []


def _listen(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    hint = "is another mock running? change relay.port in the contract"
    sock = bound_socket(host, port, reuse_port=reuse_port, hint=hint)
    sock.listen(128)
    return sock
