"""Mail the mock relay captured: envelope, raw bytes, parsed MIME, and a bounded store to search.

A message is kept as the client sent it (``raw``) with the SMTP envelope; only its headers are
read on arrival, so capture costs little under load. The full MIME parse (text, HTML, parts,
attachments) happens the first time someone reads the message and is kept with it. The store
keeps the newest ``MAX_MESSAGES`` (Mailpit's default) within ``MAX_BYTES``, dropping the oldest.
"""

from __future__ import annotations

import datetime
import shlex
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from email import message_from_bytes
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any

MAX_MESSAGES = 500
MAX_BYTES = 64 * 1024 * 1024
SNIPPET_CHARS = 160
# compat32 (the stdlib's default) over policy.default: its header objects cost a tenth as
# much, and a relay under load parses every message; values are decoded only when read.
_HEADERS_ONLY = BytesHeaderParser()


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """The SMTP envelope: who the relay was told the mail is from and for, and how it came."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    peer: str = ""
    tls: bool = False
    login: str = ""  # the user that authenticated, "" when none

    def as_json(self) -> dict[str, Any]:
        return {
            "mail_from": self.mail_from,
            "rcpt_to": list(self.rcpt_to),
            "peer": self.peer,
            "tls": self.tls,
            "login": self.login,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One leaf MIME part: what it is and how big it is once decoded."""

    index: int
    content_type: str
    charset: str
    filename: str
    disposition: str  # attachment | inline | ""
    content_id: str
    size: int

    @property
    def is_attachment(self) -> bool:
        return self.disposition == "attachment" or bool(self.filename)

    @property
    def is_body(self) -> bool:
        return not self.is_attachment

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "content_type": self.content_type,
            "charset": self.charset,
            "filename": self.filename,
            "disposition": self.disposition,
            "content_id": self.content_id,
            "size": self.size,
        }


