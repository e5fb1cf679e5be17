"""Values generated from XSD types, for operations no dataset answers (real-world WSDLs).

Walks zeep's types (elements, sequences, choices, attributes) and fills simple types from their
facets: an enumeration value, a string matching the pattern, a number inside the bounds, a
date. Occurrences respect minOccurs/maxOccurs; optional parts are dropped past a shallow depth
and recursion stops at ``MAX_DEPTH``, so recursive types (a folder holding folders) stay finite.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from intcheck.kinds.regexgen import generate_matching
from intcheck.kinds.soap.schemas import FacetIndex, Facets

XSD_NS = "http://www.w3.org/2001/XMLSchema"
MAX_DEPTH = 10
OPTIONAL_DEPTH = 3  # optional elements and attributes are generated only above this depth

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
    "ID": "id1",
    "IDREF": "id1",
    "NCName": "name1",
    "Name": "name1",
    "NMTOKEN": "token1",
    "QName": "name1",
}
_ENCODING_NAMESPACES = (
    "http://schemas.xmlsoap.org/soap/encoding/",
    "http://schemas.xmlsoap.org/wsdl/",
)
_NUMERIC = {name for name, text in _SAMPLES.items() if re.fullmatch(r"-?[0-9.]+", text)} - {"gYear"}
_XSD_CLASSES = {
    r"\i": "[A-Za-z_:]",
    r"\I": "[0-9.-]",
    r"\c": "[A-Za-z0-9._:-]",
    r"\C": "[ ]",
}
_UNICODE_PROPERTY = re.compile(r"\\[pP]\{[^}]*\}")


def builtin_name(xsd_type: Any) -> str:
    """Local name of the XSD built-in a zeep simple type derives from ("string" if unknown)."""
    for cls in type(xsd_type).__mro__:
        qname = getattr(cls, "_default_qname", None)
        if qname is not None and getattr(qname, "namespace", None) == XSD_NS:
            return str(qname.localname)
    return "string"


def is_complex(xsd_type: Any) -> bool:
    return hasattr(xsd_type, "elements_nested")


def is_many(element: Any) -> bool:
    top = getattr(element, "max_occurs", 1)
    return top == "unbounded" or (isinstance(top, int) and top > 1)


class ValueFactory:
    """Generate python values zeep can render, for elements and types of one WSDL."""

    def __init__(self, facets: FacetIndex, rng: random.Random) -> None:
        self.facets = facets
        self.rng = rng

    def element_value(self, element: Any, depth: int = 0) -> Any:
        """All occurrences of ``element``: a list when it may repeat, None when left out."""
        low = int(getattr(element, "min_occurs", 1) or 0)
        if low == 0 and depth >= OPTIONAL_DEPTH:
            return None
        if depth >= MAX_DEPTH:
            return None
        if is_many(element):
            return [self.one(element, depth) for _ in range(max(low, 1))]
        return self.one(element, depth)

    def one(self, element: Any, depth: int = 0) -> Any:
        """One occurrence of ``element``'s content."""
        xsd_type = element.type
        if getattr(xsd_type, "_array_type", None) is not None:
            # a SOAP-encoded array (rpc/encoded WSDLs): one item of the declared item type
            item_type = getattr(xsd_type._array_type, "array_type", None)
            if item_type is None or depth >= MAX_DEPTH:
                return xsd_type([])
            if is_complex(item_type):
                return xsd_type([self.complex_value(item_type, depth + 1)])
            return xsd_type([self.simple_value(item_type)])
        if is_complex(xsd_type):
            return self.complex_value(xsd_type, depth + 1)
        return self.simple_value(xsd_type, getattr(element, "qname", None))

    def complex_value(self, xsd_type: Any, depth: int = 0) -> dict[str, Any]:
        """Keyword arguments for a complex type: child elements and required attributes."""
        values: dict[str, Any] = {}
        for name, child in xsd_type.elements_nested:
            values.update(self.particle(name, child, depth))
        values.update(self.attribute_values(xsd_type, depth))
        return values

    def attribute_values(self, xsd_type: Any, depth: int = 0) -> dict[str, Any]:
        """Values for a complex type's attributes: required ones, and optional ones near the top."""
        values: dict[str, Any] = {}
        for name, attribute in getattr(xsd_type, "attributes", []):
            if not getattr(attribute, "name", None) or not hasattr(attribute, "type"):
                continue  # anyAttribute
            if (
                getattr(getattr(attribute, "qname", None), "namespace", None)
                in _ENCODING_NAMESPACES
            ):
                continue  # soapenc:arrayType and kin: zeep derives them itself
            if getattr(attribute, "required", False) or depth < OPTIONAL_DEPTH:
                values[name] = self.simple_value(attribute.type, getattr(attribute, "qname", None))
        return values

    def particle(self, name: str, particle: Any, depth: int) -> dict[str, Any]:
        kind = type(particle).__name__
        if kind == "Choice":
            options = list(particle.elements_nested) if hasattr(particle, "elements_nested") else []
            if not options:
                return {}
            option_name, option = options[0]
            return self.particle(option_name, option, depth)
        if kind in ("Sequence", "All", "Group"):
            merged: dict[str, Any] = {}
            for child_name, child in particle.elements_nested:
                merged.update(self.particle(child_name, child, depth))
            return merged
        if kind in ("Any", "AnyElement") or not hasattr(particle, "type"):
            if int(getattr(particle, "min_occurs", 0) or 0) < 1:
                return {}
            # a required wildcard: any element from the allowed namespace will do
            namespace = getattr(particle, "namespace", None)
            if not namespace or namespace.startswith("##"):
                namespace = "urn:intcheck:any"
            return {name: etree.Element(f"{{{namespace}}}value")}
        value = self.element_value(particle, depth)
        return {} if value is None else {name: value}

    def simple_value(self, xsd_type: Any, element_qname: Any = None) -> Any:
        """A python value for a simple type, honouring its facets."""
        item_type = getattr(xsd_type, "item_type", None)
        if item_type is not None:  # xs:list
            return [self.simple_value(item_type)]
        base = builtin_name(xsd_type)
        facets = self.facets.lookup(getattr(xsd_type, "qname", None), element_qname)
        text = self.text_for(base, facets, element_qname)
        try:
            return xsd_type.pythonvalue(text)
        except Exception:  # zeep's converters raise many types; the text itself still renders
            return text

    def text_for(self, base: str, facets: Facets, element_qname: Any = None) -> str:
        enumeration = facets.get("enumeration")
        if enumeration:
            return self.rng.choice(enumeration)
        patterns = facets.get("pattern")
        if patterns:
            made = generate_from_pattern(patterns[0], self.rng)
            if made is not None:
                return made
        if base in _NUMERIC:
            return _number(base, facets)
        if base in _SAMPLES:
            return _SAMPLES[base]
        name = getattr(element_qname, "localname", None) or "value"
        text = f"{name} {self.rng.randint(1, 999)}"
        return _fit_length(text, facets)


