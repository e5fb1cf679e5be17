"""A Twilio-compatible send API with switchable defects, for the sms probe tests.

Done right it answers like Twilio: 401/20003 without Basic credentials, 400 with 21211, 21602
or 21617 for an impossible To, an empty Body or more than three segments (the test contract's
``max_segments``), and 201 with the Message resource otherwise. ``CAUGHT_BY`` names the probe
check that must report each defect.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from intcheck.kinds.sms.contract import is_e164
from intcheck.kinds.sms.segments import split


class Defect(Enum):
    NONE = "none"
    AUTH_NOT_ENFORCED = "auth_not_enforced"
    ACCEPTS_IMPOSSIBLE_NUMBER = "accepts_impossible_number"
    WRONG_CODE = "wrong_code"
    COUNTS_ESCAPES_AS_ONE = "counts_escapes_as_one"
    BAD_SID = "bad_sid"


CAUGHT_BY = {
    Defect.AUTH_NOT_ENFORCED: "auth_is_enforced",
    Defect.ACCEPTS_IMPOSSIBLE_NUMBER: "invalid_send_is_refused",
    Defect.WRONG_CODE: "code_is_the_providers",
    Defect.COUNTS_ESCAPES_AS_ONE: "segments_are_counted",
    Defect.BAD_SID: "message_id_is_well_formed",
}


@dataclass
class TwilioLikeGateway:
    """``POST /2010-04-01/Accounts/{sid}/Messages.json`` on a loopback port."""

    account: str
    token: str
    defect: Defect = Defect.NONE
    sent: list[dict[str, str]] = field(default_factory=list)  # accepted: what reached phones
    url: str = ""
    _server: TestServer | None = None

    async def __aenter__(self) -> TwilioLikeGateway:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._send)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self.url = str(self._server.make_url("")).rstrip("/")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        await self._server.close()

    async def _send(self, request: web.Request) -> web.Response:
        pair = base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        authorized = request.headers.get("Authorization") == f"Basic {pair}"
        if not authorized and self.defect is not Defect.AUTH_NOT_ENFORCED:
            return _error(401, 20003, "Authenticate")
        form = {k: str(v) for k, v in (await request.post()).items()}
        to, body = form.get("To", ""), form.get("Body", "")
        if not is_e164(to) and self.defect is not Defect.ACCEPTS_IMPOSSIBLE_NUMBER:
            code = 21614 if self.defect is Defect.WRONG_CODE else 21211
            return _error(400, code, f"The 'To' number {to} is not a valid phone number.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        segments = split(body)
        if segments.count > 3:
            return _error(400, 21617, "The concatenated message body exceeds the limit.")
        count = segments.count
        if self.defect is Defect.COUNTS_ESCAPES_AS_ONE:
            count = 1 if len(body) <= 160 else -(-len(body) // 153)
        self.sent.append(form)
        sid = "SM" + "a" * 32 if self.defect is not Defect.BAD_SID else "MSG-1"
        return web.json_response(
            {"sid": sid, "status": "queued", "num_segments": str(count), "to": to}, status=201
        )


def _error(status: int, code: int, message: str) -> web.Response:
    body: dict[str, Any] = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)
