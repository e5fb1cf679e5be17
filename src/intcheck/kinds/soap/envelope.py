"""SOAP envelopes on the wire: versions, hardened parsing of requests, and fault envelopes.

SOAP 1.1 and 1.2 differ in envelope namespace, content type, where the action travels and how a
fault is shaped (DOMAIN.md §5.2). Everything here is plain lxml; zeep is not involved.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from intcheck.contracts.wsdl import safe_parser

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# WS-Security and WS-Addressing blocks: accepted without checking, as a permissive server would
_UNDERSTOOD_HEADER_PREFIXES = (
    "http://docs.oasis-open.org/wss/",
    "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "http://www.w3.org/2005/08/addressing",
)

# "<!DOCTYPE" in UTF-8 and both UTF-16s, searched for in one pass
_DOCTYPE = re.compile(
    b"|".join(re.escape("<!DOCTYPE".encode(codec)) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
)


@dataclass(frozen=True, slots=True)
class SoapVersion:
    """What distinguishes SOAP 1.1 from SOAP 1.2 for a server."""

    name: str
    envelope_ns: str
    media_type: str
    sender: str  # fault code for a bad request
    receiver: str  # fault code for a failure of the service
    # Clark names of the Envelope and Body, read on every request
    envelope_tag: str = field(init=False, repr=False, compare=False)
    body_tag: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "envelope_tag", f"{{{self.envelope_ns}}}Envelope")
        object.__setattr__(self, "body_tag", f"{{{self.envelope_ns}}}Body")

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"

    def status_for(self, code: str) -> int:
        """HTTP status of a fault: 1.1 always 500 (WS-I R1126), 1.2 400 for Sender only."""
        return 400 if self is SOAP12 and code == self.sender else 500


SOAP11 = SoapVersion("1.1", SOAP11_ENV, "text/xml", "Client", "Server")
SOAP12 = SoapVersion("1.2", SOAP12_ENV, "application/soap+xml", "Sender", "Receiver")
VERSION_MISMATCH = "VersionMismatch"
MUST_UNDERSTAND = "MustUnderstand"


class BadRequest(Exception):
    """The request broke a rule; ``rule`` is the short name the journal records."""

    def __init__(self, message: str, *, rule: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.status = status


@functools.lru_cache(maxsize=256)  # a client sends the same few content types again and again
def version_from_content_type(header: str) -> tuple[SoapVersion | None, str]:
    """The SOAP version a Content-Type names, and its ``action`` parameter ("" if absent)."""
    media, _, params = header.partition(";")
    media = media.strip().lower()
    action = ""
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "action":
            action = value.strip().strip('"')
    if media == SOAP12.media_type:
        return SOAP12, action
    if media in (SOAP11.media_type, "application/xml"):
        return SOAP11, action
    return None, action


_parsers = threading.local()


def _parser() -> etree.XMLParser:
    """``safe_parser()``, one per thread: an lxml parser may be reused, not shared by threads."""
    parser: etree.XMLParser | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = safe_parser()
    return parser


def parse_envelope(body: bytes) -> Any:
    """Parse request bytes into the root element, refusing any DOCTYPE outright.

    A DOCTYPE is how billion-laughs and external-entity attacks start; SOAP forbids it anyway
    (SOAP 1.1 §3, SOAP 1.2 part 1 §5), so there is nothing legitimate to lose.
    """
    if not body or body.isspace():  # isspace: no copy of the body, as strip() makes
        raise BadRequest("empty request body; expected a SOAP envelope", rule="malformed-xml")
    # refuse before libxml2 reads the internal subset: it parses entity declarations even
    # when told not to expand them
    # (the two plain searches are what nearly every request costs; the pattern, only a hit)
    suspect = b"DOCTYPE" in body or b"D\x00O\x00C\x00T" in body
    if suspect and _DOCTYPE.search(body) is not None:
        raise BadRequest("a DOCTYPE is not allowed in a SOAP message", rule="doctype-refused")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise BadRequest(f"malformed XML: {exc.msg}", rule="malformed-xml") from exc
    if ascii_compatible(body):
        # a DOCTYPE there is the ASCII bytes the scan above looks for, and without one no
        # entity can be declared: the parsed tree has nothing left to check
        return root
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise BadRequest("a DOCTYPE is not allowed in a SOAP message", rule="doctype-refused")
    if next(root.iter(etree.Entity), None) is not None:
        raise BadRequest(
            "entity references are not allowed in a SOAP message", rule="doctype-refused"
        )
    return root


def ascii_compatible(body: bytes) -> bool:
    """Whether ``body`` is in an encoding where markup is ASCII bytes (UTF-8, Latin-1, …): it
    starts with ``<`` (or a UTF-8 byte order mark) and holds no NUL among its first bytes, which
    rules out UTF-16, UTF-32 and EBCDIC."""
    head = body[3:7] if body.startswith(b"\xef\xbb\xbf") else body[:4]
    return head[:1] == b"<" and b"\x00" not in head


def not_understood(root: Any, version: SoapVersion, known: Collection[str]) -> str:
    """The first header addressed to us, marked mustUnderstand, that we do not know; or "".

    Known: ``known`` (the headers the operation's input declares), and WS-Security and
    WS-Addressing blocks.
    """
    header = root.find(f"{{{version.envelope_ns}}}Header")
    if header is None:
        return ""
    role_attr = "actor" if version is SOAP11 else "role"
    for block in header:
        if not isinstance(block.tag, str):
            continue
        if block.get(f"{{{version.envelope_ns}}}mustUnderstand") not in ("1", "true"):
            continue
        role = block.get(f"{{{version.envelope_ns}}}{role_attr}")
        if role and not role.endswith(("/next", "/ultimateReceiver")):
            continue  # meant for another node on the path
        namespace = etree.QName(block).namespace or ""
        if block.tag in known or namespace.startswith(_UNDERSTOOD_HEADER_PREFIXES):
            continue
        return str(block.tag)
    return ""


def build_fault(
    version: SoapVersion,
    code: str,
    reason: str,
    *,
    detail: Sequence[Any] = (),
    subcode: tuple[str, str] | None = None,
    supported: Sequence[SoapVersion] = (),
) -> bytes:
    """A complete fault envelope. ``code`` is a bare SOAP code: Client/Server, Sender/Receiver.

    ``detail`` elements are appended to ``detail`` (1.1) or ``env:Detail`` (1.2). ``supported``
    lists the envelope versions a 1.2 VersionMismatch fault names in its env:Upgrade header.
    """
    ns = version.envelope_ns
    nsmap: dict[str, str] = {"soap": ns} if version is SOAP11 else {"env": ns}
    prefix = "soap" if version is SOAP11 else "env"
    envelope = etree.Element(f"{{{ns}}}Envelope", nsmap=nsmap)
    if version is SOAP12 and supported:
        upgrade = etree.SubElement(
            etree.SubElement(envelope, f"{{{ns}}}Header"), f"{{{ns}}}Upgrade"
        )
        for index, other in enumerate(supported):
            prefix_ = f"v{index}"
            listed = etree.SubElement(
                upgrade, f"{{{ns}}}SupportedEnvelope", nsmap={prefix_: other.envelope_ns}
            )
            listed.set("qname", f"{prefix_}:Envelope")
    body = etree.SubElement(envelope, f"{{{ns}}}Body")
    fault = etree.SubElement(body, f"{{{ns}}}Fault")
    if version is SOAP11:
        etree.SubElement(fault, "faultcode").text = f"{prefix}:{code}"
        etree.SubElement(fault, "faultstring").text = reason
        if detail:
            holder = etree.SubElement(fault, "detail")
            holder.extend(detail)
    else:
        code_el = etree.SubElement(fault, f"{{{ns}}}Code")
        etree.SubElement(code_el, f"{{{ns}}}Value").text = f"{prefix}:{code}"
        if subcode is not None:
            sub = etree.SubElement(code_el, f"{{{ns}}}Subcode")
            value = etree.SubElement(sub, f"{{{ns}}}Value", nsmap={"sub": subcode[0]})
            value.text = f"sub:{subcode[1]}"
        reason_el = etree.SubElement(fault, f"{{{ns}}}Reason")
        text = etree.SubElement(reason_el, f"{{{ns}}}Text")
        text.set(f"{{{XML_NS}}}lang", "en")
        text.text = reason
        if detail:
            holder = etree.SubElement(fault, f"{{{ns}}}Detail")
            holder.extend(detail)
    return serialize(envelope)


def serialize(envelope: Any) -> bytes:
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))
