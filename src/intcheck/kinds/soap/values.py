"""Text for XSD simple types: generated within every facet, and checked before it is sent.

``SimpleValues.generate`` makes a lexical value of a ``SimpleType`` (an enumeration value, a
string matching every pattern step, a number inside the bounds and digit limits, a list of
items, a union member's value). ``SimpleValues.fits`` tells whether a value from elsewhere (a
dataset record, the contract's test data) may be sent as it is; the mock and the probe only use
a value that fits and generate one otherwise, so neither answers nor requests break the XSD.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from intcheck.kinds.regexgen import generate_matching
from intcheck.kinds.soap.components import SimpleType

# Canonical sample text per XSD built-in type, by local name.
_SAMPLES = {
    "boolean": "true",
    "decimal": "12.50",
    "float": "1.5",
    "double": "1.5",
    "integer": "1",
    "int": "1",
    "long": "1",
    "short": "1",
    "byte": "1",
    "nonNegativeInteger": "1",
    "positiveInteger": "1",
    "unsignedLong": "1",
    "unsignedInt": "1",
    "unsignedShort": "1",
    "unsignedByte": "1",
    "negativeInteger": "-1",
    "nonPositiveInteger": "0",
    "dateTime": "2026-01-15T09:30:00Z",
    "date": "2026-01-15",
    "time": "09:30:00",
    "duration": "PT1H",
    "gYear": "2026",
    "gYearMonth": "2026-01",
    "gMonth": "--01",
    "gMonthDay": "--01-15",
    "gDay": "---15",
    "base64Binary": "aW50Y2hlY2s=",
    "hexBinary": "0A0B",
    "anyURI": "http://example.com/",
    "language": "en",
    "NCName": "name1",
    "Name": "name1",
    "NMTOKEN": "token1",
    "NMTOKENS": "token1",
    "QName": "name1",
    "ENTITY": "name1",
}
_INTEGER_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}
_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_ZONE = r"(Z|[+-]\d\d:\d\d)?"
_LEXICAL = {
    "boolean": r"true|false|1|0",
    "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)",
    "float": r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF|-INF|NaN",
    "double": r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF|-INF|NaN",
    "dateTime": r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?" + _ZONE,
    "date": r"-?\d{4,}-\d\d-\d\d" + _ZONE,
    "time": r"\d\d:\d\d:\d\d(\.\d+)?" + _ZONE,
    "duration": r"-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?",
    "gYear": r"-?\d{4,}" + _ZONE,
    "gYearMonth": r"-?\d{4,}-\d\d" + _ZONE,
    "gMonth": r"--\d\d" + _ZONE,
    "gMonthDay": r"--\d\d-\d\d" + _ZONE,
    "gDay": r"---\d\d" + _ZONE,
    "hexBinary": r"([0-9a-fA-F]{2})*",
    "base64Binary": r"[A-Za-z0-9+/= ]*",
    "anyURI": r"[^\s]*",
    "language": r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*",
    "NCName": _NAME,
    "ID": _NAME,
    "IDREF": _NAME,
    "ENTITY": _NAME,
    "Name": r"[A-Za-z_:][A-Za-z0-9_.:-]*",
    "NMTOKEN": r"[A-Za-z0-9_.:-]+",
    "QName": rf"({_NAME}:)?{_NAME}",
    "string": r"[^\x00-\x08\x0b\x0c\x0e-\x1f]*",
}
_LEXICAL |= {name: r"[+-]?\d+" for name in _INTEGER_RANGES}
_LEXICAL_RE = {name: re.compile(pattern) for name, pattern in _LEXICAL.items()}
_NUMERIC = {"decimal", "float", "double", *_INTEGER_RANGES}
_XSD_CLASSES = {
    r"\i": "[A-Za-z_:]",
    r"\I": "[0-9.-]",
    r"\c": "[A-Za-z0-9._:-]",
    r"\C": "[ ]",
}
_UNICODE_PROPERTY = re.compile(r"\\[pP]\{[^}]*\}")
_LIST_TYPES = {"NMTOKENS": "NMTOKEN", "IDREFS": "IDREF", "ENTITIES": "ENTITY"}


@dataclass(slots=True)
class DocumentIds:
    """The ``xs:ID`` values of one document: each unique, and what an ``IDREF`` may name."""

    given: list[str] = field(default_factory=list)

    def new(self) -> str:
        self.given.append(f"id{len(self.given) + 1}")
        return self.given[-1]

    def existing(self) -> str:
        return self.given[0] if self.given else self.new()


class SimpleValues:
    """Lexical values for simple types; ``first`` picks the first enumeration value (stable)."""

    def __init__(self, rng: random.Random, *, first: bool = False) -> None:
        self.rng = rng
        self.first = first

    def generate(self, stype: SimpleType, hint: str, ids: DocumentIds) -> str:
        """A value of ``stype``; ``hint`` (the element's name) seeds free text."""
        builtin = stype.builtin
        if builtin == "list" or builtin in _LIST_TYPES:
            item = stype.item or SimpleType(builtin=_LIST_TYPES.get(builtin, "string"))
            count = max(int(stype.facets.get("length") or stype.facets.get("minLength") or 1), 1)
            return " ".join(self.generate(item, hint, ids) for _ in range(count))
        if builtin == "union":
            for member in stype.members:
                made = self.generate(member, hint, ids)
                if self.fits(member, made):
                    return made
            return self.generate(stype.members[0], hint, ids) if stype.members else hint
        if stype.enumeration:
            allowed = [value for value in stype.enumeration if self._fits_patterns(stype, value)]
            choices = allowed or list(stype.enumeration)
            return choices[0] if self.first else self.rng.choice(choices)
        if builtin == "ID":
            return ids.new()
        if builtin == "IDREF":
            return ids.existing()
        for made in self._candidates(stype, hint):
            if self.fits(stype, made):
                return made
        return _fit_length(_SAMPLES.get(builtin, hint or "value"), stype)

    def _candidates(self, stype: SimpleType, hint: str) -> list[str]:
        made: list[str] = []
        # every step's patterns must match: generate from the most derived step first, which
        # usually narrows the others, then from the earlier ones
        for step in reversed(stype.patterns):
            for _ in range(25 if len(stype.patterns) > 1 else 10):
                text = generate_from_pattern(self.rng.choice(step), self.rng)
                if text is not None:
                    made.append(text)
                    if self.fits(stype, text):
                        return made
        builtin = stype.builtin
        if builtin in _NUMERIC:
            made.append(_number(builtin, stype.facets))
        elif builtin in _SAMPLES:
            made.append(_fit_length(_SAMPLES[builtin], stype))
        else:
            text = f"{hint or 'value'} {self.rng.randint(1, 999)}"
            made.append(_fit_length(text, stype))
        return made

    def fits(self, stype: SimpleType, text: str) -> bool:
        """Whether ``text`` is a valid lexical value of ``stype`` (facets and built-in form)."""
        builtin = stype.builtin
        if builtin == "union":
            return any(self.fits(member, text) for member in stype.members)
        if builtin == "list" or builtin in _LIST_TYPES:
            item = stype.item or SimpleType(builtin=_LIST_TYPES.get(builtin, "string"))
            items = text.split()
            return (
                bool(items or not stype.facets.get("minLength"))
                and all(self.fits(item, one) for one in items)
                and _length_ok(len(items), stype.facets)
            )
        value = _normalized(builtin, text)
        if stype.enumeration and value not in stype.enumeration:
            return False
        lexical = _LEXICAL_RE.get(builtin)
        if lexical is not None and not lexical.fullmatch(value):
            return False
        if not self._fits_patterns(stype, value):
            return False
        if builtin in _NUMERIC:
            return _number_ok(builtin, value, stype.facets)
        return _length_ok(_length(builtin, value), stype.facets)

    def _fits_patterns(self, stype: SimpleType, text: str) -> bool:
        for step in stype.patterns:
            compiled = [xsd_regex(pattern) for pattern in step]
            if not any(regex is not None and regex.fullmatch(text) for regex in compiled):
                return False
        return True


def _normalized(builtin: str, text: str) -> str:
    """``text`` after the type's whiteSpace facet, which validation applies first."""
    if builtin == "string":
        return text
    if builtin == "normalizedString":
        return re.sub(r"[\t\n\r]", " ", text)
    return " ".join(text.split())


def lexical(value: Any, builtin: str) -> str:
    """A Python value (from a dataset record or the contract) in the XSD lexical form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = format(Decimal(repr(value)), "f") if builtin == "decimal" else repr(value)
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    if builtin == "date" and len(text) > 10 and text[4:5] == "-":
        return text[:10]
    if builtin == "dateTime" and len(text) == 10:
        return text + "T00:00:00Z"
    return text


def _number(builtin: str, facets: dict[str, str]) -> str:
    try:
        value = Decimal(_SAMPLES[builtin])
        low, high = _INTEGER_RANGES.get(builtin, (None, None))
        if facets.get("minInclusive") is not None:
            value = max(value, Decimal(facets["minInclusive"]))
        if facets.get("minExclusive") is not None and value <= Decimal(facets["minExclusive"]):
            value = Decimal(facets["minExclusive"]) + 1
        if facets.get("maxInclusive") is not None:
            value = min(value, Decimal(facets["maxInclusive"]))
        if facets.get("maxExclusive") is not None and value >= Decimal(facets["maxExclusive"]):
            value = Decimal(facets["maxExclusive"]) - 1
        if low is not None:
            value = max(value, Decimal(low))
        if high is not None:
            value = min(value, Decimal(high))
    except InvalidOperation:
        return _SAMPLES[builtin]
    if builtin in _INTEGER_RANGES:
        return str(int(value))
    digits = facets.get("fractionDigits")
    if digits is not None:
        value = value.quantize(Decimal(1).scaleb(-int(digits)))
    return format(value, "f")


def _number_ok(builtin: str, text: str, facets: dict[str, str]) -> bool:
    if text in ("INF", "-INF", "NaN"):
        return not any(name in facets for name in ("minInclusive", "maxInclusive"))
    try:
        value = Decimal(text)
        low, high = _INTEGER_RANGES.get(builtin, (None, None))
        checks = (
            (low is None or value >= low) and (high is None or value <= high),
            "minInclusive" not in facets or value >= Decimal(facets["minInclusive"]),
            "maxInclusive" not in facets or value <= Decimal(facets["maxInclusive"]),
            "minExclusive" not in facets or value > Decimal(facets["minExclusive"]),
            "maxExclusive" not in facets or value < Decimal(facets["maxExclusive"]),
        )
        if not all(checks):
            return False
        normal = value.normalize() if value else Decimal(0)
        _sign, digits, exponent = normal.as_tuple()
        fraction = max(0, -int(exponent))
        total = max(len(digits), fraction)
    except (InvalidOperation, ValueError):
        return False
    if "fractionDigits" in facets and fraction > int(facets["fractionDigits"]):
        return False
    return "totalDigits" not in facets or total <= int(facets["totalDigits"])


def _length(builtin: str, text: str) -> int:
    if builtin == "hexBinary":
        return len(text) // 2
    if builtin == "base64Binary":
        stripped = text.replace(" ", "")
        return len(stripped) * 3 // 4 - stripped.count("=")
    return len(text)


def _length_ok(length: int, facets: dict[str, str]) -> bool:
    if "length" in facets and length != int(facets["length"]):
        return False
    if "minLength" in facets and length < int(facets["minLength"]):
        return False
    return "maxLength" not in facets or length <= int(facets["maxLength"])


def _fit_length(text: str, stype: SimpleType) -> str:
    facets = stype.facets
    exact = facets.get("length")
    low = int(exact or facets.get("minLength") or 0)
    high = int(exact or facets.get("maxLength") or 0)
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if high and len(text) > high:
        text = text[:high]
    return text


def xsd_regex(pattern: str) -> re.Pattern[str] | None:
    """An XSD ``pattern`` as a compiled Python regex, or None when it cannot be compiled.

    XSD's own classes (``\\i``, ``\\c``) are spelled out and ``\\p{..}`` becomes ASCII letters, so
    the result is a close, not exact, reading of the facet.
    """
    return _compiled_regex(pattern)


_REGEX_CACHE: dict[str, re.Pattern[str] | None] = {}


def _compiled_regex(pattern: str) -> re.Pattern[str] | None:
    if pattern in _REGEX_CACHE:
        return _REGEX_CACHE[pattern]
    translated = _UNICODE_PROPERTY.sub("[A-Za-z]", pattern)
    for xsd_class, python_class in _XSD_CLASSES.items():
        translated = translated.replace(xsd_class, python_class)
    try:
        compiled: re.Pattern[str] | None = re.compile(translated)
    except (re.error, ValueError):
        compiled = None
    if len(_REGEX_CACHE) < 4096:  # a WSDL has a bounded number of patterns
        _REGEX_CACHE[pattern] = compiled
    return compiled


def generate_from_pattern(pattern: str, rng: random.Random, attempts: int = 10) -> str | None:
    """A string matching an XSD ``pattern`` (a regex, implicitly anchored), or None.

    >>> generate_from_pattern("O[0-9]{8}", random.Random(1)).startswith("O")
    True
    """
    compiled = xsd_regex(pattern)
    if compiled is None:
        return None
    for _ in range(attempts):
        made = generate_matching(compiled.pattern, rng)
        if compiled.fullmatch(made):
            return made
    return None