def _number(base: str, facets: Facets) -> str:
    try:
        value = Decimal(_SAMPLES[base])
        low = facets.first("minInclusive")
        low_ex = facets.first("minExclusive")
        high = facets.first("maxInclusive")
        high_ex = facets.first("maxExclusive")
        if low is not None:
            value = max(value, Decimal(low))
        if low_ex is not None and value <= Decimal(low_ex):
            value = Decimal(low_ex) + 1
        if high is not None:
            value = min(value, Decimal(high))
        if high_ex is not None and value >= Decimal(high_ex):
            value = Decimal(high_ex) - 1
    except InvalidOperation:
        return _SAMPLES[base]
    if base not in ("decimal", "float", "double"):
        return str(int(value))
    digits = facets.first("fractionDigits")
    if digits is not None:
        value = value.quantize(Decimal(1).scaleb(-int(digits)))
    return str(value)


def _fit_length(text: str, facets: Facets) -> str:
    exact = facets.first("length")
    low = int(exact or facets.first("minLength") or 0)
    high = int(exact or facets.first("maxLength") or 0)
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
    translated = _UNICODE_PROPERTY.sub("[A-Za-z]", pattern)
    for xsd_class, python_class in _XSD_CLASSES.items():
        translated = translated.replace(xsd_class, python_class)
    try:
        return re.compile(translated)
    except (re.error, ValueError):
        return None


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
