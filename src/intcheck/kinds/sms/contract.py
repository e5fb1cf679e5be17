"""An sms contract as typed values, and the rules its fields must follow beyond the schema.

The schema (``vocabulary.json``) says which fields exist; ``read`` checks what only knowledge of
the providers can: a Twilio gateway signs with ``X-Twilio-Signature`` and never posts JSON, a
sender id is a number, a short code or at most 11 letters and digits, test numbers are E.164.
Each broken rule is a ``file:line:col`` diagnostic, gathered with every other of the plan.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import phonenumbers

from intcheck.contracts.yamlsrc import dotted
from intcheck.kinds.sms.providers import PROVIDERS, Provider
from intcheck.model import Auth, Operation

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource
    from intcheck.model import Contract

OUTCOMES = ("delivered", "undelivered", "failed", "expired", "rejected")
_ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}")  # a sender id, not a phone number
DEFAULT_NUMBER = "+15005550006"  # Twilio's magic "passes all validation" From number


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    """A CRM endpoint the gateway calls: path below ``target``, method, how fields travel."""

    path: str
    method: str = "POST"
    encoding: str = "form"  # form | json | query


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipts:
    """The CRM's delivery-receipt webhook and the receipts the mock sends to it."""

    webhook: Webhook
    outcomes: Mapping[str, float] = field(default_factory=lambda: {"delivered": 1.0})
    delay_ms: float = 200.0
    retries: int = 3
    retry_ms: float = 500.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """How the gateway signs its webhooks (``signature``); scheme ``none`` signs nothing."""

    scheme: str = "none"
    header: str = ""
    secret: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsContract:
    """Everything the sms kind reads from a contract, with the provider's defaults filled in."""

    name: str
    provider: Provider
    target: str  # the CRM's webhook base
    senders: tuple[str, ...]  # the first is the default sender; empty: any is accepted
    number: str  # the CRM's virtual number (To of inbound messages)
    send_path: str
    gateway_url: str  # send.url: the real gateway for probe and load ("" when not given)
    send_auth: Auth | None
    webhook_auth: Auth | None  # what the gateway presents to the CRM (Infobip subscriptions)
    inbound: Webhook | None
    record_id: str  # JSON pointer in the CRM's answer to an inbound message, "" if not said
    receipts: Receipts | None
    max_segments: int | None
    opt_out_keywords: tuple[str, ...]
    test_numbers: tuple[str, ...]
    signature: Signature
    expect_status: tuple[str, ...]  # ("200",), ("2XX",): what a good webhook must get
    max_ms: float | None

    @property
    def account_sid(self) -> str:
        """The Twilio AccountSid of the send path (the Basic username), or a placeholder."""
        if self.send_auth is not None and self.send_auth.type == "basic":
            return self.send_auth.username
        return "AC" + "0" * 32

    @property
    def sender(self) -> str:
        return self.senders[0] if self.senders else self.number

    @classmethod
    def of(cls, contract: Contract) -> SmsContract:
        """The typed view of a loaded (schema-valid) sms contract."""
        data = contract.settings
        provider = PROVIDERS[data["provider"]]
        send = data.get("send", {})
        inbound = data.get("inbound")
        receipts = data.get("delivery_receipts")
        signature = data.get("signature", {})
        expect = data.get("expect", {})
        senders = ([data["sender"]] if "sender" in data else []) + list(data.get("senders", []))
        # a class such as "2xx" is matched upper-case by the probe's status_matches
        status = expect.get("status")
        return cls(
            name=contract.name,
            provider=provider,
            target=contract.target.rstrip("/"),
            senders=tuple(dict.fromkeys(senders)),
            # customers reply to a number; an alphanumeric sender id cannot receive
            number=data.get("number") or _numeric(senders) or DEFAULT_NUMBER,
            send_path=send.get("path", provider.send_path),
            gateway_url=send.get("url", "").rstrip("/"),
            send_auth=Auth(**send["auth"]) if "auth" in send else None,
            webhook_auth=contract.auth,
            inbound=_webhook(inbound, provider) if inbound else None,
            record_id=(inbound or {}).get("record_id", ""),
            receipts=_receipts(receipts, provider) if receipts else None,
            max_segments=data.get("max_segments"),
            opt_out_keywords=tuple(data.get("opt_out_keywords", ("STOP",))),
            test_numbers=tuple(data.get("test_numbers", ())),
            signature=Signature(
                scheme=signature.get("scheme", "none"),
                header=signature.get("header", "X-Signature"),
                secret=signature.get("secret", ""),
            ),
            expect_status=(str(status).upper(),) if status is not None else ("2XX",),
            max_ms=expect.get("max_ms"),
        )


