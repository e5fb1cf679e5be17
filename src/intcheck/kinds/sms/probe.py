"""``intcheck probe`` for sms: the real gateway's send API against the contract.

The gateway is ``--target NAME=URL`` or ``send.url`` (``target`` is the CRM's webhook base). The
probe sends no message to a real phone unless the contract names ``test_numbers``:

=============================  ==============================================================
``auth:missing-credentials``   no credentials, to a number reserved for fiction: refused
``negative:invalid-recipient``  a number that cannot exist: refused with the provider's code
``negative:empty-body``         no text: refused with the provider's code
``negative:too-many-segments``  one segment over ``max_segments`` (Twilio: over 1600 chars)
``contract:gsm-7``              160 characters with one €: 161 septets, two segments
``contract:ucs-2``              70 characters with one emoji: 71 code units, two segments
``case:<name>``                 the contract's written cases (``written``): sends to the gateway,
                                texts and receipts to the CRM (``target``)
=============================  ==============================================================

A case a conforming gateway would deliver writes (``--read-only`` holds it back) and is skipped,
with the reason, without a test number. The CRM's own webhooks are for ``intcheck simulate``,
unless the contract writes cases for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from intcheck.kinds.probing import Check, ProbeCase, ProbeRequest, written_cases
from intcheck.kinds.sms.checks import ACCEPTED, REFUSED, VONAGE_AUTH
from intcheck.kinds.sms.contract import SmsContract
from intcheck.kinds.sms.providers import TWILIO_BODY_LIMIT
from intcheck.kinds.sms.segments import GSM7, MULTI_SEGMENT, split
from intcheck.kinds.sms.sending import (
    FICTIONAL,
    REFUSAL_STATUS,
    crm_url,
    gateway_url,
    no_gateway,
    send_request,
)
from intcheck.kinds.sms.written import WrittenSms

if TYPE_CHECKING:
    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, Operation

IMPOSSIBLE = "+1555"  # too short for any North American number
# Texts on the segment boundary, so a gateway that counts characters instead of septets or code
# units shows it: 160 characters with one € are 161 septets (two segments, not one), 70
# characters with one emoji are 71 UTF-16 code units (two UCS-2 segments, not one).
GSM7_TEXT = "intcheck probe: a test message, please ignore it. Preis: 0,00 € ".ljust(160, ".")
UCS2_TEXT = "intcheck probe: Testnachricht – bitte ignorieren 🙂 ".ljust(70, ".")
# The codes each provider documents for a refusal (the generic style documents none).
CODES: dict[str, dict[str, tuple[str, ...]]] = {
    "invalid-recipient": {
        "twilio": ("21211",),
        "vonage": ("3", "6"),
        "infobip": ("REJECTED_DESTINATION", "REJECTED_PREFIX_MISSING", "BAD_REQUEST"),
    },
    "empty-body": {"twilio": ("21602",), "vonage": ("2",), "infobip": ("BAD_REQUEST",)},
    "too-many-segments": {
        "twilio": ("21617",),
        "vonage": ("12",),
        "infobip": ("REJECTED_MESSAGE_TOO_LONG", "BAD_REQUEST"),
    },
}


class SmsProber:
    """The sms kind's ``Prober``."""

    def writes(self, operation: Operation) -> bool:
        return operation.name == "send"

    def build_cases(self, contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
        sms = SmsContract.of(contract)
        send = contract.operation("send")
        assert send is not None  # every sms contract has it (contract.read)
        base = gateway_url(sms, target, contract.target)
        url = base + sms.send_path.replace("{AccountSid}", sms.account_sid) if base else ""
        crm = crm_url(sms, target, contract.target)
        written = WrittenSms(contract, sms, gateway=url, crm=crm).cases(written_cases(contract))
        # an operation with written cases is probed by them; the others are the simulator's
        covered = {case.operation.name for case in written}
        cases = [
            _not_probed(op)
            for op in contract.operations
            if op.name != "send" and op.name not in covered
        ]
        if not base:
            placeholder = ProbeRequest(method="POST", url="")
            skip = no_gateway(contract.name)
            return [*cases, _case(send, "contract:send", placeholder, skip=skip), *written]
        builder = _Builder(sms, send, url)
        return [*cases, *builder.cases(), *written]


class _Builder:
    def __init__(self, sms: SmsContract, operation: Operation, url: str) -> None:
        self.sms = sms
        self.operation = operation
        self.url = url
        self.provider = sms.provider.name
        self.phone = sms.test_numbers[0] if sms.test_numbers else ""

    def cases(self) -> list[ProbeCase]:
        return [
            self._auth(),
            self._refusal("invalid-recipient", IMPOSSIBLE, "hello", "an impossible recipient"),
            self._refusal("empty-body", self.phone or FICTIONAL, "", "an empty text"),
            self._too_long(),
            self._accepted("gsm-7", GSM7_TEXT),
            self._accepted("ucs-2", UCS2_TEXT),
        ]

    def _auth(self) -> ProbeCase:
        request = send_request(self.sms, self.url, FICTIONAL, "hello", credentials=False)
        if self.sms.send_auth is None:
            why = "not tested: the contract names no send.auth, so no credentials to leave out"
            return _case(self.operation, "auth:missing-credentials", request, skip=why)
        if self.provider == "vonage":
            # Vonage refuses in the body of a 200: the claim is judged there
            return _case(
                self.operation,
                "auth:missing-credentials",
                request,
                kind="contract",
                checks=(VONAGE_AUTH,),
                expect=("200", "401", "403"),
                writes=False,
            )
        return _case(self.operation, "auth:missing-credentials", request, kind="auth", writes=False)

    def _refusal(
        self, rule: str, to: str, text: str, what: str, *, writes: bool = False, skip: str = ""
    ) -> ProbeCase:
        request = send_request(self.sms, self.url, to, text)
        codes = CODES[rule].get(self.provider, ())
        return _case(
            self.operation,
            f"negative:{rule}",
            request,
            kind="refusal",
            checks=REFUSED if codes else REFUSED[:1],
            expect=REFUSAL_STATUS.get(self.provider, ("4XX",)),
            data={"provider": self.provider, "codes": codes, "what": what},
            writes=writes,
            skip=skip,
        )

    def _too_long(self) -> ProbeCase:
        limit = self.sms.max_segments
        if limit is None and self.provider != "twilio":
            request = send_request(self.sms, self.url, FICTIONAL, "a")
            why = "not tested: the contract sets no max_segments"
            return _case(self.operation, "negative:too-many-segments", request, skip=why)
        if limit is None:
            text = "a" * (TWILIO_BODY_LIMIT + 1)  # Twilio refuses any Body over 1600 chars
            what = f"a {len(text)}-character Body (Twilio's limit is {TWILIO_BODY_LIMIT})"
            writes = False
        else:
            text = "a" * (limit * MULTI_SEGMENT[GSM7] + 1)
            what = f"a {limit + 1}-segment text (the contract's max_segments is {limit})"
            # a gateway whose real limit is higher delivers it: a real message
            writes = not (self.provider == "twilio" and len(text) > TWILIO_BODY_LIMIT)
        to = self.phone or FICTIONAL
        skip = "" if not writes or self.phone else _NO_TEST_NUMBER
        return self._refusal("too-many-segments", to, text, what, writes=writes, skip=skip)

    def _accepted(self, name: str, text: str) -> ProbeCase:
        segments = split(text)
        request = send_request(self.sms, self.url, self.phone or FICTIONAL, text)
        return _case(
            self.operation,
            f"contract:{name}",
            request,
            kind="contract",
            checks=ACCEPTED,
            expect=("2XX",),
            data={
                "provider": self.provider,
                "segments": segments.count,
                "encoding": segments.encoding,
            },
            writes=True,
            skip="" if self.phone else _NO_TEST_NUMBER,
        )


_NO_TEST_NUMBER = (
    "not sent: it would deliver a real SMS, and the contract names no test_numbers to send it to"
)


def _case(
    operation: Operation,
    name: str,
    request: ProbeRequest,
    *,
    kind: str = "contract",
    checks: tuple[Check, ...] = (),
    expect: tuple[str, ...] = (),
    data: dict[str, Any] | None = None,
    writes: bool | None = None,
    skip: str = "",
) -> ProbeCase:
    return ProbeCase(
        id=f"{operation.id}#{name}",
        operation=operation,
        kind=kind,
        request=request,
        checks=checks,
        expect_status=expect,
        source=operation.source,
        data=data or {},
        writes=writes,
        skip=skip,
        skipped_by="test_number_is_named" if skip == _NO_TEST_NUMBER else "case_can_be_built",
    )


def _not_probed(operation: Operation) -> ProbeCase:
    return ProbeCase(
        id=f"{operation.id}#webhook",
        operation=operation,
        kind="webhook",
        request=ProbeRequest(method=operation.method, url=""),
        checks=(),
        source=operation.source,
        skip="not probed: the CRM's own webhook; intcheck simulate plays the gateway against it",
        skipped_by="webhook_is_simulated",
    )
