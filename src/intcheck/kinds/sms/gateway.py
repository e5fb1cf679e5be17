"""The mock gateway's send API, in the provider's style, and what it does with each message.

``POST <send path>`` is checked as the provider checks it: credentials (Twilio's Basic
AccountSid:AuthToken, Vonage's api_key/api_secret or signed request, Infobip's ``App`` key, the
generic contract's auth), the recipient (E.164, parsed by ``phonenumbers``; Twilio's magic test
numbers answer with their documented refusals), the sender id, the body (empty, over Twilio's
1600 characters or the contract's ``max_segments``). A refusal is the provider's own answer and
code; an accepted message gets the provider's id and answer, is kept for the admin API, and its
delivery receipts are handed to the ``ReceiptSender``.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck.kinds.base import OPERATION, VALIDATION
from intcheck.kinds.sms import payloads
from intcheck.kinds.sms.contract import is_e164, sender_problem
from intcheck.kinds.sms.messages import Message
from intcheck.kinds.sms.providers import (
    MAGIC_RECIPIENTS,
    MAGIC_SENDERS,
    TWILIO_BODY_LIMIT,
    Rejection,
)
from intcheck.kinds.sms.segments import GSM7, MULTI_SEGMENT, UCS2, as_gsm7_handset, is_gsm7, split
from intcheck.kinds.sms.webhooks import decode, verify

if TYPE_CHECKING:
    import random

    from intcheck.kinds.sms.contract import SmsContract
    from intcheck.kinds.sms.messages import MessageStore
    from intcheck.kinds.sms.receipts import ReceiptSender

ALWAYS_VALID_SENDER = "+15005550006"  # Twilio's magic From that passes all validation


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    """One message to one recipient, as the request asked for it."""

    to: str
    sender: str
    text: str
    callback: str = ""
    reference: str = ""
    encoding: str | None = None  # forced by the request (Vonage ``type``), else from the text
    client_id: str = ""  # Infobip's destinations[].messageId
    notify: bool = True  # Vonage ``status-report-req=0`` asks for no receipts
    prefix: str = "messages[0]"  # where an Infobip validation error points


class Refusal(Exception):
    """A send the gateway refuses: the provider rule broken, with the text's placeholders."""

    def __init__(self, rule: str, **details: str) -> None:
        super().__init__(rule)
        self.rule = rule
        self.details = details


