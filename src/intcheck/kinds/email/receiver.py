"""The mock's stand-in for the CRM's inbound-parse webhook: what a correct receiver does.

A CRM team rehearses against it, and ``intcheck simulate`` of the example plan runs end to end
against it. It answers as a careful receiver should (DOMAIN.md §3.2, §3.3): Mailgun posts are
verified (HMAC of timestamp + token, a fresh timestamp, each token once) and refused with 406,
which Mailgun does not retry; SendGrid posts are checked for their fields; a second delivery of
the same Message-ID is accepted (so the provider stops retrying) but not stored twice.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict, deque
from email import message_from_string, policy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck.kinds import signatures
from intcheck.kinds.base import OPERATION, VALIDATION

if TYPE_CHECKING:
    from intcheck.kinds.email.contract import Inbound
    from intcheck.model import Contract

MAX_AGE_S = 300  # a Mailgun timestamp older than this is a replay, not a delivery
KEEP = 500  # inbound messages kept for the admin API, and tokens and Message-IDs remembered


class Rejected(Exception):
    """A post the receiver refuses: HTTP status and the rule it broke."""

    def __init__(self, status: int, rule: str, message: str) -> None:
        super().__init__(message)
        self.status, self.rule = status, rule


class InboundReceiver:
    """The inbound webhook route and what it received."""

    def __init__(self, contract: Contract, inbound: Inbound) -> None:
        self.contract = contract
        self.inbound = inbound
        self.received: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._tokens: OrderedDict[str, None] = OrderedDict()
        self._message_ids: OrderedDict[str, None] = OrderedDict()

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.inbound.path, self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        request[OPERATION] = "inbound"
        try:
            self._check_credentials(request)
            form = await request.post()
            fields = {k: v for k, v in form.items()}
            if self.inbound.style == "mailgun":
                self._verify_mailgun(fields)
                record = _mailgun_record(fields, raw=self.inbound.raw)
            else:
                record = _sendgrid_record(fields, raw=self.inbound.raw)
        except Rejected as rejected:
            request[VALIDATION] = rejected.rule
            return web.json_response(
                {"error": rejected.rule, "message": str(rejected)}, status=rejected.status
            )
        duplicate = _seen(self._message_ids, record["message_id"])
        request[VALIDATION] = "duplicate" if duplicate else "ok"
        if not duplicate:
            self.received.append({"received_at": time.time(), **record})
        return web.json_response({"accepted": True, "duplicate": duplicate})

    def _check_credentials(self, request: web.Request) -> None:
        auth = self.contract.auth
        if auth is None:
            return
        names = {name.lower() for name in auth.headers()}
        if not all(request.headers.get(name) for name in names):
            raise Rejected(401, "missing-credentials", "the webhook needs its credentials")

    def _verify_mailgun(self, fields: dict[str, Any]) -> None:
        timestamp, token = str(fields.get("timestamp", "")), str(fields.get("token", ""))
        given = str(fields.get("signature", ""))
        if not (timestamp and token and given):
            raise Rejected(406, "missing-signature", "timestamp, token and signature are required")
        secret = str(self.contract.settings.get("signature", {}).get("secret", ""))
        if not signatures.equal(signatures.mailgun(secret, timestamp, token), given):
            raise Rejected(406, "bad-signature", "the signature does not match")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_S:
            raise Rejected(406, "stale-timestamp", f"the timestamp is older than {MAX_AGE_S} s")
        if _seen(self._tokens, token):
            raise Rejected(406, "replayed-token", "this token was used before")


def _seen(memory: OrderedDict[str, None], key: str) -> bool:
    """Whether ``key`` was seen; remembers it, forgetting the oldest beyond ``KEEP``."""
    if not key:
        return False
    if key in memory:
        return True
    memory[key] = None
    if len(memory) > KEEP:
        memory.popitem(last=False)
    return False


def _required(fields: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if n not in fields]
    if missing:
        raise Rejected(400, "missing-field", f"missing field(s): {', '.join(missing)}")


def _json(fields: dict[str, Any], name: str) -> Any:
    try:
        return json.loads(str(fields[name]))
    except (KeyError, ValueError):
        raise Rejected(400, "bad-field", f"{name} is not JSON") from None


def _files(fields: dict[str, Any], prefix: str, count: int) -> list[str]:
    names = []
    for number in range(1, count + 1):
        part = fields.get(f"{prefix}{number}")
        if not isinstance(part, web.FileField):
            raise Rejected(400, "missing-attachment", f"{prefix}{number} is missing")
        names.append(part.filename)
    return names


def _sendgrid_record(fields: dict[str, Any], *, raw: bool) -> dict[str, Any]:
    _required(fields, "from", "to", "subject", "envelope", "charsets")
    envelope = _json(fields, "envelope")
    _json(fields, "charsets")
    if raw:
        _required(fields, "email")
        headers = str(fields["email"])
        attachments: list[str] = []
    else:
        _required(fields, "headers", "attachments")
        headers = str(fields["headers"])
        count = str(fields["attachments"])
        if not count.isdigit():
            raise Rejected(400, "bad-field", "attachments is not a count")
        attachments = _files(fields, "attachment", int(count))
        if attachments:
            _json(fields, "attachment-info")
    parsed = message_from_string(headers, policy=policy.default)
    return {
        "style": "sendgrid",
        "from": str(fields["from"]),
        "to": str(fields["to"]),
        "envelope": envelope,
        "subject": str(fields["subject"]),
        "message_id": str(parsed.get("message-id", "")),
        "in_reply_to": str(parsed.get("in-reply-to", "")),
        "attachments": attachments,
    }


def _mailgun_record(fields: dict[str, Any], *, raw: bool) -> dict[str, Any]:
    _required(fields, "recipient", "sender", "from", "subject")
    if raw:
        _required(fields, "body-mime")
        parsed = message_from_string(str(fields["body-mime"]), policy=policy.default)
        headers = {k.lower(): str(v) for k, v in parsed.items()}
        attachments: list[str] = []
    else:
        _required(fields, "body-plain", "message-headers")
        pairs = _json(fields, "message-headers")
        headers = {
            str(p[0]).lower(): str(p[1]) for p in pairs if isinstance(p, list) and len(p) == 2
        }
        count = str(fields.get("attachment-count", "0"))
        attachments = _files(fields, "attachment-", int(count) if count.isdigit() else 0)
    return {
        "style": "mailgun",
        "from": str(fields["from"]),
        "to": str(fields["recipient"]),
        "envelope": {"from": str(fields["sender"]), "to": [str(fields["recipient"])]},
        "subject": str(fields["subject"]),
        "message_id": headers.get("message-id", ""),
        "in_reply_to": headers.get("in-reply-to", ""),
        "attachments": attachments,
    }
