"""``intcheck simulate`` for email: customers' mail delivered to the CRM, and its answers judged.

Each flow is one message from a customer of the plan's datasets (non-ASCII subjects, text and
HTML, attachments); about a third are replies to an earlier one (In-Reply-To, References), sent
after it. Delivery is an inbound-parse webhook (SendGrid or Mailgun fields, through the probe's
client) or SMTP to the CRM's own mail server (smtplib; opportunistic TLS, as MTAs do).

``--chaos`` adds what providers and attackers do: the same post twice (a provider's retry, a
replayed Mailgun token), a forged and a missing Mailgun signature, a stale timestamp, a post
without the webhook's credentials. Answers are judged by Mailgun's and SendGrid's semantics:
a message is accepted with the contract's ``expect.status`` (2xx); a forged or stale post must
be refused (4xx; Mailgun's 406 stops its retries); a duplicate must not be an error (2xx, or
406 for Mailgun), or the provider retries it for hours.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from intcheck.kinds.email.contract import EmailSettings
from intcheck.kinds.email.inbound import InboundMail, compose, smtp_deliver, webhook_post
from intcheck.kinds.probing import Check, Exchange, Finding, ProbeCase, ProbeRequest
from intcheck.model import Result, Severity, Status

if TYPE_CHECKING:
    from intcheck.kinds.email.contract import Inbound
    from intcheck.kinds.simulating import SimulationContext
    from intcheck.model import Operation

STALE_S = 3600  # a timestamp an hour old: well past any receiver's replay window
REPLY_SHARE = 3  # every third message answers an earlier one


def signature_is_verified(case: ProbeCase, exchange: Exchange) -> Finding | None:
    status = exchange.status or 0
    if 400 <= status < 500:
        return None
    verdict = "accepted" if status < 400 else "crashed on"
    return Finding(
        f"the CRM {verdict} a post with a {case.data['forgery']} ({status}); expected 4xx"
    )


def timestamp_is_checked(case: ProbeCase, exchange: Exchange) -> Finding | None:
    status = exchange.status or 0
    if 400 <= status < 500:
        return None
    return Finding(
        f"a correctly signed post with a timestamp {STALE_S} s old was answered {status}; "
        "a receiver that ignores the timestamp accepts replays (expected 4xx, Mailgun: 406)"
    )


def duplicate_is_absorbed(case: ProbeCase, exchange: Exchange) -> Finding | None:
    status = exchange.status or 0
    if 200 <= status < 300 or (case.data["style"] == "mailgun" and status == 406):
        return None
    return Finding(
        f"the second delivery of {case.data['message_id']} was answered {status}: the provider "
        "retries it for hours; dedupe on Message-ID and answer 2xx"
        + (" (or 406 to a replayed Mailgun token)" if case.data["style"] == "mailgun" else "")
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One case and how to deliver it."""

    case: ProbeCase
    send: Callable[[], Awaitable[Exchange]]


class EmailSimulator:
    """The ``Simulator`` of the email kind."""

    async def simulate(self, ctx: SimulationContext) -> AsyncIterator[Result]:
        settings = EmailSettings.of(ctx.contract)
        operation = ctx.contract.operation("inbound")
        if settings.inbound is None or operation is None:
            yield _nothing_to_simulate(ctx)
            return
        plan = _Plan(ctx, settings, operation, settings.inbound)
        firsts, replies = plan.messages()
        limit = asyncio.Semaphore(ctx.options.concurrency)

        async def deliver(delivery: Delivery) -> list[Result]:
            async with limit:
                exchange = await delivery.send()
            return ctx.judge(delivery.case, exchange)

        # replies go after the messages they answer, as they would arrive
        for wave in (firsts, replies, plan.chaos(firsts) if ctx.options.chaos else []):
            for results in await asyncio.gather(*(deliver(d) for d in wave)):
                for result in results:
                    yield result


def _nothing_to_simulate(ctx: SimulationContext) -> Result:
    return Result(
        integration=ctx.contract.name,
        operation=f"{ctx.contract.name}:inbound",
        case=f"{ctx.contract.name}:inbound#not-declared",
        check="operation_is_simulated",
        status=Status.SKIPPED,
        severity=Severity.LOW,
        message="not simulated: the contract declares no inbound mail (inbound:)",
        source=ctx.contract.source,
    )


