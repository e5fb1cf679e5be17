"""The single place that hides credentials in evidence, journals, reports and logs.

A secret rarely travels as its plain text. A target that echoes what it got sends it back
percent-encoded in a URL (``%2F``, ``+`` for a space), JSON-escaped (``\\u00f6``, ``\\"``),
XML-escaped (``&quot;``), in a Python repr inside a schema error, or as base64 inside
``Basic dXNlcjpwYXNz``. ``Redactor`` compiles, for every secret, one pattern that matches each
character in any of those spellings, plus the base64 of the secret at all three byte
alignments (so ``user:password`` is caught without knowing the user), and masks every match.

Truncation must come after redaction, or a secret cut in half no longer matches: ``excerpt``
and ``clip`` redact first and cut second, and are the only cutting anyone should do.
``scrub`` redacts every string of a whole structure (a ``Report``, an ``Evidence``), so a
field added later is covered without anyone remembering to.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words

# Headers that carry credentials or signatures, whatever their value.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-signature",
        "x-twilio-signature",
        "x-hub-signature",
        "x-hub-signature-256",
        "x-twilio-email-event-webhook-signature",
    }
)
# Field names (query, form, JSON) whose values are credentials.
SECRET_FIELDS = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|signature|^sig$|auth)", re.IGNORECASE
)
_XML_NAMED = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos"}
_JSON_SHORT = {"\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}
# One or more backslashes (or their percent-encoding): each level of escaping doubles them.
_BACKSLASHES = r"(?:\\|%5[cC])+"
# What a base64 run is made of (both alphabets, padding, and the escapes of + / =).
_BASE64_RUN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_%\\")

T = TypeVar("T")


def _hex(value: int, width: int) -> str:
    """A regex for ``value`` in hex, either case."""
    digits = f"{value:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


def _char_forms(char: str) -> str:
    """A regex matching ``char`` as it is, or percent-, JSON-, repr- or XML-escaped.

    Escapes nest when a service echoes what it got inside what it answers: JSON inside JSON
    doubles the backslashes (``\\"`` becomes ``\\\\\\"``), XML inside XML doubles the
    ampersands (``&amp;quot;``), a URL inside a URL the percent signs (``%2522``). Each form
    allows any depth.
    """
    if char.isascii() and char.isalnum():
        return char  # nobody escapes letters and digits
    code = ord(char)
    bare = [] if char == "\\" else [re.escape(char)]
    bare.append("".join("%(?:25)*" + _hex(byte, 2) for byte in char.encode("utf-8")))
    if char in _XML_NAMED:
        bare.append(f"&(?:amp;)*{_XML_NAMED[char]};")
    bare += [f"&(?:amp;)*#0*{code};", "&(?:amp;)*#[xX]0*" + _hex(code, 1) + ";"]
    forms = list(bare)
    if char == "\\":
        forms.append(_BACKSLASHES)
    else:
        forms.append(_BACKSLASHES + "(?:" + "|".join(bare) + ")")  # \", \', \/ (JSON, repr)
    if char == " ":
        forms.append(r"\+")  # application/x-www-form-urlencoded
    if code > 0xFFFF:  # JSON spells it as a UTF-16 surrogate pair
        high, low = divmod(code - 0x10000, 0x400)
        pair = ("u" + _hex(0xD800 + high, 4), "u" + _hex(0xDC00 + low, 4))
        forms.append(_BACKSLASHES + pair[0] + _BACKSLASHES + pair[1])
    else:
        forms.append(_BACKSLASHES + "u" + _hex(code, 4))
    if char in _JSON_SHORT and _JSON_SHORT[char].isalpha():
        forms.append(_BACKSLASHES + _JSON_SHORT[char])  # \n, \t...
    if code < 0x100:
        forms.append(_BACKSLASHES + "x" + _hex(code, 2))
    return "(?:" + "|".join(forms) + ")"


def _base64_cores(secret: bytes) -> set[str]:
    """The base64 characters that depend only on ``secret``, at each of the three alignments.

    Whatever surrounds the secret in the encoded data (``user:`` before a password, say), the
    characters between the first and last one it shares with its neighbours are these.
    """
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode("ascii")
        start = -(-8 * offset // 6)  # the first character with no bit of the padding
        end = 8 * (offset + len(secret)) // 6  # past the last with no bit of what follows
        core = encoded[start:end]
        if len(core) >= MIN_SECRET:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    return cores


def _base64_forms(core: str) -> str:
    escaped = {"+": r"(?:\+|%2[bB])", "/": r"(?:/|%2[fF]|\\/)"}
    return "".join(escaped.get(c, re.escape(c)) for c in core)


def printable(value: str) -> str:
    """``value`` with lone surrogates spelled out, so it can always be written as UTF-8.

    Undecodable bytes smuggled through ``surrogateescape`` become ``\\xNN``; any other lone
    surrogate (a JSON ``"\\ud800"``) becomes ``\\uXXXX``.
    """
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_escape_surrogate(c) for c in value)
    return value


def _escape_surrogate(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if 0xD800 <= code <= 0xDFFF else char


def decode(data: bytes) -> str:
    """Bytes from the wire as text: UTF-8, with what is not UTF-8 kept as ``\\xNN``."""
    return data.decode("utf-8", "backslashreplace")


class Redactor:
    """Masks known secret values in every spelling, and secret-named headers and fields."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)
        # In any letter case: a lower-cased secret (a normalised header, say) is still a secret.
        lowered = sorted({s.lower() for s in self._secrets}, key=len, reverse=True)
        plain = "|".join("".join(_char_forms(c) for c in secret) for secret in lowered)
        cores = sorted(
            {core for s in self._secrets for core in _base64_cores(s.encode("utf-8"))},
            key=len,
            reverse=True,
        )
        # Two patterns, not one: each keeps the regex engine's scan for its first characters,
        # which one alternation of both loses (six times slower on a clean 2 KiB body).
        # Searched in the lower-cased text: IGNORECASE would cost ten times as much.
        self._plain = re.compile(plain) if plain else None
        self._plain_any_case = re.compile(plain, re.IGNORECASE) if plain else None
        self._base64 = re.compile("|".join(_base64_forms(c) for c in cores)) if cores else None
        # The longest text one match can span: an excerpt redacts this far past its cut.
        self._reach = 32 * max((len(s) for s in self._secrets), default=0)

    def _spans(self, value: str) -> list[tuple[int, int]]:
        """Where secrets are in ``value``, merged; a base64 match widens to its whole run."""
        found = []
        if self._plain is not None and self._plain_any_case is not None:
            lowered = value.lower()
            if len(lowered) == len(value):
                found = [m.span() for m in self._plain.finditer(lowered)]
            else:  # a character lowers to two ("İ"): offsets differ, take the slower way
                found = [m.span() for m in self._plain_any_case.finditer(value)]
        if self._base64 is not None:
            for match in self._base64.finditer(value):
                start, end = match.span()
                while start > 0 and value[start - 1] in _BASE64_RUN:
                    start -= 1
                while end < len(value) and value[end] in _BASE64_RUN:
                    end += 1
                found.append((start, end))
        spans: list[tuple[int, int]] = []
        for start, end in sorted(found):  # a widened run may swallow its neighbours
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
        return spans

    @staticmethod
    def _masked(value: str, spans: list[tuple[int, int]]) -> str:
        parts: list[str] = []
        position = 0
        for start, end in spans:
            parts += (value[position:start], MASK)
            position = end
        parts.append(value[position:])
        return "".join(parts)

    def text(self, value: str) -> str:
        """``value`` with every secret masked, whatever its spelling."""
        plain, encoded = self._plain, self._base64
        if plain is None or len(value) < MIN_SECRET:
            return value  # no secrets, or too short to hold one in any spelling
        # The common case, nothing to mask, answered by two searches (offsets do not matter
        # here, so the lower-cased text serves even where lower() changed its length).
        if plain.search(value.lower()) is None and (
            encoded is None or encoded.search(value) is None
        ):
            return value
        spans = self._spans(value)
        return self._masked(value, spans) if spans else value

    def clip(self, value: str, limit: int) -> str:
        """At most about ``limit`` characters of ``value``: redacted first, then cut.

        A secret that straddles the cut is masked whole (the excerpt runs to its end).
        """
        if len(value) <= limit:
            return self.text(value)
        window = value[: limit + self._reach]
        cut = limit
        spans = self._spans(window)
        for start, end in spans:
            if start < cut < end:
                cut = end
        kept = [(s, e) for s, e in spans if s < cut]
        return self._masked(window[:cut], kept) + f"… [{len(value) - cut} more characters]"

    def excerpt(self, data: bytes, limit: int) -> str:
        """The first ``limit`` bytes of a body as text, redacted before they are cut."""
        if len(data) <= limit:
            return self.text(decode(data))
        window = decode(data[: limit + self._reach])
        cut = len(decode(data[:limit]))
        spans = self._spans(window)
        for start, end in spans:
            if start < cut < end:
                cut = end
        kept = [(s, e) for s, e in spans if s < cut]
        return self._masked(window[:cut], kept) + f"… [{len(data) - limit} more bytes]"

    def header(self, name: str, value: str) -> str:
        """One header's value as it may be shown: masked whole when the header is a secret."""
        return MASK if name.lower() in SECRET_HEADERS else self.text(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self.header(name, value) for name, value in headers.items()}

    def value(self, data: Any) -> Any:
        """Redact a JSON-like structure: secret-named fields and known secret values."""
        if isinstance(data, Mapping):
            return {
                k: MASK
                if isinstance(k, str) and SECRET_FIELDS.search(k) and data[k]
                else self.value(data[k])
                for k in data
            }
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        if isinstance(data, str):
            return self.text(data)
        return data

    def scrub(self, data: T) -> T:
        """``data`` with every string in it redacted and printable, however deep.

        Walks frozen dataclasses (rebuilt with ``dataclasses.replace``), mappings (a
        secret-named header's value is masked whole), lists and tuples. Anything built from
        strings is covered, including fields added after this was written.
        """
        return self._scrub(data, {})  # type: ignore[no-any-return]

    def _scrub(self, data: Any, memo: dict[int, Any]) -> Any:
        if isinstance(data, str):
            return printable(self.text(data))
        if data is None or isinstance(data, bool | int | float):
            return data
        if dataclasses.is_dataclass(data) and not isinstance(data, type):
            # Results of one case share one Evidence: redact it once.
            if id(data) not in memo:
                changes = {
                    f.name: self._scrub(getattr(data, f.name), memo)
                    for f in dataclasses.fields(data)
                    if f.init
                }
                memo[id(data)] = dataclasses.replace(data, **changes)
            return memo[id(data)]
        if isinstance(data, Mapping):
            return {
                self._scrub(k, memo): MASK
                if isinstance(k, str) and k.lower() in SECRET_HEADERS and isinstance(v, str)
                else self._scrub(v, memo)
                for k, v in data.items()
            }
        if isinstance(data, tuple):
            return tuple(self._scrub(v, memo) for v in data)
        if isinstance(data, list):
            return [self._scrub(v, memo) for v in data]
        return data  # enums, paths, numbers: nothing a secret hides in
