"""A CRM's screen-pop endpoint for the example ``pbx-screen-pop`` contract, with defects.

Written without intcheck's cti code, so a test that reads what it received checks intcheck
against a second implementation: the HMAC is recomputed with ``hmac``, numbers are read with
``phonenumbers`` directly, duplicates are told by (call id, event, extension). It keeps every
callback it got (``received``) with whether its signature verified.

Defects, one at a time:

======================  ===================================================================
``IGNORES_SIGNATURES``  accepts forged, unsigned and stale callbacks
``POPS_TWICE``          answers a repeated event with a second pop
``NO_NATIONAL_FORM``    finds callers only by international numbers (+…, 00…, tel:, sip:)
``POPS_WITHHELD``       matches a withheld (empty, anonymous) caller to the first customer
``SLOW``                takes 0.4 s over a pop (the contract allows 250 ms)
======================  ===================================================================
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
SECRET = "demo-cti-secret"
MAX_AGE_S = 300
WITHHELD = {"", "anonymous", "restricted", "unavailable", "unknown", "private"}


class Defect(Enum):
    NONE = "none"
    IGNORES_SIGNATURES = "ignores_signatures"
    POPS_TWICE = "pops_twice"
    NO_NATIONAL_FORM = "no_national_form"
    POPS_WITHHELD = "pops_withheld"
    SLOW = "slow"


@dataclass
class Received:
    """One callback as the CRM got it."""

    fields: dict[str, str]
    raw_target: str
    signature_valid: bool
    fresh: bool
    status: int = 0
    popped: str = ""


@dataclass
class CtiCrm:
    """An aiohttp app on 127.0.0.1:0 answering ``GET /cti/incoming``; ``.url`` is its origin."""

    defect: Defect = Defect.NONE
    region: str = "DE"
    url: str = ""
    received: list[Received] = field(default_factory=list)
    pops: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _customers: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def __aenter__(self) -> CtiCrm:
        data = yaml.safe_load((ROOT / "mocks" / "master-data.yaml").read_text("utf-8"))
        owners: dict[str, list[dict[str, Any]]] = {}
        for customer in data["customers"]:
            for phone in customer["phones"]:
                owners.setdefault(phone["number"], []).append(customer)
        self._customers = {n: c[0] for n, c in owners.items() if len(c) == 1}
        app = web.Application()
        app.router.add_get("/cti/incoming", self.incoming)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _verified(self, request: web.Request) -> tuple[bool, bool]:
        stamp = request.headers.get("X-Signature-Timestamp", "")
        given = request.headers.get("X-Signature", "")
        message = f"{stamp}.{request.raw_path}".encode()
        expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
        valid = bool(stamp) and hmac.compare_digest(expected, given)
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= MAX_AGE_S
        return valid, fresh

    def lookup(self, caller: str) -> dict[str, Any] | None:
        """The customer ``caller`` is, read the way this CRM reads numbers."""
        text = caller.strip()
        if text.lower() in WITHHELD:
            return (
                next(iter(self._customers.values()))
                if self.defect is Defect.POPS_WITHHELD
                else None
            )
        if text.lower().startswith(("tel:", "sip:")):
            text = text.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
        if text.startswith("00"):
            text = "+" + text[2:]
        international = text.startswith("+")
        if self.defect is Defect.NO_NATIONAL_FORM and not international:
            return None
        tries = [text] if international else [text, "+" + text]
        for attempt in tries:
            try:
                number = phonenumbers.parse(
                    attempt, None if attempt.startswith("+") else self.region
                )
            except phonenumbers.NumberParseException:
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 in self._customers:
                return self._customers[e164]
        return None

    async def incoming(self, request: web.Request) -> web.Response:
        fields = dict(request.query)
        valid, fresh = self._verified(request)
        got = Received(
            fields=fields, raw_target=request.raw_path, signature_valid=valid, fresh=fresh
        )
        self.received.append(got)
        if self.defect is not Defect.IGNORES_SIGNATURES and not (valid and fresh):
            got.status = 401
            return web.json_response({"error": "bad signature"}, status=401)
        event = fields.get("event", "")
        key = (fields.get("callid", ""), event, fields.get("ext", ""))
        if event != "ringing":
            got.status = 200
            return web.json_response({"ok": True})
        if self.defect is Defect.SLOW:
            await asyncio.sleep(0.4)
        customer = self.lookup(fields.get("caller", ""))
        if customer is None:
            got.status = 404
            return web.json_response({"customer_id": None}, status=404)
        seen = self.pops.get(key, 0)
        popped = seen == 0 or self.defect is Defect.POPS_TWICE
        self.pops[key] = seen + 1
        got.status, got.popped = 200, customer["id"]
        name = f"{customer['first_name']} {customer['last_name']}"
        return web.json_response(
            {
                "customer_id": customer["id"],
                "name": name,
                "contact_url": f"https://crm.example.com/contacts/{customer['id']}",
                "popped": popped,
            }
        )
