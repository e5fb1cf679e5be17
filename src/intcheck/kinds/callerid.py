"""Caller IDs as phone systems really send them (DOMAIN.md §0.1), shaped with ``phonenumbers``.

The same customer arrives as ``+4915112345678``, ``004915112345678``, ``015112345678``,
``tel:+4915112345678`` or a SIP URI, depending on the PBX and its prefix settings; a withheld
number arrives as ``anonymous``, ``restricted``, an empty field or a carrier's sentinel. CTI
simulators send every form, and the CRM must pop the same record for each: that matching is the
most common CTI go-live failure. Never shape or parse numbers with regexes.
"""

from __future__ import annotations

import phonenumbers

from intcheck.data import normalize_phone

# The forms a caller ID arrives in; a contract's ``caller_id.format`` names one of them.
FORMS = ("e164", "international", "national", "00", "digits", "tel", "sip")

# How phone systems say "withheld": SIP/Asterisk/3CX words, an empty field, and the sentinel
# numbers Twilio-style carriers put in From (keypad spellings of ANONYMOUS, RESTRICTED, ...).
WITHHELD_WORDS = ("anonymous", "restricted", "", "unavailable", "unknown", "private", "blocked")
WITHHELD_SENTINELS = ("+266696687", "+7378742833", "+86282452253", "+8656696", "+2562533")


def shape(e164: str, form: str, region: str = "DE", *, sip_host: str = "pbx.example.com") -> str:
    """``e164`` written the way a phone system in ``region`` sends it in ``form``.

    >>> shape("+4915112345678", "national")
    '015112345678'
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
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(c for c in national if c.isdigit())
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


def same_caller(caller: str, e164: str, region: str = "DE") -> bool:
    """Whether ``caller`` (any form) is the number ``e164``.

    Bare digits are read both ways a PBX may mean them: a national number without its trunk
    prefix, or an international one whose ``+`` was stripped (3CX's ``Off`` prefix mode).
    """
    if is_withheld(caller):
        return False
    if normalize_phone(caller, region) == e164:
        return True
    return caller.strip().isdigit() and normalize_phone("+" + caller.strip(), region) == e164
