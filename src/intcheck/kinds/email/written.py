"""Written email cases (``cases:``, and scenario steps): a message the CRM hands to the relay, a
customer's mail to the CRM, each with the answer the user expects.

===========  ==================================================================================
``send``     ``to``, ``subject``, ``text``, ``html``, ``attachments``, ``from`` (default:
             ``mail.from``), ``in_reply_to``: handed to the relay over SMTP as the CRM hands
             it (STARTTLS where offered, AUTH with the contract's credentials); the answer is
             the relay's reply to the message
``inbound``  ``from`` (the customer), ``subject``, ``text``, ``html``, ``attachments``, ``to``
             (default: ``inbound.to``), ``in_reply_to``: posted to the CRM as the contract's
             inbound-parse service posts it (signed), or handed to the CRM's mail server
             (``inbound.via: smtp``)
===========  ==================================================================================

An SMTP answer reads as JSON for ``expect.fields`` and a scenario's ``save``:
``{code, reply, message_id, refused}``, ``/message_id`` the Message-ID the mail carried. Without
``expect.status`` a send must be accepted (250, every recipient taken) and an inbound post must
get the contract's ``expect.status`` (2xx by default). Attachments are files relative to the
file the case is written in. Every written case writes: a send delivers real mail, an inbound
mail becomes a case in the CRM.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import random
import uuid
from dataclasses import replace
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from functools import partial
from typing import TYPE_CHECKING, Any

from intcheck.kinds.email.inbound import Attachment, InboundMail, smtp_deliver, webhook_post
from intcheck.kinds.email.smtpprobe import PROBE_SENDER, SEVEN_BIT, hand_over, perform
from intcheck.kinds.expectations import written_case, written_status
from intcheck.kinds.probing import Check, Exchange, Finding, ProbeCase, ProbeRequest

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping
    from pathlib import Path

    from intcheck.kinds.email.contract import EmailSettings
    from intcheck.kinds.email.smtpprobe import Endpoint
    from intcheck.kinds.probing import PerformContext
    from intcheck.model import Contract, Operation, SourceRef

ANSWER_KEYS = ("code", "reply", "message_id", "refused")


def recipients_are_accepted(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """A message the relay took must reach every recipient: none refused at RCPT TO."""
    refused = exchange.observed.get("refused") or {}
    if not refused:
        return None
    first = next(iter(refused))
    return Finding(f"the relay refused {len(refused)} recipient(s): {first} ({refused[first]})")


RECIPIENTS = Check(name="recipients_are_accepted", function=recipients_are_accepted)


class WrittenMail:
    """Builds the written cases of one email contract."""

    def __init__(
        self,
        contract: Contract,
        settings: EmailSettings,
        *,
        relay: Endpoint | None,
        crm: str,
    ) -> None:
        self.contract = contract
        self.settings = settings
        self.relay = relay  # where sends go; None when the contract names no relay
        self.crm = crm  # the CRM's webhook base (http) or mail server (smtp)
        self.rng = random.Random()  # fresh Mailgun tokens each run: the CRM refuses a replay

    def cases(self, written: list[tuple[dict[str, Any], SourceRef]]) -> list[ProbeCase]:
        """One case per written entry, in the order written."""
        operations = {op.name: op for op in self.contract.operations}
        cases = []
        for item, where in written:
            operation = operations.get(str(item.get("operation")))
            if operation is not None and operation.name in ("send", "inbound"):
                build = self._send if operation.name == "send" else self._inbound
                cases.append(build(operation, item, where))
        return cases

    def _case(
        self,
        operation: Operation,
        item: Mapping[str, Any],
        where: SourceRef,
        request: ProbeRequest,
        checks: tuple[Check, ...],
        status: tuple[str, ...],
        *,
        run: Callable[[PerformContext], Awaitable[Exchange]] | None = None,
        skip: str = "",
    ) -> ProbeCase:
        return written_case(
            operation,
            item,
            where,
            request,
            checks=checks,
            status=status,
            writes=True,
            perform=run,
            skip=skip,
        )

    def _send(self, operation: Operation, item: Mapping[str, Any], where: SourceRef) -> ProbeCase:
        files, missing = _attachments(item, where)
        message = self._outgoing(item, files)
        sender = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses([str(item.get("to", ""))])]
        relay = self.relay
        describe = ProbeRequest(
            method="SMTP", url=relay.url if relay else "", body=message.as_bytes(policy=SEVEN_BIT)
        )
        expect = item.get("expect") or {}
        refusal = str(expect.get("status", ""))[:1] in ("4", "5")
        checks = () if refusal else (RECIPIENTS,)
        if relay is None or missing:
            why = (
                f"attachment not found: {missing}"
                if missing
                else "no SMTP relay: set relay.url or pass "
                f"--target {self.contract.name}=smtp://host:587"
            )
            return self._case(operation, item, where, describe, checks, ("250",), skip=why)
        auth = self.settings.relay.auth
        credentials = (auth.username, auth.password) if auth is not None else None
        dialogue = partial(_hand_over, message, sender, recipients, credentials)
        run = partial(_as_answer, partial(perform, describe, dialogue, relay))
        return self._case(operation, item, where, describe, checks, ("250",), run=run)

    def _outgoing(self, item: Mapping[str, Any], files: list[Attachment]) -> EmailMessage:
        """The message as the CRM writes it: the contract's From and Reply-To unless written."""
        mail, relay = self.settings.mail, self.settings.relay
        login = relay.auth.username if relay.auth and "@" in relay.auth.username else ""
        sender = str(item.get("from") or mail.sender or login or PROBE_SENDER)
        message = EmailMessage(policy=SEVEN_BIT)
        message["From"] = sender
        message["To"] = str(item.get("to", ""))
        if mail.reply_to:
            message["Reply-To"] = mail.reply_to
        message["Subject"] = str(item.get("subject", ""))
        message["Date"] = formatdate(localtime=False)
        domain = parseaddr(sender)[1].rpartition("@")[2] or "intcheck.invalid"
        message["Message-ID"] = make_msgid(domain=domain)
        if item.get("in_reply_to"):
            message["In-Reply-To"] = message["References"] = str(item["in_reply_to"])
        message.set_content(str(item.get("text", "")))
        if item.get("html"):
            message.add_alternative(str(item["html"]), subtype="html")
        for file in files:
            maintype, _, subtype = file.content_type.partition("/")
            message.add_attachment(
                file.data, maintype=maintype, subtype=subtype, filename=file.filename
            )
        return message

    def _inbound(
        self, operation: Operation, item: Mapping[str, Any], where: SourceRef
    ) -> ProbeCase:
        inbound = self.settings.inbound
        assert inbound is not None  # the operation exists only where the contract declares it
        files, missing = _attachments(item, where)
        name, address = parseaddr(str(item.get("from", "")))
        text = str(item.get("text", ""))
        parent = str(item.get("in_reply_to") or "")
        mail = InboundMail(
            sender_name=name or address,
            sender=address,
            to=str(item.get("to") or inbound.to),
            subject=str(item.get("subject", "")),
            text=text,
            html=str(item.get("html") or _html(text)),
            message_id=f"<{uuid.uuid4().hex}@{address.rpartition('@')[2] or 'example.net'}>",
            in_reply_to=parent,
            references=(parent,) if parent else (),
            attachments=tuple(files),
        )
        why = f"attachment not found: {missing}" if missing else ""
        if inbound.via == "smtp":
            target = self.contract.target
            describe = ProbeRequest(method="SMTP", url=target, body=mail.raw())
            run = partial(_delivered, target, mail, describe)
            return self._case(operation, item, where, describe, (), ("250",), run=run, skip=why)
        if not self.crm:
            why = why or "no CRM URL: set `target` (the CRM's base URL) in the contract"
        auth = self.contract.auth
        request = webhook_post(
            mail,
            inbound,
            self.crm.rstrip("/") + inbound.path,
            secret=str(self.contract.settings.get("signature", {}).get("secret", "")),
            headers=auth.headers() if auth is not None else {},
            rng=self.rng,
        )
        status = written_status(self.contract.settings.get("expect") or {}) or ("2XX",)
        return self._case(operation, item, where, request, (), status, skip=why)


