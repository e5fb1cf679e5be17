"""Caller IDs as phone systems really send them (DOMAIN.md §0.1), shaped with ``phonenumbers``.

The same customer arrives as ``+4915112345678``, ``004915112345678``, ``015112345678``,
``tel:+4915112345678`` or a SIP URI, depending on the PBX and its prefix settings; a withheld
number arrives as ``anonymous``, ``restricted``, an empty field or a carrier's sentinel. CTI
simulators send every form, and the CRM must pop the same record for each: that matching is the
most common CTI go-live failure. Never shape or parse numbers with regexes.
"""

from __future__ import annotations

import functools

import phonenumbers

from intcheck.data import normalize_phone

# The forms a caller ID arrives in; a contract's ``caller_id.format`` names one of them.
FORMS = ("e164", "international", "national", "00", "digits", "tel", "sip")

# How phone systems say "withheld": SIP/Asterisk/3CX words, an empty field, and the sentinel
# numbers Twilio-style carriers put in From (keypad spellings of ANONYMOUS, RESTRICTED, ...).
WITHHELD_WORDS = ("anonymous", "restricted", "", "unavailable", "unknown", "private", "blocked")
WITHHELD_SENTINELS = ("+266696687", "+7378742833", "+86282452253", "+8656696", "+2562533")

# What ``form_of`` says of a caller ID that is not a number in one of the FORMS.
WITHHELD = "withheld"
PLUS_AS_SPACE = "plus-as-space"  # "+49…" sent unencoded in a query string reads " 49…"
NOT_A_NUMBER = "not-a-number"


def shape(e164: str, form: str, region: str = "DE", *, sip_host: str = "pbx.example.com") -> str:
    """``e164`` written the way a phone system in ``region`` sends it in ``form``.

    A PBX presenting numbers nationally shows a caller from abroad with the international
    call prefix of its own country (a German PBX: ``0033…``), never with the caller's own
    trunk prefix, which would dial someone else.

    >>> shape("+4915112345678", "national")
    '015112345678'
    >>> shape("+33612345678", "national", "DE")
    '0033612345678'
    >>> shape("+4915112345678", "00")
    '004915112345678'
    >>> shape("+4915112345678", "sip")
    'sip:+4915112345678@pbx.example.com;user=phone'
    """
    number = phonenumbers.parse(e164, None)
    if form == "e164":
        return e164
    if form == "international":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if form == "national":
        if phonenumbers.region_code_for_number(number) != region.upper():
            dialled = phonenumbers.format_out_of_country_calling_number(number, region.upper())
        else:
            dialled = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(c for c in dialled if c.isdigit())
    if form == "00":
        return "00" + e164[1:]
    if form == "digits":
        return e164[1:]
    if form == "tel":
        return "tel:" + e164
    if form == "sip":
        return f"sip:{e164}@{sip_host};user=phone"
    raise ValueError(f"unknown caller-ID form {form!r}; forms: {', '.join(FORMS)}")


def all_forms(e164: str, region: str = "DE") -> dict[str, str]:
    """Every form of ``e164``, by form name."""
    return {form: shape(e164, form, region) for form in FORMS}


def is_withheld(caller: str) -> bool:
    """Whether ``caller`` says the number is withheld rather than giving one."""
    text = caller.strip().lower()
    return text in WITHHELD_WORDS or text in WITHHELD_SENTINELS or text in ("<unknown>", "")


def readings(caller: str, region: str = "DE") -> tuple[str, ...]:
    """The E.164 numbers ``caller`` may mean, most likely first; none when withheld.

    Bare digits are read both ways a PBX may mean them: a national number without its trunk
    prefix, or an international one whose ``+`` was stripped (3CX's ``Off`` prefix mode).
    A lookup tries each in turn.
    """
    if is_withheld(caller):
        return ()
    found: list[str] = []
    for text in (caller, "+" + caller.strip()) if caller.strip().isdigit() else (caller,):
        number = normalize_phone(text, region)
        if number is not None and number not in found:
            found.append(number)
    return tuple(found)


def same_caller(caller: str, e164: str, region: str = "DE") -> bool:
    """Whether ``caller`` (any form) is the number ``e164``."""
    return e164 in readings(caller, region)


# The receiver asks this of every callback; a PBX sends its few callers' numbers again and
# again, and shaping a number to compare costs a parse and a format (tens of microseconds).
@functools.lru_cache(maxsize=1 << 14)
def form_of(caller: str, region: str = "DE") -> str:
    """Which of ``FORMS`` ``caller`` is written in, as a PBX in ``region`` sends it.

    Otherwise ``withheld``, ``plus-as-space`` (an unencoded ``+`` decoded to a space, the
    classic query-string bug), or ``not-a-number``.

    >>> form_of("015112345678"), form_of("+49 151 12345678"), form_of("0033612345678")
    ('national', 'international', '00')
    """
    if is_withheld(caller):
        return WITHHELD
    text = caller.strip()
    if caller.startswith(" ") and text[:1].isdigit():
        return PLUS_AS_SPACE
    found = readings(caller, region)
    if not found:
        return NOT_A_NUMBER
    lower = text.lower()
    if lower.startswith("tel:"):
        return "tel"
    if lower.startswith(("sip:", "sips:")):
        return "sip"
    if text.startswith("+"):
        return "e164" if text[1:].isdigit() else "international"
    if text.startswith("00"):
        return "00"
    if any(text == shape(number, "national", region) for number in found):
        return "national"
    return "digits" if text.isdigit() else NOT_A_NUMBER
