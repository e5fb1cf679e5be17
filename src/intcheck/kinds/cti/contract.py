"""A cti contract read into typed settings: what the PBX sends, how, and what the CRM answers.

``CtiContract.of(contract)`` turns the validated YAML (``Contract.settings``) into one frozen
value every part of the kind reads (receiver, simulator, probe, load), with the defaults in one
place. The rules JSON Schema cannot state (placeholders, event spellings, a GET without a body)
are checked by ``check`` when the plan loads, so a mistake is a ``file:line`` diagnostic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import phonenumbers

from intcheck.kinds.callerid import FORMS
from intcheck.kinds.cti.templates import PLACEHOLDERS, placeholders_in

if TYPE_CHECKING:
    from intcheck.model import Auth, Contract, SourceRef

DEFAULT_EVENTS = ("ringing", "answered", "hangup")
DEFAULT_WITHHELD = ("anonymous", "restricted", "", "unavailable")
# Twilio's From for a withheld caller: its sentinel numbers, or the word (DOMAIN.md §0.1).
TWILIO_WITHHELD = ("+266696687", "+7378742833", "+86282452253", "anonymous")
DEFAULT_CALLS = {"answered": 0.6, "missed": 0.15, "abandoned": 0.15, "transferred": 0.1}
DEFAULT_EXTENSIONS = ("101", "102", "103", "104", "105")
DEFAULT_QUEUES = ("support",)
REJECT = (401, 403)
# Fields about the customer a pop may show, beside the callback's own placeholders.
CUSTOMER_PLACEHOLDERS = ("customer_id", "name", "first_name", "last_name", "company", "email")

# Twilio's voice webhook and status callback parameters (DOMAIN.md §1.3).
TWILIO_API_VERSION = "2010-04-01"
TWILIO_FIELDS = {
    "CallSid": "{call_id}",
    "From": "{caller_id}",
    "To": "{dnis}",
    "Caller": "{caller_id}",
    "Called": "{dnis}",
    "CallStatus": "{event}",
    "Direction": "{direction}",
    "ApiVersion": TWILIO_API_VERSION,
    "Timestamp": "{timestamp}",
    "CallDuration": "{duration}",
}
# What every Twilio callback carries; the others (Caller, Called, Timestamp...) may be left out.
TWILIO_REQUIRED = frozenset({"CallSid", "From", "To", "CallStatus"})
# CallStatus per event; a hang-up is spelt by how the call ended.
TWILIO_EVENT_NAMES = {"ringing": "ringing", "answered": "in-progress", "missed": "no-answer"}
TWILIO_HANGUP = {
    "answered": "completed",
    "no-answer": "no-answer",
    "canceled": "canceled",
    "busy": "busy",
    "failed": "failed",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    """What an answer must be: statuses ("200", "2XX"), text, media type, JSON fields."""

    status: tuple[str, ...]
    contains: str = ""
    content_type: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)  # JSON pointer -> template or value


@dataclass(frozen=True, slots=True, kw_only=True)
class Signing:
    """How callbacks are signed; ``scheme`` "none" means they are not."""

    scheme: str = "none"
    header: str = ""
    secret: str = ""
    timestamp_header: str = ""
    max_age_s: float | None = None
    reject: tuple[int, ...] = REJECT

    @property
    def signed(self) -> bool:
        return self.scheme != "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Sources:
    """Where each expectation was written, for results that point back at the contract line."""

    contract: SourceRef
    expect: SourceRef
    fields: SourceRef
    unknown: SourceRef
    signature: SourceRef
    duplicates: SourceRef
    caller_id: SourceRef
    sla: SourceRef


@dataclass(frozen=True, slots=True, kw_only=True)
class CtiContract:
    """Everything the cti kind needs to know about one contract, defaults applied."""

    name: str
    style: str  # generic | twilio
    method: str
    path: str
    query: Mapping[str, str]
    body: Mapping[str, str]  # form or JSON fields
    encoding: str  # "form", "json" or "" (no body)
    region: str
    primary_form: str  # one of FORMS, or "as-is"
    forms: Mapping[str, float]  # the mix; empty: every form, the primary one most often
    declared_forms: frozenset[str]  # what the contract says the PBX sends
    withheld_rate: float
    withheld_as: tuple[str, ...]
    unknown_rate: float
    dnis: str
    extensions: tuple[str, ...]
    queues: tuple[str, ...]
    events: tuple[str, ...]
    event_names: Mapping[str, str]  # canonical event -> as this PBX spells it
    pop_on: tuple[str, ...]
    calls: Mapping[str, float]
    known: Expectation  # any callback; a pop event of a known caller also its fields
    unknown: Expectation  # a pop event of an unknown or withheld caller
    max_ms: float | None
    duplicate_key: tuple[str, ...]
    duplicate_status: tuple[str, ...]  # empty: the first answer's status
    popped: str  # JSON pointer saying whether an answer popped a screen; "" when unsaid
    signing: Signing
    auth: Auth | None
    p95_ms: float | None
    creates_records: bool
    account_sid: str  # Twilio's AccountSid for this contract (style twilio)
    sources: Sources

    @classmethod
    def of(cls, contract: Contract) -> CtiContract:
        """The typed settings of a loaded (valid) cti contract."""
        data = contract.settings
        style = str(data.get("style", "generic"))
        request = data["request"]
        caller = data.get("caller_id", {})
        region = str(caller.get("country", "DE"))
        primary = str(caller.get("format", "e164" if style == "twilio" else "national"))
        forms = {str(k): float(v) for k, v in caller.get("forms", {}).items() if v > 0}
        declared = set(forms) or {primary}
        if "national" in declared:
            declared.add("00")  # a national PBX shows callers from abroad with 00
        withheld = caller.get("withheld_as", TWILIO_WITHHELD if style == "twilio" else None)
        withheld = DEFAULT_WITHHELD if withheld is None else withheld
        account_sid = "AC" + hashlib.sha256(contract.name.encode()).hexdigest()[:32]
        query, body, encoding = request_fields(style, request, account_sid)
        events = tuple(data.get("events", DEFAULT_EVENTS))
        expect = data.get("expect", {})
        known_status = _statuses(expect.get("status", "2xx"))
        unknown = expect.get("unknown", {})
        duplicates = data.get("duplicates", {})
        sent = sent_placeholders(request["path"], query, body)
        signature = data.get("signature", {"scheme": "twilio" if style == "twilio" else "none"})
        scheme = signature["scheme"]
        agents = data.get("agents", {})
        sources = _sources(contract)
        return cls(
            name=contract.name,
            style=style,
            method=str(request.get("method", "POST" if style == "twilio" else "GET")),
            path=str(request["path"]),
            query=query,
            body=body,
            encoding=encoding,
            region=region,
            primary_form=primary,
            forms=forms,
            declared_forms=frozenset(declared),
            withheld_rate=float(caller.get("withheld_rate", 0.05)),
            withheld_as=(withheld,) if isinstance(withheld, str) else tuple(withheld),
            unknown_rate=float(caller.get("unknown_rate", 0.1)),
            dnis=str(data.get("dnis") or default_dnis(region)),
            extensions=tuple(agents.get("extensions", DEFAULT_EXTENSIONS)),
            queues=tuple(agents.get("queues", DEFAULT_QUEUES)),
            events=events,
            event_names=dict(data.get("event_names", {})),
            pop_on=tuple(data.get("pop_on", events[:1])),
            calls=dict(data.get("calls", DEFAULT_CALLS)),
            known=Expectation(
                status=known_status,
                contains=str(expect.get("contains", "")),
                content_type=str(expect.get("content_type", "")),
                fields=dict(expect.get("fields", {})),
            ),
            unknown=Expectation(
                status=_statuses(unknown["status"]) if "status" in unknown else ("2XX", "404"),
                contains=str(unknown.get("contains", "")),
            ),
            max_ms=expect.get("max_ms"),
            duplicate_key=tuple(
                duplicates.get("key", [p for p in ("call_id", "event", "agent_ext") if p in sent])
            ),
            duplicate_status=_statuses(duplicates["status"]) if "status" in duplicates else (),
            popped=str(duplicates.get("popped", "")),
            signing=Signing(
                scheme=scheme,
                header=str(signature.get("header", _default_header(scheme))),
                secret=str(signature.get("secret", "")),
                timestamp_header=str(signature.get("timestamp_header", "")),
                max_age_s=signature.get("max_age_s"),
                reject=tuple(signature.get("reject", REJECT)),
            ),
            auth=contract.auth,
            p95_ms=contract.sla.p95_ms,
            creates_records=bool(data.get("creates_records", False)),
            account_sid=account_sid,
            sources=sources,
        )

    def wire_name(self, event: str, disposition: str = "") -> str:
        """How this PBX spells ``event`` (a Twilio hang-up by how the call ended)."""
        if event in self.event_names:
            return self.event_names[event]
        if self.style == "twilio":
            if event == "hangup":
                return TWILIO_HANGUP.get(disposition, "completed")
            return TWILIO_EVENT_NAMES.get(event, event)
        return event

    def event_of(self, wire: str) -> str | None:
        """The declared event a PBX's spelling names, or None."""
        for event in self.events:
            if wire == self.wire_name(event):
                return event
        twilio_hangup = self.style == "twilio" and "hangup" not in self.event_names
        if twilio_hangup and "hangup" in self.events and wire in TWILIO_HANGUP.values():
            return "hangup"
        return None

    @property
    def sent(self) -> frozenset[str]:
        """The placeholders the callback carries (in its path, query or body)."""
        return sent_placeholders(self.path, self.query, self.body)

    def pop_event(self, event: str) -> bool:
        return event in self.pop_on


