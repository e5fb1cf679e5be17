"""The rules of a cti contract that JSON Schema cannot state, checked when the plan loads.

``vocabulary.json`` says which fields exist and what type each has; this module checks what
depends on several fields at once: every placeholder is one the kind knows, the callback sends
the caller's number and the event, a GET carries no body, event spellings name declared events
and tell them apart, Twilio's style goes with Twilio's signature. Each problem is a diagnostic
on the line that holds it, gathered with every other problem of the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import phonenumbers

from intcheck.contracts.schema import did_you_mean
from intcheck.contracts.yamlsrc import dotted, escape
from intcheck.data import normalize_phone
from intcheck.kinds.cti.contract import (
    CUSTOMER_PLACEHOLDERS,
    DEFAULT_EVENTS,
    request_fields,
    sent_placeholders,
)
from intcheck.kinds.cti.templates import PLACEHOLDERS, placeholders_in, template_error
from intcheck.model import Diagnostic

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractSource


def check(source: ContractSource) -> None:
    """Add a diagnostic to ``source`` for every rule the contract breaks."""
    data = source.data
    request = data["request"]
    style = data.get("style", "generic")
    misspelt = _templates(source, request)
    _request_shape(source, request, style, misspelt=misspelt)
    events = list(data.get("events", DEFAULT_EVENTS))
    _event_names(source, data.get("event_names", {}), events)
    for index, event in enumerate(data.get("pop_on", [])):
        if event not in events:
            source.error(
                f"/pop_on/{index}",
                f"{event!r} is not an event of this contract",
                hint=_events_hint(event, events),
                rule="unknown-event",
            )
    _expect(source, data.get("expect", {}))
    _duplicates(source, data.get("duplicates", {}), _sent(request, style))
    _caller_id(source, data.get("caller_id", {}))
    _signature(source, data.get("signature", {}), request, style)
    if "dnis" in data and normalize_phone(str(data["dnis"]), _region(data)) is None:
        source.error(
            "/dnis",
            f"expected a phone number such as +4930901820, got {data['dnis']!r}",
            rule="not-a-number",
        )
    calls = data.get("calls", {})
    if calls and not any(calls.values()):
        source.error("/calls", "every weight is 0: no call would be played", rule="no-calls")


def _sent(request: Mapping[str, Any], style: str) -> frozenset[str]:
    query, body, _ = request_fields(style, request)
    return sent_placeholders(request["path"], query, body)


def _templates(source: ContractSource, request: Mapping[str, Any]) -> bool:
    """Check every template of the request; True when one names an unknown placeholder."""
    misspelt = False
    written = [("/request/path", request["path"])]
    for part in ("query", "form", "json"):
        written += [
            (f"/request/{part}/{escape(str(k))}", v) for k, v in request.get(part, {}).items()
        ]
    for pointer, template in written:
        problem = template_error(template)
        if problem:
            source.error(pointer, problem, rule="bad-template")
            continue
        for name in placeholders_in(template):
            if name not in PLACEHOLDERS:
                misspelt = True
                source.error(
                    pointer,
                    f"unknown placeholder {{{name}}}",
                    hint=did_you_mean(name, PLACEHOLDERS)
                    or "placeholders: " + _braced(PLACEHOLDERS),
                    rule="unknown-placeholder",
                )
    return misspelt


def _request_shape(
    source: ContractSource, request: Mapping[str, Any], style: str, *, misspelt: bool
) -> None:
    method = request.get("method", "POST" if style == "twilio" else "GET")
    if method == "GET":
        for part in ("form", "json"):
            if part in request:
                source.error(
                    f"/request/{part}",
                    "a GET request has no body",
                    hint="put the fields in request.query, or use method: POST",
                    rule="get-with-body",
                )
    if "form" in request and "json" in request:
        source.error(
            "/request/json", "a request has one body: form or json, not both", rule="two-bodies"
        )
    if style == "twilio" and "json" in request:
        source.error(
            "/request/json",
            "Twilio sends form-encoded POST or GET query parameters, never JSON",
            hint="use request.form (Twilio's names: CallSid, From, To, CallStatus, Direction)",
            rule="twilio-json",
        )
    sent = _sent(request, style)
    if misspelt:
        return  # what is missing is most likely what was misspelt, reported already
    if "caller_id" not in sent:
        source.error(
            "/request",
            "the callback never sends the caller's number",
            hint='add a field such as caller: "{caller_id}"',
            rule="no-caller-id",
        )
    events = source.data.get("events", DEFAULT_EVENTS)
    if len(events) > 1 and "event" not in sent:
        source.error(
            "/events" if "events" in source.data else "/request",
            f"the CRM cannot tell {len(events)} events apart: no field sends {{event}}",
            hint='add a field such as event: "{event}" to the request',
            rule="no-event-field",
        )


def _event_names(source: ContractSource, names: Mapping[str, str], events: list[str]) -> None:
    spelt: dict[str, str] = {}
    for event, wire in names.items():
        pointer = f"/event_names/{escape(str(event))}"
        if event not in events:
            _key_error(
                source,
                pointer,
                f"{event!r} is not an event of this contract",
                hint=_events_hint(event, events),
                rule="unknown-event",
            )
        elif wire in spelt:
            source.error(
                pointer,
                f"{wire!r} already spells {spelt[wire]!r}: the CRM could not tell them apart",
                rule="same-spelling",
            )
        spelt.setdefault(wire, str(event))
    for event in events:
        if event not in names and event in spelt and spelt[event] != event:
            source.error(
                f"/event_names/{escape(spelt[event])}",
                f"{event!r} is how the event {event!r} is spelt too: the CRM could not tell "
                f"{spelt[event]} from {event}",
                rule="same-spelling",
            )


def _expect(source: ContractSource, expect: Mapping[str, Any]) -> None:
    known = (*PLACEHOLDERS, *CUSTOMER_PLACEHOLDERS)
    for pointer_text, value in expect.get("fields", {}).items():
        pointer = f"/expect/fields/{escape(str(pointer_text))}"
        if not str(pointer_text).startswith("/"):
            _key_error(
                source,
                pointer,
                f"expected a JSON pointer such as /customer_id, got {pointer_text!r}",
                hint=f"did you mean '/{pointer_text}'?",
                rule="not-a-pointer",
            )
        if not isinstance(value, str):
            continue
        problem = template_error(value)
        if problem:
            source.error(pointer, problem, rule="bad-template")
            continue
        for name in placeholders_in(value):
            if name not in known:
                source.error(
                    pointer,
                    f"unknown placeholder {{{name}}}",
                    hint=did_you_mean(name, known) or "placeholders: " + _braced(known),
                    rule="unknown-placeholder",
                )


def _duplicates(
    source: ContractSource, duplicates: Mapping[str, Any], sent: frozenset[str]
) -> None:
    for index, name in enumerate(duplicates.get("key", [])):
        if name not in sent:
            source.error(
                f"/duplicates/key/{index}",
                f"{name!r} is not a placeholder the callback sends",
                hint=did_you_mean(name, sorted(sent)) or "sent: " + ", ".join(sorted(sent)),
                rule="unknown-placeholder",
            )


def _caller_id(source: ContractSource, caller: Mapping[str, Any]) -> None:
    region = caller.get("country")
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        source.error(
            "/caller_id/country",
            f"{region!r} is no region phonenumbers knows",
            hint="an ISO 3166 country code such as DE, GB, US",
            rule="unknown-region",
        )
    forms = caller.get("forms", {})
    if forms and not any(forms.values()):
        source.error("/caller_id/forms", "every weight is 0: no number form is sent")
    if caller.get("format") == "as-is" and forms:
        source.error(
            "/caller_id/forms",
            "format as-is sends the dataset's caller_ids as written; forms does not apply",
            rule="as-is-with-forms",
        )
    shares = caller.get("withheld_rate", 0.05) + caller.get("unknown_rate", 0.1)
    if shares > 1:
        source.error(
            "/caller_id/unknown_rate" if "unknown_rate" in caller else "/caller_id/withheld_rate",
            f"withheld_rate + unknown_rate is {shares:g}, more than every call",
            hint="the other calls come from known customers; together at most 1",
            rule="rates-over-one",
        )


def _signature(
    source: ContractSource, signature: Mapping[str, Any], request: Mapping[str, Any], style: str
) -> None:
    scheme = signature.get("scheme")
    if style == "twilio" and scheme in ("hmac-sha256", "hmac-sha1"):
        source.error(
            "/signature/scheme",
            f"Twilio signs its webhooks with X-Twilio-Signature, not {scheme}",
            hint="scheme: twilio",
            rule="twilio-signature",
        )
    if scheme == "twilio" and "json" in request and style != "twilio":
        source.error(
            "/signature/scheme",
            "X-Twilio-Signature covers the URL and form parameters, not a JSON body",
            hint="use request.form or request.query",
            rule="twilio-json",
        )
    if "timestamp_header" in signature and scheme not in ("hmac-sha256", "hmac-sha1"):
        source.error(
            "/signature/timestamp_header",
            f"only the hmac schemes sign a timestamp header, not {scheme}",
            rule="timestamp-header",
        )
    if (
        "max_age_s" in signature
        and "timestamp_header" not in signature
        and "timestamp" not in _sent(request, style)
    ):
        source.error(
            "/signature/max_age_s",
            "the callback carries no timestamp to judge its age by",
            hint='set signature.timestamp_header or send a field such as ts: "{timestamp}"',
            rule="no-timestamp",
        )


def _region(data: Mapping[str, Any]) -> str:
    return str(data.get("caller_id", {}).get("country", "DE"))


def _events_hint(event: str, events: list[str]) -> str:
    return did_you_mean(event, events) or "events of this contract: " + ", ".join(events)


def _braced(names: tuple[str, ...]) -> str:
    return " ".join(f"{{{n}}}" for n in names)


def _key_error(source: ContractSource, pointer: str, message: str, *, hint: str, rule: str) -> None:
    """A diagnostic on the mapping key itself (a misspelt key is where the mistake is)."""
    source.diagnostics.append(
        Diagnostic(
            source=source.doc.ref(pointer, key=True),
            field=dotted(pointer),
            message=message,
            hint=hint,
            rule=rule,
        )
    )
