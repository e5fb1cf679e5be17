"""The sms kind's claims, as plain check functions ``(case, exchange) -> Finding | None``.

Two sides are judged. The CRM's answers to what the simulator sends (``simulator``): a resent
message is not stored twice, a STOP gets no reply, Twilio gets TwiML. The real gateway's answers
to what the probe sends (``probe``): a send is accepted in the provider's shape with a well-formed
id and the segments counted right, and each refusal carries the provider's own code.
Generic claims (status, auth, latency) come from the probe's shared checks.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from intcheck.kinds.probing import CannotEvaluate, Check, Finding
from intcheck.model import Severity, Status

if TYPE_CHECKING:
    from intcheck.kinds.probing import Exchange, ProbeCase

_TWILIO_SID = re.compile(r"SM[0-9a-f]{32}")  # a Message resource's sid, never a pattern on numbers
_VONAGE_ID = re.compile(r"[0-9A-F]{16}")


def _json(exchange: Exchange) -> Any:
    try:
        return json.loads(exchange.body or b"null")
    except ValueError:
        return None


def _pointer(document: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict) and token in document:
            document = document[token]
        elif isinstance(document, list) and token.isdigit() and int(token) < len(document):
            document = document[int(token)]
        else:
            return None
    return document


# --- the CRM's answers to simulated webhooks ------------------------------------------------


def record_of(exchange: Exchange, pointer: str) -> Any:
    """The record id the CRM's answer names at ``pointer`` (None when absent)."""
    return _pointer(_json(exchange), pointer) if pointer else None