def _numeric(senders: list[str]) -> str:
    return next((s for s in senders if s.startswith("+")), "")


def _webhook(data: Mapping[str, Any], provider: Provider) -> Webhook:
    method = data.get("method", "POST")
    default = "query" if method == "GET" else provider.webhook_encoding
    return Webhook(path=data["path"], method=method, encoding=data.get("encoding", default))


def _receipts(data: Mapping[str, Any], provider: Provider) -> Receipts:
    return Receipts(
        webhook=_webhook(data, provider),
        outcomes=dict(data.get("outcomes", {"delivered": 1.0})),
        delay_ms=float(data.get("delay_ms", 200.0)),
        retries=int(data.get("retries", 3)),
        retry_ms=float(data.get("retry_ms", 500.0)),
    )


def is_e164(text: str) -> bool:
    """Whether ``text`` is a possible number written in E.164 (``+`` and digits only)."""
    if not text.startswith("+") or not text[1:].isdigit() or len(text) > 16:
        return False
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def sender_problem(sender: str) -> str:
    """Why ``sender`` cannot be a sender id ("" when it can): a number, short code or name."""
    if sender.startswith("+"):
        return "" if is_e164(sender) else "not a possible E.164 number"
    if sender.isdigit():
        return "" if 3 <= len(sender) <= 8 or is_e164("+" + sender) else "not a short code"
    if not _ALPHANUMERIC_SENDER.fullmatch(sender) or not any(c.isalpha() for c in sender):
        return "an alphanumeric sender id has 1 to 11 letters, digits or spaces, one a letter"
    return ""


def read(source: ContractSource) -> ContractParts | None:
    """``send`` always; ``inbound`` and ``delivery-receipt`` where the contract declares them."""
    from intcheck.contracts.source import ContractParts

    data, name, ref = source.data, source.name, source.doc.ref
    provider = PROVIDERS[data["provider"]]
    _check(source, provider)
    operations = [
        Operation(
            contract=name,
            name="send",
            summary="the CRM sends a message through the gateway",
            method="POST",
            path=data.get("send", {}).get("path", provider.send_path),
            source=ref("/send" if "send" in data else "/provider"),
        )
    ]
    if "inbound" in data:
        operations.append(
            Operation(
                contract=name,
                name="inbound",
                summary="a customer's message reaches the CRM",
                method=data["inbound"].get("method", "POST"),
                path=data["inbound"]["path"],
                source=ref("/inbound"),
            )
        )
    if "delivery_receipts" in data:
        operations.append(
            Operation(
                contract=name,
                name="delivery-receipt",
                summary="the gateway reports a message's delivery status to the CRM",
                method=data["delivery_receipts"].get("method", "POST"),
                path=data["delivery_receipts"]["path"],
                source=ref("/delivery_receipts"),
            )
        )
    return ContractParts(operations=tuple(operations))


