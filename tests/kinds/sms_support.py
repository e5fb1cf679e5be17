"""One sms contract per provider, written into a plan for the sms tests, and a callback server."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from intcheck.contracts import load_plan
from tests.conftest import REPO

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from intcheck.model import Plan

TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "twilio-auth-token-1"
VONAGE_KEY, VONAGE_SECRET, VONAGE_SIG = "a1b2c3d4", "vonage-api-secret", "vonage-signature-secret"
INFOBIP_KEY = "infobip-key-123"
GENERIC_TOKEN, GENERIC_SECRET = "generic-token-9", "generic-hmac-secret"
WEBHOOK_USER, WEBHOOK_PASSWORD = "crm", "infobip-webhook-password"
CUSTOMER = "+4915112345678"  # Anna Schmidt in mocks/master-data.yaml

CONTRACTS = {
    "twilio": f"""
provider: twilio
sender: "+15005550006"
senders: [ExampleCo]
number: "+14155550100"
send:
  auth: {{type: basic, username: {TWILIO_SID}, password: {TWILIO_TOKEN}}}
signature: {{scheme: twilio, secret: {TWILIO_TOKEN}}}
""",
    "vonage": f"""
provider: vonage
sender: ExampleCo
number: "+4915123456789"
send:
  auth: {{type: basic, username: {VONAGE_KEY}, password: {VONAGE_SECRET}}}
signature: {{scheme: vonage-sha256, secret: {VONAGE_SIG}}}
""",
    "infobip": f"""
provider: infobip
sender: ExampleCo
number: "+4915123456789"
auth: {{type: basic, username: {WEBHOOK_USER}, password: {WEBHOOK_PASSWORD}}}
send:
  auth: {{type: apikey, header: Authorization, value: App {INFOBIP_KEY}}}
signature: {{scheme: none}}
""",
    "generic": f"""
provider: generic
sender: ExampleCo
number: "+4915123456789"
send:
  auth: {{type: bearer, token: {GENERIC_TOKEN}}}
signature: {{scheme: hmac-sha256, header: X-Signature, secret: {GENERIC_SECRET}}}
""",
}
PROVIDERS = tuple(CONTRACTS)


def write_plan(
    folder: Path,
    provider: str,
    *,
    target: str = "http://127.0.0.1:9/crm",
    extra: str = "",
    outcomes: str = "{delivered: 1}",
    retries: int = 2,
    retry_ms: int = 50,
    max_segments: int = 3,
    record_id: str | None = None,
    send_url: str = "",
) -> Plan:
    """A plan with one sms contract ``sms`` of ``provider`` (receipts without delay);
    ``send_url`` names the gateway (``send.url``)."""
    own = CONTRACTS[provider].lstrip()
    if send_url:
        own = own.replace("send:\n", f"send:\n  url: {send_url}\n")
    contract = (
        f"kind: sms\nname: sms\ntarget: {target}\n"
        + own
        + f"""inbound: {{path: /hooks/inbound{_record(provider, record_id)}}}
delivery_receipts:
  path: /hooks/status
  outcomes: {outcomes}
  delay_ms: 0
  retries: {retries}
  retry_ms: {retry_ms}
max_segments: {max_segments}
opt_out_keywords: [STOP, STOPP]
test_numbers: ["+447700900456"]
expect: {{status: 2xx}}
mock: {{dataset: master-data.yaml}}
"""
        + extra
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sms.yaml").write_text(contract)
    (folder / "plan.yaml").write_text(
        "name: sms\nintegrations:\n  - contract: sms.yaml\n    gates: [conformance, simulation]\n"
    )
    (folder / "master-data.yaml").write_text((REPO / "mocks" / "master-data.yaml").read_text())
    return load_plan(folder / "plan.yaml", environ={})


def _record(provider: str, record_id: str | None) -> str:
    """Where the CRM's answer names its record: /id, except under Twilio (TwiML answers)."""
    pointer = record_id if record_id is not None else ("" if provider == "twilio" else "/id")
    return f", record_id: {pointer}" if pointer else ""


@dataclass
class Received:
    """One webhook the callback server got."""

    at: float
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str]


@dataclass
class CallbackServer:
    """A CRM stand-in that records receipts; ``failures`` answers 500 to the first N posts."""

    failures: int = 0
    always: int | None = None  # answer this status to everything
    received: list[Received] = field(default_factory=list)
    server: TestServer | None = None
    url: str = ""

    async def __aenter__(self) -> CallbackServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        self.url = str(self.server.make_url("")).rstrip("/")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.close()

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(
            Received(
                at=time.monotonic(),
                method=request.method,
                url=str(request.url),
                headers=dict(request.headers),
                body=await request.read(),
                query=dict(request.query),
            )
        )
        if self.always is not None:
            return web.Response(status=self.always)
        if len(self.received) <= self.failures:
            return web.Response(status=500, text="busy")
        return web.Response(status=200)

    async def wait_for(self, count: int) -> list[Received]:
        """The webhooks received once there are ``count`` (at most 20 s from now)."""

        async def enough() -> bool:
            return len(self.received) >= count

        await eventually(enough)
        return self.received


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    """Return once ``check()`` holds, asking every 20 ms; TimeoutError after ``seconds``."""
    async with asyncio.timeout(seconds):
        for _ in itertools.count():
            if await check():
                return
            await asyncio.sleep(0.02)


def form(body: bytes) -> dict[str, Any]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def send_path(provider: str) -> str:
    return {
        "twilio": f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json",
        "vonage": "/sms/json",
        "infobip": "/sms/2/text/advanced",
        "generic": "/messages",
    }[provider]


def send_request(
    provider: str,
    to: str,
    text: str,
    *,
    callback: str = "",
    sender: str = "",
    credentials: bool = True,
) -> dict[str, Any]:
    """Keyword arguments for ``session.post`` sending one message in ``provider``'s style."""
    if provider == "twilio":
        data = {"To": to, "From": sender or "+15005550006", "Body": text}
        if callback:
            data["StatusCallback"] = callback
        pair = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        headers = {"Authorization": f"Basic {pair}"} if credentials else {}
        return {"data": data, "headers": headers}
    if provider == "vonage":
        data = {"from": sender or "ExampleCo", "to": to.removeprefix("+"), "text": text}
        if callback:
            data["callback"] = callback
        if credentials:
            data |= {"api_key": VONAGE_KEY, "api_secret": VONAGE_SECRET}
        return {"data": data}
    if provider == "infobip":
        message: dict[str, Any] = {
            "from": sender or "ExampleCo",
            "destinations": [{"to": to.removeprefix("+")}],
            "text": text,
        }
        if callback:
            message |= {"notifyUrl": callback, "notifyContentType": "application/json"}
        headers = {"Authorization": f"App {INFOBIP_KEY}"} if credentials else {}
        return {"json": {"messages": [message]}, "headers": headers}
    body = {"to": to, "from": sender or "ExampleCo", "text": text}
    if callback:
        body["status_callback"] = callback
    headers = {"Authorization": f"Bearer {GENERIC_TOKEN}"} if credentials else {}
    return {"json": body, "headers": headers}


def refusal_code(provider: str, status: int, body: Any) -> tuple[int, str]:
    """(HTTP status, the provider's code) of a refused send."""
    if provider == "twilio":
        return status, str(body["code"])
    if provider == "vonage":
        return status, body["messages"][0]["status"]
    if provider == "infobip":
        if "requestError" in body:
            return status, body["requestError"]["serviceException"]["messageId"]
        return status, body["messages"][0]["status"]["name"]
    return status, body["error"]["code"]
