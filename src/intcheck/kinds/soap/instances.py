"""Instances of a WSDL's elements as lxml trees that validate against the WSDL's own XSD.

The mock builds every answer (payloads and fault details) here and the probe builds every
request here, from the same ``SchemaModel``. Values come from a ``Filler`` (the mock's dataset,
the probe's test data) where it offers one that fits; everything else is generated:

* an element or attribute with ``fixed`` gets that value, one with ``default`` gets the default;
* an abstract element is replaced by a member of its substitution group, an abstract type by a
  derived type named in ``xsi:type``;
* a choice takes the branch the filler has data for, else its first; occurrences stay within
  ``minOccurs``/``maxOccurs``; optional parts are generated only near the top, so recursive
  types stay finite;
* a required ``xs:any`` gets a declared global element when it is strict, a harmless one when
  it is lax or skip;
* ``xs:ID`` values are unique within the document and an ``xs:IDREF`` names one of them.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lxml import etree

from intcheck.cache import BoundedCache
from intcheck.kinds.soap.components import (
    XSI_NS,
    Attribute,
    ComplexType,
    Element,
    ElementUse,
    Group,
    Particle,
    SimpleType,
    Wildcard,
    XsdType,
    local_name,
)
from intcheck.kinds.soap.values import DocumentIds, SimpleValues, lexical
from intcheck.kinds.soap.xsd import SchemaModel

ANY_NS = "urn:intcheck:any"
NIL = object()
"""Offered for an element whose value is known to be absent: ``xsi:nil`` where allowed."""


@dataclass(frozen=True, slots=True)
class Offer:
    """Values for one simple element, tried in order; ``forced`` ones are used as they are."""

    values: tuple[Any, ...]
    forced: bool = False


class Filler(Protocol):
    """Where values come from: the mock's dataset records, the probe's test data."""

    def child(self, use: ElementUse, scope: Any) -> Sequence[Any] | None:
        """One value per occurrence of ``use`` inside ``scope`` (None: generate).

        A value is a scalar, an ``Offer`` or ``NIL`` for a simple element and the scope handed
        back for its children for a complex one; None inside the list generates that one.
        """
        ...

    def attribute(self, attribute: Attribute, scope: Any) -> Any:
        """A value for ``attribute`` of the element whose scope is ``scope``, or None."""
        ...

    def rendering_key(self, scope: Any) -> Hashable | None:
        """What an element built from ``scope`` depends on alone, when it may be kept and
        reused (a record at one version of the data); None: build it every time."""
        ...


@dataclass(slots=True)
class _Run:
    """One document being built."""

    filler: Filler | None
    ids: DocumentIds = field(default_factory=DocumentIds)


class InstanceBuilder:
    """Builds elements of one ``SchemaModel``; ``optional_depth`` bounds optional content."""

    def __init__(
        self,
        model: SchemaModel,
        values: SimpleValues,
        *,
        optional_depth: int = 3,
        max_depth: int = 10,
    ) -> None:
        self.model = model
        self.values = values
        self.optional_depth = optional_depth
        self.max_depth = max_depth
        # Elements built from a record, by (element, the filler's key for the record): an
        # answer's cost is mostly building them, and a record at one version of the data
        # always builds the same (the REST mock keeps rendered records the same way).
        self._kept: BoundedCache[tuple[int, Hashable], Any] = BoundedCache(8192)

    def element(
        self,
        element: Element,
        scope: Any = None,
        filler: Filler | None = None,
        *,
        ids: DocumentIds | None = None,
    ) -> Any:
        """One instance of the global ``element``; ``ids`` shares ID values with siblings."""
        run = _Run(filler, ids if ids is not None else DocumentIds())
        return self._element(element, scope, 0, run, None)

    def typed(
        self,
        tag: str,
        xsd_type: XsdType,
        scope: Any = None,
        filler: Filler | None = None,
        *,
        ids: DocumentIds | None = None,
    ) -> Any:
        """An element ``tag`` of type ``xsd_type``: an rpc part declared with ``type=``."""
        holder = Element(name=tag, type=xsd_type)
        return self.element(holder, scope, filler, ids=ids)

    # -- elements ------------------------------------------------------------------------------

    def _element(self, element: Element, value: Any, depth: int, run: _Run, parent: Any) -> Any:
        key = None
        if run.filler is not None and value is not None and value is not NIL:
            found = run.filler.rendering_key(value)
            if found is not None:
                key = (id(element), found)
                kept = self._kept.get(key)
                if kept is not None:
                    node = copy.deepcopy(kept)
                    if parent is not None:
                        parent.append(node)
                    return node
        ids_before = len(run.ids.given)
        node = self._build(element, value, depth, run, parent)
        if key is not None and len(run.ids.given) == ids_before:  # IDs must stay unique
            self._kept.put(key, copy.deepcopy(node), 64 * sum(1 for _ in node.iter()))
        return node

    def _build(self, element: Element, value: Any, depth: int, run: _Run, parent: Any) -> Any:
        if element.abstract:
            element = next(iter(self.model.substitutes(element)), element)
        xsd_type = element.type
        xsi_type = ""
        if isinstance(xsd_type, ComplexType) and xsd_type.abstract:
            derived = self.model.concrete_types(xsd_type)
            if derived:
                xsd_type, xsi_type = derived[0], derived[0].name
        nsmap = _type_nsmap(xsi_type)
        if parent is None:
            node = etree.Element(element.name, nsmap=nsmap or None)
        else:
            node = etree.SubElement(parent, element.name, nsmap=nsmap or None)
        if xsi_type:
            node.set(f"{{{XSI_NS}}}type", _prefixed(node, xsi_type))
        if value is NIL and element.nillable and element.fixed is None:
            node.set(f"{{{XSI_NS}}}nil", "true")
            if isinstance(xsd_type, ComplexType):
                self._attributes(node, xsd_type, None, run)
            return node
        if isinstance(xsd_type, SimpleType):
            node.text = self._text(element, xsd_type, value, run)
            return node
        if xsd_type.simple is not None:
            node.text = self._text(element, xsd_type.simple, value, run)
        elif element.fixed is not None and xsd_type.mixed:
            node.text = element.fixed
        elif xsd_type.content is not None and depth <= self.max_depth:
            self._group(node, xsd_type.content, value, depth, run)
        self._attributes(node, xsd_type, value, run)
        return node

    def _text(self, element: Element, stype: SimpleType, value: Any, run: _Run) -> str:
        if element.fixed is not None:
            return element.fixed
        offered: tuple[Any, ...] = ()
        forced = False
        if isinstance(value, Offer):
            offered, forced = value.values, value.forced
        elif value is not None and value is not NIL:
            offered = (value,)
        for candidate in offered:
            text = lexical(candidate, stype.builtin)
            if forced or self.values.fits(stype, text):
                return text
        if element.default is not None:
            return element.default
        return self.values.generate(stype, local_name(element.name), run.ids)

    def _attributes(self, node: Any, ctype: ComplexType, scope: Any, run: _Run) -> None:
        for attribute in ctype.attributes:
            if attribute.fixed is not None:
                node.set(attribute.name, attribute.fixed)
                continue
            offered = run.filler.attribute(attribute, scope) if run.filler is not None else None
            if offered is not None:
                text = lexical(offered, attribute.type.builtin)
                if self.values.fits(attribute.type, text):
                    node.set(attribute.name, text)
                    continue
            if attribute.required:
                name = local_name(attribute.name)
                node.set(attribute.name, self.values.generate(attribute.type, name, run.ids))

    # -- content -------------------------------------------------------------------------------

    def _group(self, node: Any, group: Group, scope: Any, depth: int, run: _Run) -> None:
        if group.max_occurs == 0:
            return
        times = group.min_occurs
        if times == 0 and (depth < self.optional_depth or self._offers(group, scope, run)):
            times = 1
        for _ in range(times):
            if group.kind == "choice":
                option = self._option(group, scope, run)
                if option is not None:
                    self._particle(node, option, scope, depth, run)
                continue
            for particle in group.particles:
                self._particle(node, particle, scope, depth, run)

    def _particle(self, node: Any, particle: Particle, scope: Any, depth: int, run: _Run) -> None:
        if isinstance(particle, Group):
            self._group(node, particle, scope, depth, run)
        elif isinstance(particle, Wildcard):
            for _ in range(particle.min_occurs):
                self._wildcard(node, particle, depth, run)
        else:
            for value in self._occurrences(particle, scope, depth, run):
                self._element(particle.element, value, depth + 1, run, node)

    def _occurrences(self, use: ElementUse, scope: Any, depth: int, run: _Run) -> list[Any]:
        offered = run.filler.child(use, scope) if run.filler is not None else None
        if offered is None:
            wanted = use.min_occurs
            if wanted == 0 and depth < self.optional_depth and use.max_occurs != 0:
                wanted = 1
            values: list[Any] = [None] * wanted
        else:
            values = list(offered)
            if use.max_occurs is not None:
                values = values[: use.max_occurs]
            values += [None] * (use.min_occurs - len(values))
        if depth >= self.max_depth:  # a required recursion cannot end validly: stop anyway
            values = values[: use.min_occurs] if depth == self.max_depth else []
        return values

    def _offers(self, group: Group, scope: Any, run: _Run) -> bool:
        """Whether the filler has data for any element directly in ``group``."""
        if run.filler is None:
            return False
        return any(
            isinstance(p, ElementUse) and run.filler.child(p, scope) for p in group.particles
        )

    def _option(self, choice: Group, scope: Any, run: _Run) -> Particle | None:
        """The branch of a choice to take: the first the filler has data for, else the first."""
        if not choice.particles:
            return None
        if run.filler is not None:
            for option in choice.particles:
                if isinstance(option, ElementUse) and run.filler.child(option, scope):
                    return option
        return choice.particles[0]

    def _wildcard(self, node: Any, wildcard: Wildcard, depth: int, run: _Run) -> None:
        allowed = _wildcard_namespaces(wildcard)
        if wildcard.process == "strict":
            for candidate in self.model.global_elements():
                namespace = _namespace(candidate.name)
                if not candidate.abstract and _allows(allowed, namespace, wildcard.target):
                    self._element(candidate, None, depth + 1, run, node)
                    return
        namespace = next(
            (ns for ns in (ANY_NS, "", wildcard.target) if _allows(allowed, ns, wildcard.target)),
            ANY_NS,
        )
        etree.SubElement(node, f"{{{namespace}}}intcheckAny" if namespace else "intcheckAny")


def _wildcard_namespaces(wildcard: Wildcard) -> tuple[str, ...]:
    return tuple(wildcard.namespace.split()) or ("##any",)


def _allows(allowed: tuple[str, ...], namespace: str, target: str) -> bool:
    for entry in allowed:
        if entry == "##any":
            return True
        if entry == "##other" and namespace not in (target, ""):
            return True
        if entry == "##local" and namespace == "":
            return True
        if entry == "##targetNamespace" and namespace == target:
            return True
        if entry == namespace:
            return True
    return False


def _namespace(clark: str) -> str:
    return clark[1:].partition("}")[0] if clark.startswith("{") else ""


def _type_nsmap(xsi_type: str) -> dict[str, str]:
    namespace = _namespace(xsi_type)
    return {"xt": namespace} if namespace else {}


def _prefixed(node: Any, clark: str) -> str:
    """A QName value for ``clark`` with a prefix in scope at ``node``."""
    namespace = _namespace(clark)
    if not namespace:
        return local_name(clark)
    prefix = next((p for p, ns in node.nsmap.items() if ns == namespace and p), "xt")
    return f"{prefix}:{local_name(clark)}"
