"""``intcheck load`` for sms: concrete requests for Locust, built (and signed) up front.

A ``send`` step is the CRM's send API call to the gateway (``--target`` or ``send.url``), in
the provider's style with the contract's credentials, to numbers of Ofcom's drama range
(``+447700900000``–``999``), which no phone has, so a load run never texts a real person; the
bodies mix short GSM-7, two-segment GSM-7 and UCS-2 texts. An ``inbound`` or
``delivery-receipt`` step is the gateway's webhook to the CRM (``target``), signed as the
provider signs it. A Vonage signature carries the time it was made: a CRM that refuses
replays older than five minutes will refuse requests built longer ago than that.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from intcheck.errors import UsageError
from intcheck.kinds.loading import LoadRequest
from intcheck.kinds.sms import payloads
from intcheck.kinds.sms.contract import SmsContract, is_e164
from intcheck.kinds.sms.messages import Message
from intcheck.kinds.sms.segments import split
from intcheck.kinds.sms.sending import gateway_url, send_request
from intcheck.kinds.sms.simulator import TEXTS
from intcheck.kinds.sms.webhooks import outbound

if TYPE_CHECKING:
    from intcheck.kinds.loading import LoadContext

BODIES = (
    "Ihre Bestellung {order} ist unterwegs und kommt morgen zwischen 10 und 12 Uhr.",
    "Guten Tag, Ihre Bestellung {order} wurde versandt. Die Sendungsnummer finden Sie in "
    "Ihrem Kundenkonto. Bei Fragen antworten Sie einfach auf diese Nachricht oder rufen Sie "
    "uns an: Mo-Fr 8-18 Uhr. Ihr Kundenservice",
    "Zamówienie {order} zostało wysłane 📦 Dziękujemy!",
)
SUCCESS = {"twilio": (201,), "vonage": (200,), "infobip": (200,), "generic": (200, 201, 202)}


class SmsLoadDriver:
    """The sms kind's ``LoadDriver``."""

    def load_requests(self, ctx: LoadContext) -> list[LoadRequest]:
        sms = SmsContract.of(ctx.contract)
        name = ctx.operation.name
        if name == "send":
            return self._sends(ctx, sms)
        return self._webhooks(ctx, sms)

    def _sends(self, ctx: LoadContext, sms: SmsContract) -> list[LoadRequest]:
        base = gateway_url(sms, ctx.target, ctx.contract.target)
        if not base:
            raise UsageError(
                f"{ctx.operation.id} needs the gateway's URL: set send.url in "
                f"{ctx.contract.source.path.name} or pass --target {ctx.contract.name}=URL"
            )
        url = base + sms.send_path.replace("{AccountSid}", sms.account_sid)
        orders = [str(v) for v in ctx.index.candidates("orderid")] or ["O20260001"]
        requests = []
        for number in range(ctx.count):
            to = str(ctx.values.get("to") or f"+447700900{ctx.rng.randrange(1000):03d}")
            template = BODIES[number % len(BODIES)]
            text = str(ctx.values.get("text") or template.format(order=ctx.rng.choice(orders)))
            request = send_request(sms, url, to, text)
            requests.append(
                LoadRequest(
                    name=ctx.operation.id,
                    method=request.method,
                    url=request.url,
                    headers=request.headers,
                    body=request.body,
                    ok_statuses=SUCCESS[sms.provider.name],
                )
            )
        return requests

    def _webhooks(self, ctx: LoadContext, sms: SmsContract) -> list[LoadRequest]:
        inbound = ctx.operation.name == "inbound"
        webhook = sms.inbound if inbound else (sms.receipts.webhook if sms.receipts else None)
        assert webhook is not None  # the operation exists only when the contract declares it
        url = ctx.target.rstrip("/") + webhook.path
        phones = [str(v) for v in ctx.index.candidates("phone")]
        customers = [p for p in phones if is_e164(p)] or ["+4915112345678"]
        status = sms.expect_status[0]
        ok = (int(status),) if status.isdigit() else ()
        requests = []
        for number in range(ctx.count):
            customer = str(ctx.values.get("from") or customers[number % len(customers)])
            if inbound:
                text = str(ctx.values.get("text") or TEXTS["plain"].format(order="O20260001"))
                params = payloads.inbound(
                    sms,
                    message_id=payloads.new_id(sms.provider.name, ctx.rng),
                    sender=customer,
                    text=text,
                    segments=split(text),
                    keyword=text.split()[0].upper(),
                    at=time.time(),
                    opt_out=False,
                )
            else:
                params = self._receipt(ctx, sms, customer)
            request = outbound(url, webhook, params, sms.signature, sms.webhook_auth)
            requests.append(
                LoadRequest(
                    name=ctx.operation.id,
                    method=request.method,
                    url=request.url,
                    headers=request.headers,
                    body=request.body,
                    ok_statuses=ok,
                )
            )
        return requests

    @staticmethod
    def _receipt(ctx: LoadContext, sms: SmsContract, customer: str) -> dict[str, object]:
        """A final ``delivered`` receipt for a message the CRM might have sent."""
        outcome = sms.provider.outcomes["delivered"]
        message_id = payloads.new_id(sms.provider.name, ctx.rng)
        text = "Ihre Bestellung ist unterwegs."
        message = Message(
            id=message_id,
            part_ids=(message_id,),
            to=customer,
            sender=sms.sender,
            body=text,
            shown=text,
            segments=split(text),
            callback="",
            outcome="delivered",
        )
        error = outcome.errors[0] if outcome.errors else None
        return payloads.receipt(sms, message, outcome.final, error)