class CapturedMessage:
    """One message as received; ``parsed`` is the MIME tree, built on first use."""

    __slots__ = (
        "_bodies",
        "_parsed",
        "_parts",
        "envelope",
        "headers",
        "id",
        "raw",
        "received_at",
        "results",
    )

    def __init__(self, raw: bytes, envelope: Envelope, *, received_at: float) -> None:
        self.id = uuid.uuid4().hex[:16]
        self.raw = raw
        self.envelope = envelope
        self.received_at = received_at
        self.headers = _HEADERS_ONLY.parsebytes(raw)
        self._parsed: Message | None = None
        self._parts: list[tuple[Part, Message]] | None = None
        self._bodies: dict[str, str] = {}
        self.results: list[Any] | None = None  # mail check results, computed once (mailchecks)

    @property
    def parsed(self) -> Message:
        if self._parsed is None:
            self._parsed = message_from_bytes(self.raw)
        return self._parsed

    def header(self, name: str) -> str:
        """A header's value with RFC 2047 encoded-words decoded ("" when absent)."""
        return decoded(self.headers.get(name))

    @property
    def subject(self) -> str:
        return self.header("subject")

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, address) pairs of an address header."""
        raw = self.headers.get_all(name) or []
        # split first, decode each display name after: a decoded name may hold a comma
        return [(decoded(display), address) for display, address in getaddresses(raw)]

    @property
    def text(self) -> str:
        return self._body("text/plain")

    @property
    def html(self) -> str:
        return self._body("text/html")

    def _body(self, content_type: str) -> str:
        """The first part of ``content_type`` that is not an attachment, decoded."""
        if content_type not in self._bodies:
            found = next(
                (
                    m
                    for p, m in self.parts
                    if p.content_type == content_type and not p.is_attachment
                ),
                None,
            )
            self._bodies[content_type] = "" if found is None else _decoded_payload(found)
        return self._bodies[content_type]

    @property
    def parts(self) -> list[tuple[Part, Message]]:
        """Every leaf part with its index (the ``/parts/<index>`` of the admin API)."""
        if self._parts is None:
            leaves = [p for p in self.parsed.walk() if not p.is_multipart()]
            self._parts = [(_describe(i, p), p) for i, p in enumerate(leaves)]
        return self._parts

    def part_bytes(self, index: int) -> tuple[str, bytes] | None:
        """The decoded content of part ``index`` and its content type, or None."""
        for part, message in self.parts:
            if part.index == index:
                payload = message.get_payload(decode=True)
                return part.content_type, payload if isinstance(payload, bytes) else b""
        return None

    def summary(self) -> dict[str, Any]:
        """The short form the list and search routes return (newest first)."""
        attachments = sum(1 for p, _ in self.parts if p.is_attachment)
        return {
            "id": self.id,
            "message_id": self.header("message-id"),
            "from": _address(self.addresses("from")),
            "to": [_address([pair]) for pair in self.addresses("to")],
            "cc": [_address([pair]) for pair in self.addresses("cc")],
            "reply_to": [_address([pair]) for pair in self.addresses("reply-to")],
            "subject": self.subject,
            "received_at": _iso(self.received_at),
            "size": len(self.raw),
            "attachments": attachments,
            "snippet": " ".join(self.text.split())[:SNIPPET_CHARS],
            "envelope": self.envelope.as_json(),
        }

    def details(self) -> dict[str, Any]:
        """The whole parsed message: headers in order, text, HTML, every part."""
        return {
            **self.summary(),
            "headers": [[name, decoded(value)] for name, value in self.parsed.items()],
            "text": self.text,
            "html": self.html,
            "parts": [p.as_json() for p, _ in self.parts],
        }

    def matches(self, terms: list[tuple[str, str]]) -> bool:
        """Whether every (field, words) term is found: from, to, subject, text or anywhere."""
        for name, words in terms:
            needle = words.lower()
            if name == "from":
                haystack = self.header("from") + " " + self.envelope.mail_from
            elif name == "to":
                haystack = " ".join([self.header("to"), self.header("cc"), *self.envelope.rcpt_to])
            elif name == "subject":
                haystack = self.subject
            elif name == "text":
                haystack = self.text + " " + self.html
            else:
                haystack = " ".join([self.header("from"), self.header("to"), self.subject])
                haystack += " " + self.text
            if needle not in haystack.lower():
                return False
        return True


def decoded(value: Any) -> str:
    """A raw header value with its RFC 2047 encoded-words decoded."""
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return str(value)  # a malformed encoded-word: show it as sent


def _decoded_payload(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # an unknown charset: show what can be read
        return payload.decode("utf-8", "replace")


def _describe(index: int, part: Message) -> Part:
    payload = part.get_payload(decode=True)
    return Part(
        index=index,
        content_type=part.get_content_type(),
        charset=part.get_content_charset() or "",
        filename=part.get_filename() or "",
        disposition=part.get_content_disposition() or "",
        content_id=str(part.get("content-id", "")).strip("<>"),
        size=len(payload) if isinstance(payload, bytes) else 0,
    )


def _address(pairs: list[tuple[str, str]]) -> dict[str, str]:
    name, address = pairs[0] if pairs else ("", "")
    return {"name": name, "address": address}


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat(timespec="milliseconds")


def parse_query(query: str) -> list[tuple[str, str]]:
    """Mailpit-style search terms: ``from:anna to:support subject:"order 42" refund``."""
    try:
        tokens = shlex.split(query)
    except ValueError:  # an unbalanced quote: search for the words as written
        tokens = query.split()
    terms = []
    for token in tokens:
        name, colon, words = token.partition(":")
        if colon and name.lower() in ("from", "to", "subject", "text") and words:
            terms.append((name.lower(), words))
        else:
            terms.append(("any", token))
    return terms


class MailStore:
    """The newest captured messages, bounded by count and bytes."""

    def __init__(self, max_messages: int = MAX_MESSAGES, max_bytes: int = MAX_BYTES) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._messages: OrderedDict[str, CapturedMessage] = OrderedDict()
        self._bytes = 0
        self.received = 0  # every message ever captured, including those dropped since

    def add(self, message: CapturedMessage) -> None:
        self._messages[message.id] = message
        self._bytes += len(message.raw)
        self.received += 1
        while self._messages and (
            len(self._messages) > self.max_messages or self._bytes > self.max_bytes
        ):
            _, oldest = self._messages.popitem(last=False)
            self._bytes -= len(oldest.raw)

    def __len__(self) -> int:
        return len(self._messages)

    def newest(self) -> list[CapturedMessage]:
        return list(reversed(self._messages.values()))

    def get(self, message_id: str) -> CapturedMessage | None:
        """A message by id; ``latest`` is the newest, as in Mailpit's API."""
        if message_id == "latest":
            return next(reversed(self._messages.values()), None)
        return self._messages.get(message_id)

    def search(self, query: str) -> list[CapturedMessage]:
        terms = parse_query(query)
        return [m for m in self.newest() if m.matches(terms)]

    def clear(self) -> None:
        self._messages.clear()
        self._bytes = 0
