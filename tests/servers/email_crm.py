"""A test CRM's inbound-mail webhook (aiohttp on 127.0.0.1), correct or with one defect.

Written for the tests, apart from the mock's own receiver, so the simulator is judged against
an independent implementation: Mailgun's HMAC checked here with ``hmac`` directly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from enum import Enum
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

PATH = "/webhooks/email/inbound"


class Defect(Enum):
    NONE = "none"
    IGNORES_SIGNATURE = "ignores-signature"  # accepts whatever signature comes
    IGNORES_TIMESTAMP = "ignores-timestamp"  # verifies the HMAC, never the age or the token
    FAILS_DUPLICATES = "fails-duplicates"  # a second delivery of a Message-ID gets a 500


class EmailCrm:
    """``async with EmailCrm(key) as crm:`` serves ``crm.url + PATH``; ``crm.posts`` holds
    the form fields of every accepted post."""

    def __init__(self, signing_key: str = "", defect: Defect = Defect.NONE) -> None:
        self.signing_key = signing_key
        self.defect = defect
        self.posts: list[dict[str, Any]] = []
        self.tokens: set[str] = set()
        self.message_ids: set[str] = set()
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post(PATH, self.receive)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def __aenter__(self) -> EmailCrm:
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()

    async def receive(self, request: web.Request) -> web.Response:
        form = await request.post()
        fields = {k: (v.filename if isinstance(v, web.FileField) else v) for k, v in form.items()}
        if "token" in fields or "signature" in fields or self.signing_key:
            refused = self._mailgun(fields)
            if refused:
                return web.Response(status=406, text=refused)
        message_id = _message_id(fields)
        if message_id in self.message_ids and self.defect is Defect.FAILS_DUPLICATES:
            return web.Response(status=500, text="duplicate key value violates unique constraint")
        if message_id not in self.message_ids:
            self.message_ids.add(message_id)
            self.posts.append(fields)
        return web.Response(text="ok")

    def _mailgun(self, fields: dict[str, Any]) -> str:
        if self.defect is Defect.IGNORES_SIGNATURE:
            return ""
        timestamp, token = str(fields.get("timestamp", "")), str(fields.get("token", ""))
        expected = hmac.new(
            self.signing_key.encode(), (timestamp + token).encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, str(fields.get("signature", ""))):
            return "bad signature"
        if self.defect is Defect.IGNORES_TIMESTAMP:
            return ""
        if abs(time.time() - int(timestamp)) > 300:
            return "stale"
        if token in self.tokens:
            return "replayed token"
        self.tokens.add(token)
        return ""


def _message_id(fields: dict[str, Any]) -> str:
    if "message-headers" in fields:
        for name, value in json.loads(fields["message-headers"]):
            if name.lower() == "message-id":
                return str(value)
    for line in str(fields.get("headers", "")).splitlines():
        if line.lower().startswith("message-id:"):
            return line.split(":", 1)[1].strip()
    return ""