def _check(source: ContractSource, provider: Provider) -> None:
    """The provider rules the schema cannot express, each reported at its line."""
    data = source.data
    senders = ([("/sender", data["sender"])] if "sender" in data else []) + [
        (f"/senders/{i}", s) for i, s in enumerate(data.get("senders", []))
    ]
    for pointer, sender in senders:
        if problem := sender_problem(sender):
            source.error(pointer, f"expected a sender id, got {sender!r}: {problem}", rule="sender")
    for pointer, number in [("/number", data.get("number"))] + [
        (f"/test_numbers/{i}", n) for i, n in enumerate(data.get("test_numbers", []))
    ]:
        if number is not None and not is_e164(number):
            source.error(
                pointer,
                f"expected an E.164 number such as +4915112345678, got {number!r}",
                rule="e164",
            )
    scheme = data.get("signature", {}).get("scheme", "none")
    if scheme not in provider.signatures:
        source.error(
            "/signature/scheme",
            f"expected {' or '.join(provider.signatures)} for provider {provider.name}, "
            f"got {scheme!r}",
            hint=provider.signature_hint,
            rule="signature",
        )
    auth = data.get("send", {}).get("auth")
    if auth is not None and auth["type"] not in provider.send_auth:
        source.error(
            "/send/auth/type",
            f"expected {' or '.join(provider.send_auth)} for provider {provider.name}, "
            f"got {auth['type']!r}",
            hint=provider.send_auth_hint,
            rule="send-auth",
        )
    paths = {"/send/path": data.get("send", {}).get("path", provider.send_path)}
    for field_name in ("inbound", "delivery_receipts"):
        if field_name in data:
            _check_webhook(source, provider, field_name)
            paths[f"/{field_name}/path"] = data[field_name]["path"]
    # the mock mounts all three side by side: one path cannot be two endpoints
    seen: dict[str, str] = {}
    for pointer, path in paths.items():
        if path in seen:
            source.error(
                pointer,
                f"expected a path of its own, got {path!r}, which {dotted(seen[path])} uses",
                hint="the mock serves the send API and both webhooks side by side",
                rule="path-clash",
            )
        seen.setdefault(path, pointer)
    _check_cases(source, provider)
    outcomes = data.get("delivery_receipts", {}).get("outcomes")
    if outcomes and not math.isclose(sum(outcomes.values()), 1.0, abs_tol=1e-6):
        source.error(
            "/delivery_receipts/outcomes",
            f"expected shares adding up to 1, got {sum(outcomes.values()):g}",
            hint="each outcome is the share of messages that end so, e.g. delivered: 0.95",
            rule="outcomes",
        )


def _check_cases(source: ContractSource, provider: Provider) -> None:
    """Written cases name a sender id, customers' numbers in E.164, the provider's statuses."""
    declared = {"send": True, "inbound": "inbound" in source.data}
    declared["delivery-receipt"] = "delivery_receipts" in source.data
    for index, case in enumerate(source.data.get("cases", [])):
        at, operation = f"/cases/{index}", case["operation"]
        if not declared[operation]:
            continue  # the loader says the contract has no such operation
        if operation == "send" and "from" in case and (problem := sender_problem(case["from"])):
            message = f"expected a sender id, got {case['from']!r}: {problem}"
            source.error(f"{at}/from", message, rule="sender")
        # a send may go to an impossible number on purpose, to see it refused; the gateway
        # itself writes customers' numbers in E.164
        numbers = {"send": (), "inbound": ("from", "to")}.get(operation, ("to",))
        for name in numbers:
            if name in case and not is_e164(case[name]):
                source.error(
                    f"{at}/{name}",
                    f"expected an E.164 number such as +4915112345678, got {case[name]!r}",
                    hint="the provider writes every number in international format",
                    rule="e164",
                )
        status = case.get("status")
        if operation == "delivery-receipt" and status not in provider.receipt_statuses:
            shown = ", ".join(provider.receipt_statuses)
            source.error(
                f"{at}/status",
                f"expected a receipt status {provider.title} sends, got {status!r}",
                hint=_closest(str(status), provider.receipt_statuses) or f"one of {shown}",
                rule="receipt-status",
            )


def _closest(written: str, options: tuple[str, ...]) -> str:
    """``did you mean …?`` for the option nearest ``written``, letter case aside (a carrier's
    DELIVRD is Vonage's delivered, Infobip's words are upper case)."""
    lowered = {option.lower(): option for option in options}
    close = difflib.get_close_matches(written.lower(), list(lowered), n=1, cutoff=0.6)
    return f"did you mean {lowered[close[0]]!r}?" if close else ""


def _check_webhook(source: ContractSource, provider: Provider, field_name: str) -> None:
    data = source.data[field_name]
    method = data.get("method", "POST")
    encoding = data.get("encoding", "query" if method == "GET" else provider.webhook_encoding)
    # a GET has no body, and a POST that put its fields in the query would sign nothing
    if (method == "GET") != (encoding == "query"):
        source.error(
            f"/{field_name}/encoding",
            f"expected {'query' if method == 'GET' else 'form or json'} for a {method}, "
            f"got {encoding!r}",
            rule="encoding",
        )
    elif encoding not in provider.webhook_encodings:
        source.error(
            f"/{field_name}/encoding" if "encoding" in data else f"/{field_name}/method",
            f"expected {' or '.join(provider.webhook_encodings)} for provider {provider.name}, "
            f"got {encoding!r}",
            hint=f"{provider.title} sends its webhooks as {provider.webhook_words}",
            rule="encoding",
        )