def duplicate_is_not_processed_twice(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """A resent message must name the record the first delivery created (``record_id``)."""
    pointer = case.data.get("record_id", "")
    if not pointer:
        return Finding(
            "not tested: the contract does not say how to tell a second processing "
            "(set inbound.record_id to where the CRM's answer names the stored record)",
            Status.SKIPPED,
        )
    if case.data.get("first_error"):
        raise CannotEvaluate(f"the first delivery got no answer: {case.data['first_error']}")
    first, again = case.data.get("first_record"), record_of(exchange, pointer)
    if first is None:
        return Finding(f"the first delivery's answer names no record at {pointer}")
    if again != first:
        return Finding(
            f"the resent message was stored again: the first answer named {first!r} at "
            f"{pointer}, the resend {again!r}"
        )
    return None


def opt_out_gets_no_reply(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """Twilio: a STOP must not be answered with a TwiML ``<Message>`` (error 21610)."""
    if b"<Message" in exchange.body:
        return Finding(
            "answered a STOP with a TwiML <Message>: the customer opted out, and Twilio "
            "refuses to send to an opted-out number (21610)"
        )
    return None


def answer_is_twiml(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """Twilio reads the answer to an inbound message as TwiML: empty, or ``<Response>``."""
    body = exchange.body.strip()
    if not body or (b"<Response" in body and "xml" in exchange.content_type):
        return None
    shown = exchange.content_type or "no content type"
    return Finding(f"answered {shown}, not TwiML: Twilio logs error 12300 and sends no reply")


DUPLICATE = Check(
    name="duplicate_is_not_processed_twice", function=duplicate_is_not_processed_twice
)
NO_REPLY_TO_STOP = Check(name="opt_out_gets_no_reply", function=opt_out_gets_no_reply)
TWIML = Check(name="answer_is_twiml", function=answer_is_twiml, severity=Severity.LOW)


# --- the gateway's answers to probe cases -----------------------------------------------------


def send_is_accepted(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """A valid send is taken: the provider's success shape and status."""
    body, provider = _json(exchange), case.data["provider"]
    if provider == "twilio":
        if exchange.status != 201 or not isinstance(body, dict):
            return Finding(f"expected 201 with the Message resource, got {exchange.status}")
        if body.get("status") not in ("queued", "accepted", "scheduled", "sending", "sent"):
            return Finding(f"the new message's status is {body.get('status')!r}, not queued")
        return None
    if provider == "vonage":
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            return Finding("expected {message-count, messages[]}, got no messages[]")
        refused = [m for m in messages if isinstance(m, dict) and m.get("status") != "0"]
        if refused:
            text = refused[0].get("error-text", "")
            return Finding(f"refused with status {refused[0].get('status')!r}: {text}")
        if body.get("message-count") != str(len(messages)):
            return Finding(f"message-count {body.get('message-count')!r} for {len(messages)} parts")
        return None
    if provider == "infobip":
        entry = _pointer(body, "/messages/0/status")
        if not isinstance(entry, dict) or entry.get("groupName") != "PENDING":
            name = entry.get("name") if isinstance(entry, dict) else None
            return Finding(f"expected a PENDING status, got {name!r}")
        return None
    if exchange.status is None or not 200 <= exchange.status < 300 or not isinstance(body, dict):
        return Finding(f"expected 2xx with a JSON message, got {exchange.status}")
    return None if body.get("id") else Finding("the answer names no message id")


def message_id_is_well_formed(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """The id the CRM must keep to match receipts: Twilio ``SM`` + 32 hex, Vonage 16 hex."""
    body, provider = _json(exchange), case.data["provider"]
    if provider == "twilio":
        sid = body.get("sid") if isinstance(body, dict) else None
        ok = isinstance(sid, str) and _TWILIO_SID.fullmatch(sid)
        return None if ok else Finding(f"sid {sid!r} is not SM followed by 32 hex digits")
    if provider == "vonage":
        ids = [m.get("message-id") for m in (body or {}).get("messages", []) if isinstance(m, dict)]
        bad = [i for i in ids if not (isinstance(i, str) and _VONAGE_ID.fullmatch(i))]
        return Finding(f"message-id {bad[0]!r} is not 16 hex digits") if bad else None
    key = "/messages/0/messageId" if provider == "infobip" else "/id"
    found = _pointer(body, key)
    return None if isinstance(found, str) and found else Finding(f"no message id at {key}")


def segments_are_counted(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """The gateway counts the segments 3GPP TS 23.038 gives (billing follows this count)."""
    body, provider, wanted = _json(exchange), case.data["provider"], case.data["segments"]
    if provider == "twilio":
        counted = _pointer(body, "/num_segments")
        if counted in (None, "0"):  # with a Messaging Service the count comes later
            return Finding("the answer does not count segments yet", Status.SKIPPED)
    elif provider == "vonage":
        counted = _pointer(body, "/message-count")
    elif provider == "generic":
        counted = _pointer(body, "/segments")
    else:
        return Finding("Infobip counts segments in the delivery report only", Status.SKIPPED)
    if str(counted) != str(wanted):
        encoding = case.data.get("encoding", "")
        return Finding(f"counted {counted} segments, {encoding} needs {wanted}")
    return None


def is_refused(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """The gateway refuses the send (in the provider's way: 4xx, or a refusal status)."""
    code = refusal_code(case.data["provider"], exchange)
    if code is None:
        what = case.data.get("what", "an invalid send")
        return Finding(f"the gateway accepted {what} (status {exchange.status})")
    return None


def code_is_the_providers(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """The refusal carries the code the provider documents for it."""
    code, wanted = refusal_code(case.data["provider"], exchange), case.data["codes"]
    if code is None:
        return Finding("not refused, so no code to judge", Status.SKIPPED)
    if code not in wanted:
        return Finding(f"refused with code {code}, the provider's is {' or '.join(wanted)}")
    return None


def refusal_code(provider: str, exchange: Exchange) -> str | None:
    """The provider's code of a refused send, or None when the send was not refused."""
    body, status = _json(exchange), exchange.status or 0
    if provider == "vonage":
        refused = _pointer(body, "/messages/0/status")
        return str(refused) if refused not in (None, "0") else None
    if provider == "infobip":
        exception = _pointer(body, "/requestError/serviceException/messageId")
        if exception is not None:
            return str(exception)
        entry = _pointer(body, "/messages/0/status")
        if isinstance(entry, dict) and entry.get("groupName") in ("REJECTED", "UNDELIVERABLE"):
            return str(entry.get("name"))
        return str(status) if status >= 400 else None
    if status < 400:
        return None
    if provider == "twilio":
        return str(_pointer(body, "/code") or status)
    return str(_pointer(body, "/error/code") or status)


def code_is_as_written(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """A written case's ``expect.fault``: the refusal carries the code the user wrote."""
    code, wanted = refusal_code(case.data["provider"], exchange), str(case.data["fault"])
    if code is None:
        return Finding("not refused, so no code to judge", Status.SKIPPED)
    if code != wanted:
        return Finding(f"refused with code {code}, the case expects {wanted}")
    return None


def auth_is_enforced_in_body(case: ProbeCase, exchange: Exchange) -> Finding | None:
    """Vonage answers 200 to a send without credentials: the refusal is status 2 or 4."""
    code = refusal_code("vonage", exchange)
    if exchange.status in (401, 403) or code in ("2", "4"):
        return None
    return Finding(f"a send without credentials got status {code or '0'} (accepted)")


ACCEPTED = (
    Check(name="send_is_accepted", function=send_is_accepted),
    Check(name="message_id_is_well_formed", function=message_id_is_well_formed),
    Check(name="segments_are_counted", function=segments_are_counted, severity=Severity.MEDIUM),
)
REFUSED = (
    Check(name="invalid_send_is_refused", function=is_refused),
    Check(name="code_is_the_providers", function=code_is_the_providers, severity=Severity.MEDIUM),
)
WRITTEN_CODE = Check(name="code_is_as_written", function=code_is_as_written)
VONAGE_AUTH = Check(
    name="auth_is_enforced", function=auth_is_enforced_in_body, severity=Severity.CRITICAL
)
