"""A CRM's SMS webhooks, done right, with switchable defects, for the simulator tests.

``SmsCrm`` serves an sms contract's ``inbound`` and ``delivery_receipts`` paths the way a careful
CRM does: it verifies each webhook with ``kinds/signatures.py`` (independently of intcheck's own
``webhooks.verify``), rejects replays older than five minutes, reassembles Vonage's concatenated
parts, records opt-outs, stores each message once (answering its record id) and accepts
receipts in any order. Each ``Defect`` breaks one of those; ``CAUGHT_BY`` names the check that
must report it.
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

from intcheck.kinds import signatures

if TYPE_CHECKING:
    from intcheck.kinds.sms.contract import SmsContract


class Defect(Enum):
    NONE = "none"
    IGNORES_SIGNATURE = "ignores_signature"
    DOUBLE_PROCESSES = "double_processes"
    REJECTS_DUPLICATE = "rejects_duplicate"
    CRASHES_ON_UNICODE = "crashes_on_unicode"
    REPLIES_TO_STOP = "replies_to_stop"
    REJECTS_LATE_STATUS = "rejects_late_status"


CAUGHT_BY = {
    Defect.IGNORES_SIGNATURE: "auth_is_enforced",
    Defect.DOUBLE_PROCESSES: "duplicate_is_not_processed_twice",
    Defect.REJECTS_DUPLICATE: "status_is_as_expected",
    Defect.CRASHES_ON_UNICODE: "status_is_as_expected",
    Defect.REPLIES_TO_STOP: "opt_out_gets_no_reply",
    Defect.REJECTS_LATE_STATUS: "status_is_as_expected",
}
FINAL = {"delivered", "undelivered", "failed", "expired", "rejected", "DELIVERED_TO_HANDSET",
         "UNDELIVERABLE_NOT_DELIVERED", "UNDELIVERABLE_REJECTED_OPERATOR", "EXPIRED_EXPIRED",
         "REJECTED_NETWORK"}  # fmt: skip


@dataclass
class SmsCrm:
    """The CRM side of one sms contract on a loopback port; read what it stored afterwards."""

    contract: SmsContract
    defect: Defect = Defect.NONE
    messages: list[dict[str, Any]] = field(default_factory=list)  # stored, reassembled
    opted_out: list[str] = field(default_factory=list)
    statuses: dict[str, list[str]] = field(default_factory=dict)  # message id -> as received
    refused: list[str] = field(default_factory=list)  # why each refused webhook was refused
    _records: dict[tuple[str, ...], str] = field(default_factory=dict)
    _parts: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)
    _server: TestServer | None = None
    url: str = ""

    async def __aenter__(self) -> SmsCrm:
        app = web.Application()
        if self.contract.inbound is not None:
            app.router.add_route(
                self.contract.inbound.method, "/crm" + self.contract.inbound.path, self._inbound
            )
        if self.contract.receipts is not None:
            webhook = self.contract.receipts.webhook
            app.router.add_route(webhook.method, "/crm" + webhook.path, self._receipt)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self.url = str(self._server.make_url("/crm"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        await self._server.close()

    async def _fields(self, request: web.Request) -> tuple[dict[str, Any], bytes, bool]:
        body = await request.read()
        if request.content_type == "application/json":
            return json.loads(body), body, False
        if request.content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(body.decode(), keep_blank_values=True)), body, True
        return dict(request.query), body, False

    def _authentic(
        self, request: web.Request, fields: dict[str, Any], body: bytes, form: bool
    ) -> str:
        """ "" if the webhook is genuine, else why not (checked with kinds/signatures.py)."""
        if self.defect is Defect.IGNORES_SIGNATURE:
            return ""
        auth = self.contract.webhook_auth
        if auth is not None:
            pair = f"{auth.username}:{auth.password}".encode()
            if request.headers.get("Authorization") != "Basic " + base64.b64encode(pair).decode():
                return "auth"
        scheme, secret = self.contract.signature.scheme, self.contract.signature.secret
        if scheme == "twilio":
            given = request.headers.get("X-Twilio-Signature", "")
            expected = signatures.twilio(secret, str(request.url), fields if form else None)
            return "" if given and hmac.compare_digest(given, expected) else "signature"
        if scheme.startswith("vonage-"):
            sig = str(fields.get("sig", ""))
            flat = {k: str(v) for k, v in fields.items()}
            expected = signatures.vonage(secret, flat, signatures.VONAGE_ALGORITHMS[scheme])
            if not sig or not hmac.compare_digest(sig, expected):
                return "signature"
            return "" if time.time() - float(fields["timestamp"]) < 300 else "stale"
        if scheme.startswith("hmac-"):
            given = request.headers.get(self.contract.signature.header, "")
            expected = signatures.generic(scheme, secret, body or request.path_qs.encode())
            return "" if given and hmac.compare_digest(given, expected) else "signature"
        return ""

    async def _inbound(self, request: web.Request) -> web.Response:
        fields, body, form = await self._fields(request)
        if why := self._authentic(request, fields, body, form):
            self.refused.append(why)
            return web.Response(status=401 if why == "auth" else 403)
        entry = fields["results"][0] if "results" in fields else fields
        sender = entry.get("From") or entry.get("msisdn") or entry.get("from")
        text = str(entry.get("Body") or entry.get("text") or "")
        message_id = str(entry.get("MessageSid") or entry.get("messageId") or entry.get("id"))
        if self.defect is Defect.CRASHES_ON_UNICODE and any(ord(c) > 0x17F for c in text):
            return web.Response(status=500, text="UnicodeEncodeError")
        key = (message_id, str(entry.get("concat-part", "")))
        if key in self._records and self.defect is Defect.REJECTS_DUPLICATE:
            return web.json_response({"error": "duplicate"}, status=409)
        if key in self._records and self.defect is not Defect.DOUBLE_PROCESSES:
            return self._answer(self._records[key], text)
        if entry.get("concat") == "true":
            text = self._assemble(entry) or ""
        record = f"rec-{len(self._records) + 1}"
        self._records[key] = record
        if text:
            self.messages.append({"from": sender, "text": text, "id": message_id, "record": record})
            if text.split()[0].upper() in {k.upper() for k in self.contract.opt_out_keywords}:
                self.opted_out.append(str(sender))
        return self._answer(record, text)

    def _assemble(self, entry: dict[str, Any]) -> str | None:
        """The whole text once every part of a concatenated message is in (any order)."""
        reference = (str(entry["msisdn"]), str(entry["concat-ref"]))
        parts = self._parts.setdefault(reference, {})
        parts[int(entry["concat-part"])] = str(entry["text"])
        if len(parts) < int(entry["concat-total"]):
            return None
        return "".join(parts[n] for n in sorted(parts))

    def _answer(self, record: str, text: str) -> web.Response:
        if self.contract.provider.name == "twilio":
            stop = text.split() and text.split()[0].upper() in {
                k.upper() for k in self.contract.opt_out_keywords
            }
            reply = (
                "<Message>You are unsubscribed.</Message>"
                if stop and self.defect is Defect.REPLIES_TO_STOP
                else ""
            )
            return web.Response(text=f"<Response>{reply}</Response>", content_type="text/xml")
        return web.json_response({"id": record})

    async def _receipt(self, request: web.Request) -> web.Response:
        fields, body, form = await self._fields(request)
        if why := self._authentic(request, fields, body, form):
            self.refused.append(why)
            return web.Response(status=401 if why == "auth" else 403)
        entry = fields["results"][0] if "results" in fields else fields
        message_id = str(entry.get("MessageSid") or entry.get("messageId") or entry.get("id"))
        status = entry.get("MessageStatus") or entry.get("status")
        status = status["name"] if isinstance(status, dict) else str(status)
        seen = self.statuses.setdefault(message_id, [])
        late = any(s in FINAL for s in seen) and status not in FINAL
        if late and self.defect is Defect.REJECTS_LATE_STATUS:
            return web.Response(status=409, text="status goes backwards")
        seen.append(status)
        return web.Response(status=204 if self.contract.provider.name == "vonage" else 200)