class _Plan:
    """The messages of one run and how each travels."""

    def __init__(
        self,
        ctx: SimulationContext,
        settings: EmailSettings,
        operation: Operation,
        inbound: Inbound,
    ) -> None:
        self.ctx, self.settings, self.operation, self.inbound = ctx, settings, operation, inbound
        expect = ctx.contract.settings.get("expect", {})
        self.expect = (str(expect.get("status", "2xx")).upper(),)
        self.sla_ms = expect.get("max_ms")
        self.secret = str(ctx.contract.settings.get("signature", {}).get("secret", ""))
        customers = [
            r for records in ctx.index.collections.values() for r in records if r.get("email")
        ]
        self.customers = customers or [{"first_name": "Erika", "last_name": "Muster"}]
        self.orders = [
            str(r.get("order_id") or r.get("id"))
            for r in ctx.index.collections.get("orders", ())
            if r.get("order_id") or r.get("id")
        ] or ["O-1001"]

    def messages(self) -> tuple[list[Delivery], list[Delivery]]:
        rng = self.ctx.rng
        firsts: list[Delivery] = []
        replies: list[Delivery] = []
        sent: list[InboundMail] = []
        for number in range(self.ctx.options.flows):
            parent = sent[rng.randrange(len(sent))] if sent and number % REPLY_SHARE == 2 else None
            customer = rng.choice(self.customers)
            mail = compose(
                rng, number, customer, self.inbound.to, order=rng.choice(self.orders), parent=parent
            )
            sent.append(mail)
            label = f"reply-{number}" if parent else f"message-{number}"
            (replies if parent else firsts).append(self.delivery(mail, label))
        self.sent = sent
        return firsts, replies

    def case(self, suffix: str, request: ProbeRequest, **data: Any) -> ProbeCase:
        return ProbeCase(
            id=f"{self.operation.id}#{suffix}",
            operation=self.operation,
            kind=data.pop("kind", "simulated"),
            request=request,
            checks=data.pop("checks", ()),
            expect_status=data.pop("expect", self.expect),
            sla_ms=self.sla_ms,
            source=self.operation.source,
            data={"style": self.inbound.style, **data},
        )

    def delivery(self, mail: InboundMail, suffix: str, **variant: Any) -> Delivery:
        if self.inbound.via == "smtp":
            request = ProbeRequest(method="SMTP", url=self.ctx.target, body=mail.raw())
            return Delivery(
                self.case(suffix, request, expect=("250",), message_id=mail.message_id),
                lambda: asyncio.to_thread(
                    smtp_deliver, self.ctx.target, mail, self.ctx.options.timeout_s
                ),
            )
        request = self.request(mail, **variant)
        checks = variant.get("checks", ())
        case = self.case(
            suffix,
            request,
            message_id=mail.message_id,
            checks=checks,
            **({"expect": ()} if checks else {}),
            **{k: v for k, v in variant.items() if k in ("forgery", "kind")},
        )
        return Delivery(case, lambda: self.ctx.send(request))

    def request(
        self,
        mail: InboundMail,
        *,
        timestamp: str = "",
        token: str = "",
        forgery: str = "",
        credentials: bool = True,
        **_: Any,
    ) -> ProbeRequest:
        auth = self.ctx.contract.auth
        return webhook_post(
            mail,
            self.inbound,
            self.ctx.target.rstrip("/") + self.inbound.path,
            secret=self.secret,
            headers=auth.headers() if credentials and auth is not None else {},
            rng=self.ctx.rng,
            timestamp=timestamp,
            token=token,
            forgery=forgery,
        )

    def chaos(self, firsts: list[Delivery]) -> list[Delivery]:
        """What providers and attackers do besides delivering mail once."""
        if not self.sent:
            return []
        mail = self.sent[0]
        absorbed = Check(
            name="duplicate_is_absorbed", function=duplicate_is_absorbed, severity=Severity.MEDIUM
        )
        if self.inbound.via == "smtp":
            return [self.delivery(mail, "chaos:duplicate")]
        original = firsts[0].case.request if firsts else self.request(mail)
        deliveries = [
            Delivery(
                self.case(
                    "chaos:duplicate",
                    original,
                    expect=(),
                    checks=(absorbed,),
                    message_id=mail.message_id,
                ),
                lambda: self.ctx.send(original),
            )
        ]
        if self.inbound.style == "mailgun":
            verified = Check(
                name="signature_is_verified",
                function=signature_is_verified,
                severity=Severity.CRITICAL,
            )
            fresh = Check(
                name="timestamp_is_checked", function=timestamp_is_checked, severity=Severity.MEDIUM
            )
            for forgery in ("forged signature", "missing signature"):
                suffix = "chaos:" + forgery.replace(" ", "-")
                deliveries.append(self.delivery(mail, suffix, forgery=forgery, checks=(verified,)))
            stale = str(int(time.time()) - STALE_S)
            deliveries.append(
                self.delivery(mail, "chaos:stale-timestamp", timestamp=stale, checks=(fresh,))
            )
        if self.ctx.contract.auth is not None:
            request = self.request(mail, credentials=False)
            case = self.case("chaos:missing-credentials", request, kind="auth", expect=())
            deliveries.append(Delivery(case, lambda: self.ctx.send(request)))
        return deliveries