def _hand_over(
    message: EmailMessage,
    sender: str,
    recipients: list[str],
    credentials: tuple[str, str] | None,
    endpoint: Endpoint,
) -> dict[str, Any]:
    return hand_over(endpoint, message, sender, recipients, credentials)


async def _as_answer(
    run: Callable[[PerformContext], Awaitable[Exchange]], ctx: PerformContext
) -> Exchange:
    """The dialogue's exchange with the relay's reply as its status and JSON as its body."""
    exchange = await run(ctx)
    if exchange.error:
        return exchange
    answer = {key: exchange.observed.get(key) for key in ANSWER_KEYS}
    return replace(
        exchange,
        status=exchange.observed.get("code"),
        headers={"content-type": "application/json"},
        body=json.dumps(answer).encode(),
    )


async def _delivered(
    target: str, mail: InboundMail, describe: ProbeRequest, ctx: PerformContext
) -> Exchange:
    """``mail`` handed to the CRM's mail server, the reply as JSON beside its code."""
    exchange = await asyncio.to_thread(smtp_deliver, target, mail, ctx.timeout_s)
    if exchange.error:
        return replace(exchange, request=describe)
    answer = {
        "code": exchange.status,
        "reply": exchange.observed.get("reply"),
        "message_id": mail.message_id,
    }
    return replace(
        exchange,
        request=describe,
        headers={"content-type": "application/json"},
        body=json.dumps(answer).encode(),
    )


def _attachments(item: Mapping[str, Any], where: SourceRef) -> tuple[list[Attachment], str]:
    """The files a case attaches (relative to its own file), and the first one missing."""
    files = []
    base: Path = where.path.parent
    for written in item.get("attachments") or ():
        path = base / str(written)
        if not path.is_file():
            return [], str(written)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files.append(
            Attachment(filename=path.name, content_type=content_type, data=path.read_bytes())
        )
    return files, ""


def _html(text: str) -> str:
    """The HTML part a mail client writes beside the text, one paragraph per line."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = "".join(f"<p>{line}</p>" for line in escaped.splitlines() if line)
    return f"<html><body>{lines}</body></html>"
