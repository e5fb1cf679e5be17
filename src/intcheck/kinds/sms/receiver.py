"""The CRM's side of the webhooks, served by the mock: point a real gateway or the simulator at it.

``inbound.path`` and ``delivery_receipts.path`` answer as a well-behaved CRM does: the signature
(and the contract's ``auth``) is checked (401 when missing, 403 when wrong or stale), the
provider's required fields must be there (400 names the missing one), a duplicate (same message
id, and part or status) gets the first answer again, and the answer is what the provider wants
(empty TwiML for Twilio, 204 for Vonage, JSON otherwise, with ``inbound.record_id`` filled).
The verdict is the journal entry's ``validation``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck.kinds.base import OPERATION, VALIDATION
from intcheck.kinds.sms.webhooks import decode, verify

if TYPE_CHECKING:
    from intcheck.kinds.sms.contract import SmsContract, Webhook

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_REMEMBERED = 50_000  # message ids kept to recognise duplicates

# The fields a webhook cannot do without, per provider and operation ("results" for Infobip's
# envelope, whose first entry holds the rest).
REQUIRED = {
    ("twilio", "inbound"): ("MessageSid", "From", "To", "Body"),
    ("twilio", "delivery-receipt"): ("MessageSid", "MessageStatus"),
    ("vonage", "inbound"): ("msisdn", "to", "messageId", "text"),
    ("vonage", "delivery-receipt"): ("messageId", "status", "msisdn"),
    ("infobip", "inbound"): ("messageId", "from", "to", "text"),
    ("infobip", "delivery-receipt"): ("messageId", "status"),
    ("generic", "inbound"): ("id", "from", "to", "text"),
    ("generic", "delivery-receipt"): ("id", "status"),
}
_ID_FIELDS = ("MessageSid", "messageId", "id")


class Receiver:
    """The CRM-side webhook endpoints of one sms contract's mock."""

    def __init__(self, contract: SmsContract) -> None:
        self.contract = contract
        self._answers: OrderedDict[tuple[str, ...], tuple[int, str, str]] = OrderedDict()

    def routes(self) -> list[web.RouteDef]:
        routes = []
        if self.contract.inbound is not None:
            inbound = self.contract.inbound
            routes.append(web.route(inbound.method, inbound.path, self.inbound))
        if self.contract.receipts is not None:
            webhook = self.contract.receipts.webhook
            routes.append(web.route(webhook.method, webhook.path, self.receipt))
        return routes

    async def inbound(self, request: web.Request) -> web.Response:
        assert self.contract.inbound is not None
        return await self._receive(request, "inbound", self.contract.inbound)

    async def receipt(self, request: web.Request) -> web.Response:
        assert self.contract.receipts is not None
        return await self._receive(request, "delivery-receipt", self.contract.receipts.webhook)

    async def _receive(
        self, request: web.Request, operation: str, webhook: Webhook
    ) -> web.Response:
        request[OPERATION] = operation
        body = await request.read()
        try:
            fields, form = decode(request.content_type, body, request.query)
        except (ValueError, UnicodeDecodeError) as exc:
            return _refuse(request, 400, "malformed-body", f"the body is not what it says: {exc}")
        auth = self.contract.webhook_auth
        if auth is not None:
            header, value = next(iter(auth.headers().items()))
            given = request.headers.get(header, "")
            if not hmac.compare_digest(given.encode(), value.encode()):
                return _refuse(request, 401, "bad-auth", f"{header} missing or wrong")
        problem = verify(
            self.contract.signature,
            url=str(request.url),
            headers=request.headers,
            fields=fields,
            body=body,
            form=form,
        )
        if problem:
            status = 401 if problem == "missing-signature" else 403
            return _refuse(request, status, problem, problem.replace("-", " "))
        entry = _entry(fields)
        missing = [f for f in REQUIRED[(self.contract.provider.name, operation)] if f not in entry]
        if missing:
            return _refuse(request, 400, "missing-field", f"missing field {missing[0]}")
        key = (operation, *_key(entry, operation))
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answer(operation, key)
            self._answers[key] = answer
            while len(self._answers) > MAX_REMEMBERED:
                self._answers.popitem(last=False)
        request[VALIDATION] = "ok"
        status, content_type, text = answer
        if status == 204:
            return web.Response(status=204)
        return web.Response(status=status, text=text, content_type=content_type)

    def _answer(self, operation: str, key: tuple[str, ...]) -> tuple[int, str, str]:
        """What the CRM answers the first time: TwiML for Twilio, else JSON or nothing."""
        import json

        provider = self.contract.provider.name
        if provider == "twilio" and operation == "inbound":
            return 200, "text/xml", TWIML_EMPTY
        pointer = self.contract.record_id if operation == "inbound" else ""
        if not pointer:
            return (204, "", "") if provider == "vonage" else (200, "application/json", "{}")
        record = "rec_" + hashlib.sha256("|".join(key[:2]).encode()).hexdigest()[:16]
        return 200, "application/json", json.dumps(_at_pointer(pointer, record))


def _entry(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of the one message a webhook carries (Infobip's first ``results`` entry)."""
    results = fields.get("results")
    if isinstance(results, list) and results and isinstance(results[0], dict):
        return results[0]
    return fields


def _key(entry: dict[str, Any], operation: str) -> tuple[str, ...]:
    """How a duplicate is recognised: message id, and the part (inbound) or status (receipt)."""
    message_id = next((str(entry[f]) for f in _ID_FIELDS if f in entry), "")
    if operation == "inbound":
        return message_id, str(entry.get("concat-part", ""))
    status = entry.get("MessageStatus", entry.get("status", ""))
    if isinstance(status, dict):
        status = status.get("name", "")
    return message_id, str(status)


def _at_pointer(pointer: str, value: str) -> Any:
    """``{"a": {"b": value}}`` for ``/a/b``."""
    out: Any = value
    for token in reversed(pointer.split("/")[1:]):
        out = {token.replace("~1", "/").replace("~0", "~"): out}
    return out


def _refuse(request: web.Request, status: int, rule: str, detail: str) -> web.Response:
    request[VALIDATION] = rule
    return web.json_response({"title": rule, "status": status, "detail": detail}, status=status)