class Gateway:
    """The send API of one sms contract's mock."""

    def __init__(
        self,
        contract: SmsContract,
        store: MessageStore,
        receipts: ReceiptSender,
        rng: random.Random,
    ) -> None:
        self.contract = contract
        self.store = store
        self.receipts = receipts
        self.rng = rng

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.contract.send_path, self.send)]

    async def send(self, request: web.Request) -> web.Response:
        request[OPERATION] = "send"
        body = await request.read()
        try:
            fields, _ = decode(request.content_type, body, request.query)
        except (ValueError, UnicodeDecodeError) as exc:
            request[VALIDATION] = "malformed-body"
            return web.json_response({"error": "malformed-body", "detail": str(exc)}, status=400)
        try:
            self._authenticate(request, fields)
            submissions = self._submissions(fields, request.match_info.get("AccountSid", ""))
        except Refusal as refusal:
            request[VALIDATION] = refusal.rule
            return self._answer(*payloads.refused(self.contract, self._rejection(refusal)))
        entries: list[tuple[Message | None, Refusal | None, Submission]] = []
        for submission in submissions:
            try:
                entries.append((self._accept(submission), None, submission))
            except Refusal as refusal:
                entries.append((None, refusal, submission))
        request[VALIDATION] = next(
            (r.rule for _, r, _ in entries if r is not None), self._note(submissions)
        )
        return self._answer(*self._reply(entries))

    def _reply(
        self, entries: list[tuple[Message | None, Refusal | None, Submission]]
    ) -> tuple[int, Any]:
        contract = self.contract
        if contract.provider.name != "infobip" or len(entries) == 1:
            message, refusal, submission = entries[0]
            if refusal is not None or message is None:
                assert refusal is not None
                return payloads.refused(
                    contract,
                    self._rejection(refusal),
                    to=submission.to,
                    message_id=submission.client_id or payloads.new_id("infobip", self.rng),
                    field=f"{submission.prefix}.{refusal.details.get('field', 'text')}",
                )
            return payloads.accepted(contract, [message])
        # a malformed message fails the whole bulk (400); else Infobip answers one entry per
        # destination, the refused ones REJECTED
        for _, refusal, submission in entries:
            if refusal is not None and self._rejection(refusal).status != 200:
                field = f"{submission.prefix}.{refusal.details.get('field', 'text')}"
                return payloads.refused(contract, self._rejection(refusal), field=field)
        bulk: list[dict[str, Any]] = []
        for message, refusal, submission in entries:
            if message is not None:
                bulk += payloads.accepted(contract, [message])[1]["messages"]
            elif refusal is not None:
                rejection = self._rejection(refusal)
                bulk += payloads.refused(contract, rejection, to=submission.to)[1].get(
                    "messages", []
                )
        return 200, {"bulkId": next((m.bulk_id for m, _, _ in entries if m), ""), "messages": bulk}

    @staticmethod
    def _answer(status: int, body: Any) -> web.Response:
        return web.json_response(body, status=status, dumps=_dumps)

    def _rejection(self, refusal: Refusal) -> Rejection:
        known = self.contract.provider.rejections
        rejection = known.get(refusal.rule) or known["auth"]
        return Rejection(
            status=rejection.status,
            code=rejection.code,
            text=rejection.text.format_map(_Blank(refusal.details)),
        )

    def _note(self, submissions: list[Submission]) -> str:
        """``unicode-as-text``: accepted, but a Vonage ``type=text`` garbles non-GSM text."""
        garbled = any(s.encoding == GSM7 and not is_gsm7(s.text) for s in submissions)
        return "unicode-as-text" if garbled else "ok"

    def _authenticate(self, request: web.Request, fields: dict[str, Any]) -> None:
        auth = self.contract.send_auth
        if auth is None:
            return
        provider = self.contract.provider.name
        given = request.headers.get("Authorization", "")
        if provider == "twilio":
            account = request.match_info.get("AccountSid", auth.username)
            if not _same(given, auth.headers()["Authorization"]) or account != auth.username:
                raise Refusal("auth")
            return
        if provider == "vonage" and not given:
            self._vonage_credentials(fields)
            return
        expected = auth.headers()
        header = next(iter(expected))
        if not _same(request.headers.get(header, ""), expected[header]):
            raise Refusal("auth")

    def _vonage_credentials(self, fields: dict[str, Any]) -> None:
        """api_key with api_secret, or with sig and timestamp signed by the signature secret."""
        auth = self.contract.send_auth
        assert auth is not None
        key = str(fields.get("api_key", ""))
        if not key:
            raise Refusal("missing-credentials")
        if "sig" in fields:
            problem = (
                verify(
                    self.contract.signature, url="", headers={}, fields=fields, body=b"", form=True
                )
                if self.contract.signature.scheme.startswith("vonage-")
                else "bad-signature"
            )
            if problem or key != auth.username:
                raise Refusal("bad-signature" if problem else "auth")
            return
        if key != auth.username or not _same(str(fields.get("api_secret", "")), auth.password):
            raise Refusal("auth")

    def _submissions(self, fields: dict[str, Any], account: str) -> list[Submission]:
        provider = self.contract.provider.name
        if provider == "twilio":
            sender = fields.get("From") or (
                self.contract.sender if fields.get("MessagingServiceSid") else ""
            )
            return [
                Submission(
                    to=str(fields.get("To", "")),
                    sender=str(sender),
                    text=str(fields.get("Body", "")),
                    callback=str(fields.get("StatusCallback", "")),
                )
            ]
        if provider == "vonage":
            kind = str(fields.get("type", "text"))
            return [
                Submission(
                    to=str(fields.get("to", "")),
                    sender=str(fields.get("from", "")),
                    text=str(fields.get("text", "")),
                    callback=str(fields.get("callback", "")),
                    reference=str(fields.get("client-ref", "")),
                    encoding=UCS2 if kind == "unicode" else GSM7,
                    notify=str(fields.get("status-report-req", "1")) not in ("0", "false"),
                )
            ]
        if provider == "infobip":
            return list(self._infobip(fields))
        return [
            Submission(
                to=str(fields.get("to", "")),
                sender=str(fields.get("from", "") or self.contract.sender),
                text=str(fields.get("text", "")),
                callback=str(fields.get("status_callback", "")),
                reference=str(fields.get("reference", "")),
            )
        ]

    def _infobip(self, fields: dict[str, Any]) -> list[Submission]:
        messages = fields.get("messages")
        if not isinstance(messages, list) or not messages:
            raise Refusal("empty-body", field="messages")
        out = []
        for index, item in enumerate(messages):
            item = item if isinstance(item, dict) else {}
            destinations = item.get("destinations") or [{}]
            for destination in destinations:
                destination = destination if isinstance(destination, dict) else {}
                out.append(
                    Submission(
                        to=str(destination.get("to", "")),
                        # Infobip sends from the account's default sender when none is given
                        sender=str(item.get("from") or self.contract.sender),
                        text=str(item.get("text", "")),
                        callback=str(item.get("notifyUrl", "")),
                        reference=str(item.get("callbackData", "") or ""),
                        client_id=str(destination.get("messageId", "") or ""),
                        prefix=f"messages[{index}]",
                    )
                )
        return out

    def _accept(self, submission: Submission) -> Message:
        """Check one submission and keep it as a message, or raise its Refusal."""
        contract, provider = self.contract, self.contract.provider.name
        to = _recipient(submission.to, provider)
        if not submission.to:
            raise Refusal("missing-recipient", field="destinations")
        if to is None:
            raise Refusal("invalid-recipient", to=submission.to, field="destinations")
        if to in MAGIC_RECIPIENTS:
            raise Refusal(MAGIC_RECIPIENTS[to], to=to)
        self._check_sender(submission.sender)
        text = submission.text
        if not text:
            raise Refusal("empty-body")
        if provider == "twilio" and len(text) > TWILIO_BODY_LIMIT:
            raise Refusal("too-long", limit=str(TWILIO_BODY_LIMIT))
        garbled = submission.encoding == GSM7 and not is_gsm7(text)
        shown = as_gsm7_handset(text) if garbled else text
        segments = split(shown, encoding=submission.encoding)
        if contract.max_segments and segments.count > contract.max_segments:
            limit = contract.max_segments * MULTI_SEGMENT[segments.encoding]
            raise Refusal("too-long", limit=str(limit))
        callback = submission.callback
        if callback and not callback.startswith(("http://", "https://")):
            raise Refusal("invalid-callback", url=callback, field="notifyUrl")
        if not callback and contract.receipts is not None and contract.target:
            callback = contract.target + contract.receipts.webhook.path
        first = submission.client_id or payloads.new_id(provider, self.rng)
        parts: tuple[str, ...] = (first,)
        if provider == "vonage":
            parts += tuple(payloads.new_id(provider, self.rng) for _ in segments.parts[1:])
        message = Message(
            id=first,
            part_ids=parts,
            to=to,
            sender=submission.sender,
            body=text,
            shown=shown,
            segments=segments,
            callback=callback if submission.notify else "",
            outcome=self._outcome(),
            reference=submission.reference,
            bulk_id=str(self.rng.getrandbits(60)) if provider == "infobip" else "",
            created_at=time.time(),
        )
        initial = "PENDING_ACCEPTED" if provider == "infobip" else "queued"
        delivery = self.store.add(message, initial)
        if message.callback:
            self.receipts.schedule(message, delivery)
        return message

    def _check_sender(self, sender: str) -> None:
        if not sender:
            raise Refusal("missing-sender", field="from")
        if sender == ALWAYS_VALID_SENDER:
            return
        if sender in MAGIC_SENDERS:
            raise Refusal(MAGIC_SENDERS[sender], sender=sender, field="from")
        numeric = "+" + sender if sender.isdigit() and len(sender) > 8 else sender
        if sender_problem(numeric):
            raise Refusal("invalid-sender", sender=sender, field="from")
        owned = self.contract.senders
        if owned and sender not in owned and numeric not in owned:
            raise Refusal("sender-not-owned", sender=sender, field="from")

    def _outcome(self) -> str:
        receipts = self.contract.receipts
        if receipts is None:
            return "delivered"
        names = list(receipts.outcomes)
        return self.rng.choices(names, weights=[receipts.outcomes[n] for n in names])[0]


def _recipient(written: str, provider: str) -> str | None:
    """The recipient in E.164, or None; Vonage and Infobip write it without the '+'."""
    text = written.strip()
    if provider in ("vonage", "infobip") and text.isdigit():
        text = "+" + text
    return text if is_e164(text) else None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class _Blank(dict[str, str]):
    """Format placeholders a refusal did not fill stay empty instead of raising."""

    def __missing__(self, key: str) -> str:
        return ""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
