"""What the mock's not-found answer carries: the detail of the fault the WSDL declares for it.

A request naming an unknown key is the sender's mistake (Client in SOAP 1.1, Sender in 1.2).
When the operation declares a fault, its detail element is built like every answer, valid
against the XSD, with a code, the message and the key filled in where the element has room.
"""

from __future__ import annotations

from typing import Any

from intcheck.data import field_key
from intcheck.kinds.soap.components import Attribute, ElementUse, local_name
from intcheck.kinds.soap.instances import Offer
from intcheck.kinds.soap.operations import Fault

_NOT_FOUND_WORDS = ("notfound", "unknown", "nosuch", "missing", "invalidid")


def not_found_fault(faults: tuple[Fault, ...]) -> Fault | None:
    """The declared fault that says "no such record": by its name, else the first with a detail."""
    with_detail = [fault for fault in faults if fault.element]
    named = (
        fault
        for fault in with_detail
        if any(
            word in field_key(fault.name + local_name(fault.element)) for word in _NOT_FOUND_WORDS
        )
    )
    return next(named, with_detail[0] if with_detail else None)


class FaultDetail:
    """Fills a declared fault's detail element: a code, the message, the key not found."""

    def __init__(self, message: str, key: Any) -> None:
        self.message = message
        self.key = key

    def child(self, use: ElementUse, scope: Any) -> list[Any] | None:
        name = field_key(local_name(use.element.name))
        if "code" in name:
            return [Offer(("NotFound", "NOT_FOUND", "404"))]
        if any(word in name for word in ("message", "reason", "text", "description")):
            return [self.message]
        if "key" in name or name.endswith("id"):
            return [self.key]
        return None

    def attribute(self, attribute: Attribute, scope: Any) -> Any:
        return None

    def rendering_key(self, scope: Any) -> None:
        return None  # built once per request anyway
