"""``intcheck simulate`` for sms: the gateway's webhooks played against the CRM.

Customers' messages (``inbound``) come from the plan's customers and from unknown numbers, in
the provider's fields and signature: short ones, long ones (Vonage posts each part on its own
with ``concat-ref``/``concat-total``/``concat-part``; the others post them reassembled), UCS-2
text with emoji, and the contract's opt-out keywords in any case. Delivery receipts
(``delivery-receipt``) follow each outcome's real sequence and error codes. ``--chaos`` adds what
gateways and networks do: a message resent after a timeout, forged, unsigned and replayed
(stale) webhooks, parts out of order, a ``delivered`` before its ``sent``, a receipt twice.

Every answer is judged by the probe's checks (status as ``expect.status`` says, 401/403 for
forged ones, latency) plus the kind's own (``checks``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from intcheck import streams
from intcheck.kinds.probing import ProbeCase
from intcheck.kinds.sms import payloads
from intcheck.kinds.sms.checks import DUPLICATE, NO_REPLY_TO_STOP, TWIML, record_of
from intcheck.kinds.sms.contract import OUTCOMES, SmsContract, is_e164
from intcheck.kinds.sms.messages import Message
from intcheck.kinds.sms.segments import split
from intcheck.kinds.sms.webhooks import forge, outbound
from intcheck.model import Result, Severity, Status
from intcheck.streams import merged

if TYPE_CHECKING:
    from intcheck.kinds.probing import Check, Exchange, ProbeRequest
    from intcheck.kinds.simulating import SimulationContext
    from intcheck.kinds.sms.contract import Webhook
    from intcheck.model import Operation

Emit = streams.Emit[list[Result]]

INBOUND_VARIANTS = ("plain", "long", "unicode", "opt-out", "unknown-sender", "emoji")
INBOUND_CHAOS = ("duplicate", "bad-signature", "missing-signature", "stale-timestamp")
RECEIPT_CHAOS = ("delivered-before-sent", "duplicate", "bad-signature")
TEXTS = {
    "plain": "Hallo, wann kommt meine Bestellung {order}? Danke!",
    "long": (
        "Guten Tag, ich habe am Montag die Bestellung {order} aufgegeben und bis heute keine "
        "Versandbestaetigung erhalten. Laut Konto wurden 49,90 € abgebucht [Karte ...4242]. "
        "Koennen Sie bitte pruefen, ob die Lieferung noch diese Woche kommt? Ich bin ab "
        "Freitag im Urlaub ~ 2 Wochen. Alternativ bitte an die Packstation 123 liefern. "
        "Vielen Dank und freundliche Gruesse, Anna"
    ),
    "unicode": "Dzień dobry! Czy mogę zmienić adres dostawy zamówienia {order}? Dziękuję 🙂",
    "emoji": "Zamówienie {order} 📦 dotarło? " * 5,
    "unknown-sender": "Hi, I got a text from this number. Who is this?",
}
# The status a late intermediate report carries, per provider (sent after the final one).
LATE_INTERMEDIATE = {
    "twilio": "sent",
    "vonage": "accepted",
    "infobip": "DELIVERED_TO_OPERATOR",
    "generic": "sent",
}


class SmsSimulator:
    """The sms kind's ``Simulator``."""

    async def simulate(self, ctx: SimulationContext) -> AsyncIterator[Result]:
        player = _Player(ctx, SmsContract.of(ctx.contract))
        jobs = player.jobs()
        if not jobs:
            yield Result(
                integration=ctx.contract.name,
                operation=f"{ctx.contract.name}:*",
                case=f"{ctx.contract.name}:*#no-webhook",
                check="webhook_is_declared",
                status=Status.SKIPPED,
                severity=Severity.MEDIUM,
                message="not tested: the contract declares no CRM webhook "
                "(inbound, delivery_receipts) to simulate",
                source=ctx.contract.source,
            )
            return
        # closing this generator (Ctrl-C) cancels every flow still running
        async for batch in merged(jobs, limit=ctx.options.concurrency):
            for result in batch:
                yield result


