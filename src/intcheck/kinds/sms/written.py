"""Written sms cases (``cases:``, and scenario steps): a key user's send, a customer's text, a
delivery receipt, each with the answer the user expects.

======================  =================================================================
``send``                ``to`` (default: the first of ``test_numbers``), ``text``, ``from``
                        (default: ``sender``): the CRM's call to the gateway's send API
``inbound``             ``from`` (the customer, E.164), ``text``, ``to`` (default:
                        ``number``): posted to the CRM's inbound webhook, as the provider
                        posts and signs it
``delivery-receipt``    ``message_id``, ``status`` (the provider's word), ``error_code``,
                        ``to``: posted to the CRM's receipt webhook, signed
======================  =================================================================

Only what the case writes in ``expect`` is asserted exactly (``status``, ``fields``,
``contains``, ``max_ms``); the kind's conformance checks apply beside it. A send is expected
accepted, in the provider's shape with a well-formed id and the segments counted, unless the
case expects a refusal (``expect.fault``: true or the provider's code, or a 4xx/5xx status).
Every written case writes (``--read-only`` holds it back): a send delivers a real SMS to the
number written, a webhook changes the CRM's data.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from intcheck.kinds.expectations import written_case
from intcheck.kinds.probing import ProbeCase, ProbeRequest
from intcheck.kinds.sms import payloads
from intcheck.kinds.sms.checks import ACCEPTED, NO_REPLY_TO_STOP, REFUSED, TWIML, WRITTEN_CODE
from intcheck.kinds.sms.messages import Message
from intcheck.kinds.sms.providers import Code
from intcheck.kinds.sms.segments import split
from intcheck.kinds.sms.sending import FICTIONAL, REFUSAL_STATUS, no_gateway, send_request
from intcheck.kinds.sms.webhooks import outbound

if TYPE_CHECKING:
    from collections.abc import Mapping

    from intcheck.kinds.probing import Check
    from intcheck.kinds.sms.contract import SmsContract, Webhook
    from intcheck.kinds.sms.providers import Provider
    from intcheck.model import Contract, Operation, SourceRef

NO_RECIPIENT = "no recipient: write `to:` in the case, or name test_numbers in the contract"
NO_CRM = "no CRM URL: set `target` (the CRM's webhook base) in the contract"
# A receipt reports a message whose text it does not carry: one segment (Infobip's smsCount).
ONE_SEGMENT = split(" ")


def expects_refusal(expect: Mapping[str, Any]) -> bool:
    """Whether a written send expects the gateway to refuse it (``fault``, or a 4xx/5xx)."""
    if expect.get("fault") not in (None, False):
        return True
    return str(expect.get("status", ""))[:1] in ("4", "5")


class WrittenSms:
    """Builds the written cases of one sms contract."""

    def __init__(self, contract: Contract, sms: SmsContract, *, gateway: str, crm: str) -> None:
        self.contract = contract
        self.sms = sms
        self.gateway = gateway  # the send API's URL, "" when the contract does not say
        self.crm = crm  # the CRM's webhook base
        self.provider = sms.provider
        # fresh message ids each run: the CRM remembers ids to recognise resent messages
        self.rng = random.Random()

    def cases(self, written: list[tuple[dict[str, Any], SourceRef]]) -> list[ProbeCase]:
        """One case per written entry, in the order written."""
        operations = {op.name: op for op in self.contract.operations}
        builders = {"send": self._send, "inbound": self._inbound, "delivery-receipt": self._receipt}
        return [
            builders[operation.name](operation, item, where)
            for item, where in written
            if (operation := operations.get(str(item.get("operation")))) is not None
        ]

    def _case(
        self,
        operation: Operation,
        item: Mapping[str, Any],
        where: SourceRef,
        request: ProbeRequest,
        checks: tuple[Check, ...],
        status: tuple[str, ...],
        data: Mapping[str, Any],
        skip: str = "",
    ) -> ProbeCase:
        return written_case(
            operation,
            item,
            where,
            request,
            checks=checks,
            status=status,
            data=data,
            writes=True,
            skip=skip,
            skipped_by="test_number_is_named" if skip == NO_RECIPIENT else "case_can_be_built",
        )

    def _send(self, operation: Operation, item: Mapping[str, Any], where: SourceRef) -> ProbeCase:
        sms, provider = self.sms, self.provider.name
        to = str(item.get("to") or (sms.test_numbers[0] if sms.test_numbers else ""))
        text = str(item.get("text", ""))
        skip = "" if self.gateway else no_gateway(self.contract.name)
        if not skip and not to:
            skip = NO_RECIPIENT
        request = (
            send_request(sms, self.gateway, to, text, sender=str(item.get("from") or ""))
            if self.gateway
            else ProbeRequest(method="POST", url="")
        )
        expect = item.get("expect") or {}
        if expects_refusal(expect):
            coded = isinstance(expect.get("fault"), str)
            checks: tuple[Check, ...] = (REFUSED[0], WRITTEN_CODE) if coded else REFUSED[:1]
            status = REFUSAL_STATUS.get(provider, ("4XX",))
            data: dict[str, Any] = {"what": "a send the case expects refused"}
        else:
            segments = split(text)
            # Infobip counts segments in its receipts only: nothing to judge at send time
            checks = ACCEPTED if provider != "infobip" else ACCEPTED[:2]
            status = ("2XX",)
            data = {"segments": segments.count, "encoding": segments.encoding}
        data["provider"] = provider
        return self._case(operation, item, where, request, checks, status, data, skip)

    def _inbound(
        self, operation: Operation, item: Mapping[str, Any], where: SourceRef
    ) -> ProbeCase:
        sms = replace(self.sms, number=str(item.get("to") or self.sms.number))
        webhook = sms.inbound
        assert webhook is not None  # the operation exists only where the contract declares it
        text = str(item.get("text", ""))
        words = text.split()
        keyword = words[0].upper() if words else ""
        opt_out = keyword in {k.upper() for k in sms.opt_out_keywords}
        message_id = payloads.new_id(self.provider.name, self.rng)
        params = payloads.inbound(
            sms,
            message_id=message_id,
            sender=str(item.get("from", "")),
            text=text,
            segments=split(text),
            keyword=keyword,
            at=time.time(),
            opt_out=opt_out,
        )
        checks: tuple[Check, ...] = ()
        if self.provider.name == "twilio":
            checks = (TWIML, NO_REPLY_TO_STOP) if opt_out else (TWIML,)
        request, skip = self._webhook(webhook, params)
        return self._case(operation, item, where, request, checks, sms.expect_status, {}, skip)

    def _receipt(
        self, operation: Operation, item: Mapping[str, Any], where: SourceRef
    ) -> ProbeCase:
        sms, status = self.sms, str(item.get("status", ""))
        receipts = sms.receipts
        assert receipts is not None  # the operation exists only where the contract declares it
        if status not in self.provider.receipt_statuses:
            known = ", ".join(self.provider.receipt_statuses)
            why = f"not sent: {status!r} is no {self.provider.title} receipt status ({known})"
            placeholder = ProbeRequest(method=operation.method, url="")
            return self._case(operation, item, where, placeholder, (), (), {}, why)
        message_id = str(item.get("message_id", ""))
        message = Message(
            id=message_id,
            part_ids=(message_id,),
            to=str(item.get("to") or (sms.test_numbers[0] if sms.test_numbers else FICTIONAL)),
            sender=sms.sender,
            body="",
            shown="",
            segments=ONE_SEGMENT,
            callback="",
            outcome="",
        )
        error = _error(self.provider, item.get("error_code"))
        params = payloads.receipt(sms, message, status, error)
        request, skip = self._webhook(receipts.webhook, params)
        return self._case(operation, item, where, request, (), sms.expect_status, {}, skip)

    def _webhook(self, webhook: Webhook, params: dict[str, Any]) -> tuple[ProbeRequest, str]:
        """The signed webhook request to the CRM, or a placeholder and why it cannot be sent."""
        if not self.crm:
            return ProbeRequest(method=webhook.method, url=""), NO_CRM
        url = self.crm + webhook.path
        return outbound(url, webhook, params, self.sms.signature, self.sms.webhook_auth), ""


def _error(provider: Provider, written: Any) -> Code | None:
    """The provider's error ``written`` names (its own name when known), None when none."""
    if written in (None, ""):
        return None
    known = {code.id: code for outcome in provider.outcomes.values() for code in outcome.errors}
    return known.get(str(written), Code(str(written), f"error {written}"))
