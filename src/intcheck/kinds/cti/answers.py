"""What the mock CRM answers a callback, as the contract says a CRM answers.

A pop for a known caller on a pop event (customer id, name, a ``contact_url`` like 3CX's
ContactUrl, and whatever ``expect.fields`` asks for at its JSON pointers); the contract's
"unknown" answer for an unknown or withheld caller; an acknowledgement for the other events;
TwiML for a Twilio webhook that expects it, the caller's name as plain text for a FreePBX-style
lookup; and ``problem+json`` refusals naming the rule a callback broke.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck import jsonwire
from intcheck.kinds.cti.templates import render

if TYPE_CHECKING:
    from intcheck.kinds.cti.contract import CtiContract, Expectation

TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
_CLASS_STATUS = {"1": 100, "2": 200, "3": 302, "4": 404, "5": 500}


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer, kept so a repeated event gets the same one."""

    status: int
    content: Any  # a JSON document, text, or None for no body
    media_type: str  # "json", "xml", "text" or ""

    def response(self, *, popped: bool | None = None, pointer: str = "") -> web.Response:
        content = self.content
        if popped is not None and pointer and isinstance(content, dict):
            content = with_value(content, pointer, popped)
        if content is None or self.status in (204, 304):
            return web.Response(status=self.status)
        if self.media_type == "json":
            return web.Response(
                status=self.status, body=jsonwire.dumps(content), content_type="application/json"
            )
        if self.media_type == "xml":
            return web.Response(status=self.status, body=content, content_type="text/xml")
        return web.Response(status=self.status, text=str(content), content_type="text/plain")


def concrete(statuses: tuple[str, ...]) -> int:
    """A status that satisfies the first of ``statuses`` ("2XX" answers 200)."""
    first = statuses[0] if statuses else "200"
    return int(first) if first.isdigit() else _CLASS_STATUS.get(first[:1], 200)


def media_type(settings: CtiContract) -> str:
    """How the CRM answers: what ``expect.content_type`` names, else TwiML for a Twilio
    webhook whose pops are not in its answers, else JSON."""
    wanted = settings.known.content_type.lower()
    if "xml" in wanted or (not wanted and settings.style == "twilio" and not settings.known.fields):
        return "xml"
    if wanted.startswith("text/"):
        return "text"
    return "json"


def pop(
    settings: CtiContract,
    values: Mapping[str, str],
    customer: Mapping[str, str],
    contact_url: str,
) -> Answer:
    """The screen pop for a known caller."""
    kind = media_type(settings)
    status = concrete(settings.known.status)
    if kind == "xml":
        return Answer(status, TWIML, kind)
    if kind == "text":
        return Answer(status, customer["name"], kind)  # FreePBX shows the body as the name
    both = {**values, **customer}
    content: dict[str, Any] = {
        "customer_id": customer["customer_id"],
        "name": customer["name"],
        "company": customer["company"] or None,
        "contact_url": contact_url,
        "call_id": values.get("call_id", ""),
        "event": values.get("event", ""),
    }
    if settings.known.contains:
        content["display"] = render(settings.known.contains, both)
    content = _expected_fields(content, settings.known, both)
    if settings.popped:
        content = with_value(content, settings.popped, True)
    return Answer(status, content, kind)


def nobody(settings: CtiContract, values: Mapping[str, str], reason: str) -> Answer:
    """The answer for an unknown or withheld caller on a pop event."""
    kind = media_type(settings)
    status = concrete(settings.unknown.status)
    if kind == "xml":
        return Answer(status, TWIML, kind)
    if kind == "text":
        return Answer(status, settings.unknown.contains or "", kind)
    content: dict[str, Any] = {
        "customer_id": None,
        "caller": values.get("caller_id", ""),
        "detail": settings.unknown.contains or reason,
    }
    if settings.popped:
        content = with_value(content, settings.popped, False)
    return Answer(status, content, kind)


def acknowledged(settings: CtiContract, values: Mapping[str, str]) -> Answer:
    """The answer to an event that pops nothing (answered, hang-up, ...)."""
    kind = media_type(settings)
    status = concrete(settings.known.status)
    if kind == "xml":
        return Answer(status, TWIML, kind)
    if kind == "text":
        return Answer(status, "", kind)
    content = {
        "accepted": True,
        "call_id": values.get("call_id", ""),
        "event": values.get("event", ""),
    }
    return Answer(status, content, kind)


def refused(status: int, rules: list[str], detail: str, *, basic: bool = False) -> web.Response:
    """A ``problem+json`` refusal naming the rules the callback broke."""
    response = web.Response(
        status=status,
        body=jsonwire.dumps(
            {
                "type": "urn:intcheck:problem:cti-callback",
                "title": "Unauthorized" if status == 401 else "Bad Request",
                "status": status,
                "detail": detail,
                "rules": rules,
            }
        ),
        content_type="application/problem+json",
    )
    if basic:
        response.headers["WWW-Authenticate"] = 'Basic realm="crm"'
    return response


def _expected_fields(
    content: dict[str, Any], expected: Expectation, values: Mapping[str, str]
) -> dict[str, Any]:
    for pointer, template in expected.fields.items():
        value = render(template, values) if isinstance(template, str) else template
        content = with_value(content, pointer, value)
    return content


def with_value(document: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``value`` at JSON ``pointer`` (objects made on the way)."""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    if not tokens:
        return document
    copy = dict(document)
    node = copy
    for token in tokens[:-1]:
        child = node.get(token)
        node[token] = dict(child) if isinstance(child, dict) else {}
        node = node[token]
    node[tokens[-1]] = value
    return copy


def value_at(document: Any, pointer: str) -> tuple[bool, Any]:
    """``(found, value)`` at JSON ``pointer`` in a decoded document."""
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node