class _Player:
    """Builds and plays one contract's flows."""

    def __init__(self, ctx: SimulationContext, contract: SmsContract) -> None:
        self.ctx = ctx
        self.contract = contract
        self.provider = contract.provider.name
        self.rng = ctx.rng
        # message ids unique across runs, as a gateway's are: the seeded ``rng`` shapes the
        # traffic, and a second run against one CRM must not look like the first one resent
        self.ids = random.Random()
        self.operations = {op.name: op for op in ctx.contract.operations}
        phones = [str(v) for v in ctx.index.candidates("phone")]
        self.customers = [n for n in phones if is_e164(n)] or ["+4915112345678"]
        self.orders = [str(v) for v in ctx.index.candidates("orderid")] or ["O20260001"]

    def jobs(self) -> list[Callable[[Emit], Awaitable[None]]]:
        flows = self.ctx.options.flows
        inbound = self.contract.inbound is not None
        receipts = self.contract.receipts is not None
        to_receipts = (flows // 3 or (1 if flows > 1 else 0)) if inbound else flows
        to_receipts = to_receipts if receipts else 0
        jobs: list[Callable[[Emit], Awaitable[None]]] = []
        if inbound:
            jobs += [self._inbound_job(i) for i in range(flows - to_receipts)]
        jobs += [self._receipt_job(j) for j in range(to_receipts)]
        return jobs

    def _inbound_job(self, index: int) -> Callable[[Emit], Awaitable[None]]:
        async def job(emit: Emit) -> None:
            await self._inbound(index, emit)

        return job

    def _receipt_job(self, index: int) -> Callable[[Emit], Awaitable[None]]:
        async def job(emit: Emit) -> None:
            await self._receipts(index, emit)

        return job

    # --- customers' messages -------------------------------------------------------------

    async def _inbound(self, index: int, emit: Emit) -> None:
        webhook = self.contract.inbound
        assert webhook is not None
        operation = self.operations["inbound"]
        variant = INBOUND_VARIANTS[index % len(INBOUND_VARIANTS)]
        sender = self._unknown() if variant == "unknown-sender" else self._customer(index)
        text = self._text(variant, index)
        posts = self._posts(webhook, sender, text, reverse=self.ctx.options.chaos)
        checks = self._inbound_checks(variant, text)
        first: Exchange | None = None
        for suffix, request, observed in posts:
            if first is not None:
                await self._pause(0.1, 0.5)
            case = self._case(operation, f"msg-{index}:{variant}{suffix}", request, checks)
            exchange = await self._send(case, {"variant": variant, **observed})
            await emit(self.ctx.judge(case, exchange))
            first = first or exchange
        if self.ctx.options.chaos and first is not None:
            await self._inbound_chaos(index, operation, webhook, posts[0][1], first, emit)

    def _inbound_checks(self, variant: str, text: str) -> tuple[Check, ...]:
        if self.provider != "twilio":
            return ()
        return (TWIML, NO_REPLY_TO_STOP) if variant == "opt-out" else (TWIML,)

    def _posts(
        self, webhook: Webhook, sender: str, text: str, *, reverse: bool = False
    ) -> list[tuple[str, ProbeRequest, dict[str, Any]]]:
        """The webhook posts of one customer message: one, or one per part for Vonage."""
        segments = split(text)
        keyword = text.split()[0].upper() if text.split() else ""
        opt_out = keyword in {k.upper() for k in self.contract.opt_out_keywords}
        message_id = payloads.new_id(self.provider, self.ids)
        params = payloads.inbound(
            self.contract,
            message_id=message_id,
            sender=sender,
            text=text,
            segments=segments,
            keyword=keyword,
            at=time.time(),
            opt_out=opt_out,
        )
        observed = {
            "from": sender,
            "text": text[:80],
            "encoding": segments.encoding,
            "segments": segments.count,
            "opt_out": opt_out,
        }
        url = self.ctx.target.rstrip("/") + webhook.path
        if self.provider != "vonage" or segments.count < 2:
            return [("", self._request(url, webhook, params), observed)]
        reference = str(self.rng.randrange(256))  # an 8-bit concat reference, as in the UDH
        posts = []
        for number, part in enumerate(segments.parts, start=1):
            fields = payloads.vonage_part(
                params, ref=reference, total=segments.count, part=number, text=part
            )
            fields["messageId"] = payloads.new_id(self.provider, self.ids)
            suffix = f":part-{number}/{segments.count}"
            posts.append(
                (suffix, self._request(url, webhook, fields), {**observed, "part": number})
            )
        return posts[::-1] if reverse else posts

    async def _inbound_chaos(
        self,
        index: int,
        operation: Operation,
        webhook: Webhook,
        first_request: ProbeRequest,
        first: Exchange,
        emit: Emit,
    ) -> None:
        chaos = INBOUND_CHAOS[index % len(INBOUND_CHAOS)]
        name = f"msg-{index}:{chaos}"
        if chaos == "duplicate":
            await self._pause(0.5, 1.5)  # the gateway's retry after a timeout
            data = {
                "record_id": self.contract.record_id,
                "first_record": record_of(first, self.contract.record_id),
                "first_error": first.error,
            }
            case = self._case(operation, name, first_request, (DUPLICATE,), data=data)
            exchange = await self._send(case, {"variant": chaos})
            await emit(self.ctx.judge(case, exchange))
            return
        text = TEXTS["plain"].format(order=self.orders[index % len(self.orders)])
        url = self.ctx.target.rstrip("/") + webhook.path
        _, request, _ = self._posts(webhook, self._customer(index), text)[0]
        forged = forge(chaos, self.contract, url, webhook, request)
        await self._forged_case(operation, name, chaos, forged, emit)

    # --- delivery receipts --------------------------------------------------------------------

    async def _receipts(self, index: int, emit: Emit) -> None:
        receipts = self.contract.receipts
        assert receipts is not None
        operation = self.operations["delivery-receipt"]
        outcome_name = OUTCOMES[index % len(OUTCOMES)]
        outcome = self.contract.provider.outcomes[outcome_name]
        error = self.rng.choice(outcome.errors) if outcome.errors else None
        message = self._sent_message(index, outcome_name)
        steps = [(s, None) for s in outcome.before] + [(outcome.final, error)]
        chaos = RECEIPT_CHAOS[index % len(RECEIPT_CHAOS)] if self.ctx.options.chaos else ""
        if chaos == "delivered-before-sent":
            late = outcome.before or (LATE_INTERMEDIATE[self.provider],)
            steps = [(outcome.final, error)] + [(s, None) for s in late]
        url = self.ctx.target.rstrip("/") + receipts.webhook.path
        last: ProbeRequest | None = None
        for number, (status, code) in enumerate(steps):
            if number:
                await self._pause(0.5, 2.0)
            params = payloads.receipt(self.contract, message, status, code)
            last = self._request(url, receipts.webhook, params)
            order = ":out-of-order" if chaos == "delivered-before-sent" and number else ""
            case = self._case(operation, f"dlr-{index}:{outcome_name}:{status}{order}", last)
            observed = {"message_id": message.id, "status": status, "outcome": outcome_name}
            if code is not None:
                observed["error_code"] = code.id
            exchange = await self._send(case, observed)
            await emit(self.ctx.judge(case, exchange))
        if chaos == "duplicate" and last is not None:
            await self._pause(0.5, 1.5)
            case = self._case(operation, f"dlr-{index}:{outcome_name}:duplicate", last)
            await emit(self.ctx.judge(case, await self._send(case, {"variant": "duplicate"})))
        elif chaos == "bad-signature":
            params = payloads.receipt(self.contract, message, outcome.final, error)
            request = self._request(url, receipts.webhook, params)
            forged = forge(chaos, self.contract, url, receipts.webhook, request)
            await self._forged_case(operation, f"dlr-{index}:{chaos}", chaos, forged, emit)

    def _sent_message(self, index: int, outcome: str) -> Message:
        """A message the CRM might have sent, for its receipts to refer to."""
        message_id = payloads.new_id(self.provider, self.ids)
        return Message(
            id=message_id,
            part_ids=(message_id,),
            to=self._customer(index),
            sender=self.contract.sender,
            body="Ihre Bestellung ist unterwegs.",
            shown="Ihre Bestellung ist unterwegs.",
            segments=split("Ihre Bestellung ist unterwegs."),
            callback="",
            outcome=outcome,
            bulk_id=str(self.rng.getrandbits(60)) if self.provider == "infobip" else "",
        )

    # --- forged webhooks ----------------------------------------------------------------------

    async def _forged_case(
        self,
        operation: Operation,
        name: str,
        chaos: str,
        forged: ProbeRequest | str,
        emit: Emit,
    ) -> None:
        if isinstance(forged, str):
            await emit([_skipped(operation, name, "auth_is_enforced", f"not tested: {forged}")])
            return
        case = self._case(operation, name, forged, kind="auth")
        await emit(self.ctx.judge(case, await self._send(case, {"variant": chaos})))

    # --- helpers -------------------------------------------------------------------------------

    def _request(
        self,
        url: str,
        webhook: Webhook,
        params: dict[str, Any],
        *,
        timestamp: float | None = None,
    ) -> ProbeRequest:
        return outbound(
            url,
            webhook,
            params,
            self.contract.signature,
            self.contract.webhook_auth,
            timestamp=timestamp,
        )

    def _case(
        self,
        operation: Operation,
        name: str,
        request: ProbeRequest,
        checks: tuple[Check, ...] = (),
        *,
        kind: str = "simulated",
        data: dict[str, Any] | None = None,
    ) -> ProbeCase:
        forged = kind == "auth"
        return ProbeCase(
            id=f"{operation.id}#{name}",
            operation=operation,
            kind=kind,
            request=request,
            checks=checks,
            expect_status=() if forged else self.contract.expect_status,
            sla_ms=None if forged else self.contract.max_ms,
            source=operation.source,
            data=data or {},
        )

    async def _send(self, case: ProbeCase, observed: dict[str, Any]) -> Exchange:
        exchange = await self.ctx.send(case.request)
        return replace(exchange, observed=observed)

    async def _pause(self, low: float, high: float) -> None:
        if self.ctx.options.pace > 0:
            await asyncio.sleep(self.rng.uniform(low, high) * self.ctx.options.pace)

    def _customer(self, index: int) -> str:
        return self.customers[index % len(self.customers)]

    def _unknown(self) -> str:
        """A German mobile number no customer has."""
        for _ in range(20):
            number = "+49151" + "".join(str(self.rng.randrange(10)) for _ in range(8))
            if is_e164(number) and number not in self.customers:
                return number
        return "+4915199999999"

    def _text(self, variant: str, index: int) -> str:
        if variant == "opt-out":
            word = self.contract.opt_out_keywords[
                (index // len(INBOUND_VARIANTS)) % len(self.contract.opt_out_keywords)
            ]
            return (word, word.lower(), word.capitalize())[index % 3]
        return TEXTS[variant].format(order=self.orders[index % len(self.orders)])


def _skipped(operation: Operation, name: str, check: str, message: str) -> Result:
    return Result(
        integration=operation.contract,
        operation=operation.id,
        case=f"{operation.id}#{name}",
        check=check,
        status=Status.SKIPPED,
        severity=Severity.LOW,
        message=message,
        source=operation.source,
    )
