"""How a text travels as SMS: GSM-7 or UCS-2, and the segments it is split into (3GPP TS 23.038).

A text whose every character is in the GSM 03.38 default alphabet travels in GSM-7: one septet
per character, two for the extension table (``^ { } \\ [ ~ ] | €`` and form feed, sent as ESC +
character). One character outside it switches the whole text to UCS-2, counted in UTF-16 code
units, so a character outside the BMP (an emoji) costs two.

========  ================  ===================================
encoding  one segment       each segment of a concatenated SMS
========  ================  ===================================
GSM-7     160 septets       153 septets (the UDH takes 7 bytes)
UCS-2     70 code units     67 code units
========  ================  ===================================

A split never separates an ESC pair nor a surrogate pair, so a segment may hold 152 septets or
66 code units (DOMAIN.md §2.5).

>>> split("a" * 160).count, split("a" * 161).count
(1, 2)
>>> split("ł" * 70).encoding, split("ł" * 71).count
('UCS-2', 2)
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The default alphabet without ESC (0x1B), in code order: 0x00 '@' ... 0x7F 'à'.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs ESC + the character, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_SEGMENT = {GSM7: 160, UCS2: 70}
MULTI_SEGMENT = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True, slots=True)
class Segments:
    """A text as it travels: its encoding, its length in units, and the text of each segment."""

    encoding: str  # GSM7 or UCS2
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.parts)


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM 03.38 default or extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def encoding_of(text: str) -> str:
    """``GSM-7`` when the text fits the default alphabet, else ``UCS-2``."""
    return GSM7 if is_gsm7(text) else UCS2


def unit_cost(char: str, encoding: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) one character takes."""
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def split(text: str, *, encoding: str | None = None) -> Segments:
    """``text`` cut into the segments a gateway sends, without splitting an ESC or surrogate pair.

    ``encoding`` forces one (a Vonage ``type=unicode`` send is UCS-2 even for plain text);
    forcing GSM-7 on a text outside the alphabet is refused (ValueError). An empty text has no
    segment.
    """
    chosen = encoding or encoding_of(text)
    if chosen == GSM7 and not is_gsm7(text):
        raise ValueError("the text has characters outside the GSM-7 alphabet")
    costs = [unit_cost(c, chosen) for c in text]
    units = sum(costs)
    if units <= SINGLE_SEGMENT[chosen]:
        return Segments(chosen, units, (text,) if text else ())
    room = MULTI_SEGMENT[chosen]
    parts: list[str] = []
    start, used = 0, 0
    for index, cost in enumerate(costs):
        # a pair that would straddle the boundary moves whole into the next segment
        if used + cost > room:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return Segments(chosen, units, tuple(parts))


def as_gsm7_handset(text: str) -> str:
    """What a handset shows when a UCS-2 text was sent as GSM-7: each foreign character a '?'."""
    return "".join(c if c in GSM7_BASIC or c in GSM7_EXTENSION else "?" for c in text)
