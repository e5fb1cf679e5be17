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
=============================  ==============================================================

A case a conforming gateway would deliver writes (``--read-only`` holds it back) and is skipped,
with the reason, without a test number. The CRM's own webhooks are for ``intcheck simulate``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from intcheck.kinds.probing import Check, ProbeCase, ProbeRequest
from intcheck.kinds.sms.checks import ACCEPTED, REFUSED, VONAGE_AUTH
from intcheck.kinds.sms.contract import SmsContract
from intcheck.kinds.sms.providers import TWILIO_BODY_LIMIT
from intcheck.kinds.sms.segments import GSM7, MULTI_SEGMENT, UCS2, split
from intcheck.kinds.sms.webhooks import FORM

if TYPE_CHECKING:
    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, Operation

FICTIONAL = "+447700900999"  # Ofcom's drama range: a valid-looking number no phone has
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
REFUSAL_STATUS: dict[str, tuple[str, ...]] = {
    "twilio": ("400",),
    "vonage": ("200",),
    "infobip": ("200", "400"),
}


class SmsProber:
    """The sms kind's ``Prober``."""

    def writes(self, operation: Operation) -> bool:
        return operation.name == "send"

    def build_cases(self, contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
        sms = SmsContract.of(contract)
        cases = [_not_probed(op) for op in contract.operations if op.name != "send"]
        send = contract.operation("send")
        assert send is not None  # every sms contract has it (contract.read)
        base = gateway_url(sms, target, contract.target)
        if not base:
            why = (
                "no gateway URL: `target` is the CRM's webhook base; set send.url or pass "
                f"--target {contract.name}=URL"
            )
            return [
                *cases,
                _case(send, "contract:send", ProbeRequest(method="POST", url=""), skip=why),
            ]
        url = base + sms.send_path.replace("{AccountSid}", sms.account_sid)
        builder = _Builder(sms, send, url)
        return [*cases, *builder.cases()]


def gateway_url(sms: SmsContract, target: str, contract_target: str) -> str:
    """The gateway's base URL: an explicit ``--target``, else ``send.url``, else ``target``
    when the contract has no CRM webhooks (then ``target`` can only be the gateway)."""
    if target and target != contract_target:
        return target.rstrip("/")
    if sms.gateway_url:
        return sms.gateway_url
    webhooks = sms.inbound is not None or sms.receipts is not None
    return "" if webhooks else target.rstrip("/")


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


def send_request(
    sms: SmsContract, url: str, to: str, text: str, *, credentials: bool = True
) -> ProbeRequest:
    """The CRM's send request in the provider's style, with the contract's credentials."""
    auth = sms.send_auth if credentials else None
    headers = dict(auth.headers()) if auth is not None else {}
    provider, sender = sms.provider.name, sms.sender
    body: bytes
    if provider == "twilio":
        body = urlencode({"To": to, "From": sender, "Body": text}).encode()
        headers["Content-Type"] = FORM
    elif provider == "vonage":
        fields: dict[str, Any] = {"from": sender.removeprefix("+"), "to": to.removeprefix("+")}
        fields |= {"text": text, "type": "unicode" if split(text).encoding == UCS2 else "text"}
        # Vonage also takes the key and secret as fields; Basic keeps them in a header,
        # which every output masks whole (a url-encoded secret in a body could slip through)
        body = urlencode(fields).encode()
        headers["Content-Type"] = FORM
    elif provider == "infobip":
        message = {"from": sender, "destinations": [{"to": to.removeprefix("+")}], "text": text}
        body = json.dumps({"messages": [message]}, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = json.dumps({"to": to, "from": sender, "text": text}, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    return ProbeRequest(method="POST", url=url, headers=headers, body=body)


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