def sent_placeholders(
    path: str, query: Mapping[str, str], body: Mapping[str, str]
) -> frozenset[str]:
    """The placeholders a request with these templates carries."""
    templates = (path, *query.values(), *body.values())
    return frozenset(p for t in templates for p in placeholders_in(t))


def request_fields(
    style: str, request: Mapping[str, Any], account_sid: str = ""
) -> tuple[dict[str, str], dict[str, str], str]:
    """Query fields, body fields and the body's encoding; Twilio's fields by default."""
    query = dict(request.get("query", {}))
    if "json" in request:
        return query, dict(request["json"]), "json"
    if "form" in request:
        return query, dict(request["form"]), "form"
    if style == "twilio" and not query:
        twilio = {**TWILIO_FIELDS, "AccountSid": account_sid}
        if request.get("method", "POST") == "GET":
            return twilio, {}, ""
        return {}, twilio, "form"
    return query, {}, ""


def _statuses(value: Any) -> tuple[str, ...]:
    return (str(value).upper(),)


def _default_header(scheme: str) -> str:
    return {"twilio": "X-Twilio-Signature", "none": ""}.get(scheme, "X-Signature")


def default_dnis(region: str) -> str:
    """A valid fixed-line number of ``region`` for the hotline the customers dial."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    if number is None:
        return "+4930901820"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _sources(contract: Contract) -> Sources:
    refs = contract.document if isinstance(contract.document, Mapping) else {}
    at = contract.source

    def ref(pointer: str) -> SourceRef:
        found = refs.get(pointer)
        return found if found is not None else at

    return Sources(
        contract=at,
        expect=ref("/expect"),
        fields=ref("/expect/fields"),
        unknown=ref("/expect/unknown"),
        signature=ref("/signature"),
        duplicates=ref("/duplicates"),
        caller_id=ref("/caller_id"),
        sla=ref("/sla"),
    )


SOURCE_POINTERS = (
    "/expect",
    "/expect/fields",
    "/expect/unknown",
    "/signature",
    "/duplicates",
    "/caller_id",
    "/sla",
)
__all__ = ["FORMS", "PLACEHOLDERS", "CtiContract", "Expectation", "Signing"]
