"""The WSDL's XML Schemas as declarations the SOAP kind builds instances from.

zeep reads schemas for a client: it keeps no facets, no ``fixed`` values, no substitution groups
and no abstract types, so answers built from its types broke the WSDL's own XSD. ``SchemaModel``
reads the documents ``SpecFiles`` collected (every file, every embedded ``xs:schema``) into
plain declarations: elements with their occurrences, ``fixed``/``default`` and substitutes,
complex types flattened through extension and restriction, simple types with every facet of
their derivation, groups and attribute groups resolved. Components compile on first use and are
kept, so recursive types cost one compile each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from intcheck.kinds.soap.components import (
    Attribute,
    ComplexType,
    Element,
    ElementUse,
    Group,
    Particle,
    SimpleType,
    Wildcard,
    XsdType,
    clark,
    local_name,
    namespace_of,
)
from intcheck.kinds.soap.documents import XSD_NS, SpecFiles

_X = f"{{{XSD_NS}}}"
_MODEL_GROUPS = ("sequence", "choice", "all")
_FACETS = (
    "length",
    "minLength",
    "maxLength",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "totalDigits",
    "fractionDigits",
)


@dataclass(frozen=True, slots=True)
class _Ctx:
    """What a schema document says about the names declared in it."""

    tns: str
    qualified_elements: bool
    qualified_attributes: bool


class SchemaModel:
    """Every global component of a WSDL's schemas, by Clark name, compiled on first use."""

    def __init__(self, files: SpecFiles) -> None:
        self._decls: dict[tuple[str, str], tuple[Any, _Ctx]] = {}
        # compiled components by their declaration node (lxml elements hash by identity)
        self._elements: dict[Any, Element] = {}
        self._complex_types: dict[Any, ComplexType] = {}
        self._simple_types: dict[Any, SimpleType] = {}
        self._members: dict[str, list[str]] = {}  # substitution group head -> members
        self._derived: dict[str, list[str]] = {}  # named type -> named types derived from it
        chameleon = _chameleon_namespaces(files)
        for key, doc in files.docs.items():
            for schema in _schemas(doc.root):
                tns = schema.get("targetNamespace") or chameleon.get(key, "")
                ctx = _Ctx(
                    tns=tns,
                    qualified_elements=schema.get("elementFormDefault") == "qualified",
                    qualified_attributes=schema.get("attributeFormDefault") == "qualified",
                )
                self._index(schema, ctx)

    def _index(self, schema: Any, ctx: _Ctx) -> None:
        for node in schema.iterchildren(f"{_X}*"):
            local = etree.QName(node).localname
            name = node.get("name")
            if local == "redefine":
                self._index(node, ctx)
                continue
            if not name:
                continue
            qualified = clark(ctx.tns, name)
            kind = "type" if local in ("complexType", "simpleType") else local
            self._decls.setdefault((kind, qualified), (node, ctx))
            if local == "element" and node.get("substitutionGroup"):
                head = self._ref(node, node.get("substitutionGroup"), ctx)
                self._members.setdefault(head, []).append(qualified)
            if local == "complexType":
                for derivation in node.iterfind(f"{_X}complexContent/*"):
                    if derivation.get("base"):
                        base = self._ref(derivation, derivation.get("base"), ctx)
                        self._derived.setdefault(base, []).append(qualified)

    # -- lookups -------------------------------------------------------------------------------

    def element(self, name: str) -> Element | None:
        """The global element ``name`` (Clark notation), or None when no schema declares it."""
        found = self._decls.get(("element", name))
        return self._global_element(*found) if found is not None else None

    def type(self, name: str) -> XsdType:
        """The named type ``name``; built-ins and undeclared names read as plain strings."""
        namespace, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        if namespace == XSD_NS:
            return _builtin(local)
        found = self._decls.get(("type", name))
        if found is None:
            return SimpleType(name=name)
        node, ctx = found
        if etree.QName(node).localname == "complexType":
            return self._complex(node, ctx, name)
        return self._simple(node, ctx, name)

    def declares(self, name: str) -> bool:
        return ("element", name) in self._decls

    def substitutes(self, element: Element) -> list[Element]:
        """The elements that may stand where ``element`` is used: itself unless abstract, and
        every non-abstract member of its substitution group."""
        found = [] if element.abstract else [element]
        pending, seen = list(self._members.get(element.name, ())), {element.name}
        while pending:
            name = pending.pop(0)
            if name in seen:
                continue
            seen.add(name)
            member = self.element(name)
            if member is not None and not member.abstract:
                found.append(member)
            pending.extend(self._members.get(name, ()))
        return found

    def concrete_types(self, xsd_type: ComplexType) -> list[ComplexType]:
        """Non-abstract named types derived from ``xsd_type`` (for ``xsi:type``), nearest first."""
        found: list[ComplexType] = []
        pending, seen = list(self._derived.get(xsd_type.name, ())), {xsd_type.name}
        while pending:
            name = pending.pop(0)
            if name in seen:
                continue
            seen.add(name)
            derived = self.type(name)
            if isinstance(derived, ComplexType) and not derived.abstract:
                found.append(derived)
            pending.extend(self._derived.get(name, ()))
        return found

    def global_elements(self, namespace: str | None = None) -> Iterator[Element]:
        """Global elements (of ``namespace`` when given), in document order."""
        for kind, name in list(self._decls):
            if kind != "element":
                continue
            if namespace is not None and namespace_of(name) != namespace:
                continue
            element = self.element(name)
            if element is not None:
                yield element

    # -- compiling ------------------------------------------------------------------------------

    def _ref(self, node: Any, value: str, ctx: _Ctx) -> str:
        """A QName-valued attribute as a Clark name, resolved with the prefixes in scope."""
        prefix, _, local = value.strip().rpartition(":")
        namespace = node.nsmap.get(prefix or None) or ""
        if not namespace and not prefix and ctx.tns and not node.nsmap.get(None):
            namespace = _chameleon_default(node, ctx)
        return clark(namespace, local)

    def _global_element(self, node: Any, ctx: _Ctx) -> Element:
        known = self._elements.get(node)
        if known is None:
            known = self._element(node, ctx, clark(ctx.tns, node.get("name")), is_global=True)
        return known

    def _element(self, node: Any, ctx: _Ctx, name: str, *, is_global: bool = False) -> Element:
        element = Element(
            name=name,
            type=SimpleType(),
            nillable=node.get("nillable") in ("true", "1"),
            fixed=node.get("fixed"),
            default=node.get("default"),
            abstract=node.get("abstract") in ("true", "1"),
            is_global=is_global,
        )
        self._elements[node] = element  # before the type: it may contain this very element
        inline = _first_child(node, "complexType", "simpleType")
        if node.get("type"):
            element.type = self.type(self._ref(node, node.get("type"), ctx))
        elif inline is not None:
            element.type = self._anonymous(inline, ctx)
        elif node.get("substitutionGroup"):
            head = self.element(self._ref(node, node.get("substitutionGroup"), ctx))
            element.type = head.type if head is not None else _any_type()
        else:
            element.type = _any_type()
        return element

    def _anonymous(self, node: Any, ctx: _Ctx) -> XsdType:
        if etree.QName(node).localname == "complexType":
            return self._complex(node, ctx, "")
        return self._simple(node, ctx, "")

    def _complex(self, node: Any, ctx: _Ctx, name: str) -> ComplexType:
        known = self._complex_types.get(node)
        if known is not None:
            return known
        result = ComplexType(
            name=name,
            mixed=node.get("mixed") in ("true", "1"),
            abstract=node.get("abstract") in ("true", "1"),
        )
        self._complex_types[node] = result
        content_node = _first_child(node, "complexContent", "simpleContent")
        if content_node is None:
            result.content = self._content(node, ctx)
            result.attributes = self._attributes(node, ctx)
            return result
        if content_node.get("mixed") in ("true", "1"):
            result.mixed = True
        derivation = _first_child(content_node, "extension", "restriction")
        if derivation is None:
            return result
        base = self.type(self._ref(derivation, derivation.get("base", "xs:anyType"), ctx))
        base_attributes = base.attributes if isinstance(base, ComplexType) else []
        own = self._attributes(derivation, ctx)
        extends = etree.QName(derivation).localname == "extension"
        if etree.QName(content_node).localname == "simpleContent":
            text = base.simple if isinstance(base, ComplexType) else base
            text = text or SimpleType()
            result.simple = text if extends else self._restrict(text, derivation, ctx, "")
        else:
            own_content = self._content(derivation, ctx)
            base_content = base.content if isinstance(base, ComplexType) else None
            if not extends:  # a restriction restates the whole content (none: empty)
                result.content = own_content
            elif base_content is not None and own_content is not None:
                result.content = Group("sequence", [base_content, own_content])
            else:
                result.content = base_content or own_content
                result.mixed = result.mixed or bool(getattr(base, "mixed", False))
        result.attributes = _merge_attributes(base_attributes, own, derivation)
        return result

    def _content(self, node: Any, ctx: _Ctx) -> Group | None:
        child = _first_child(node, *_MODEL_GROUPS, "group")
        if child is None:
            return None
        particle = self._particle(child, ctx)
        if isinstance(particle, Group):
            return particle
        return Group("sequence", [particle]) if particle is not None else None

    def _particle(self, node: Any, ctx: _Ctx) -> Particle | None:
        local = etree.QName(node).localname
        low, high = _occurs(node)
        if local == "element":
            if node.get("ref"):
                target = self.element(self._ref(node, node.get("ref"), ctx))
                if target is None:
                    return None
                return ElementUse(target, low, high)
            qualified = node.get("form", "qualified" if ctx.qualified_elements else "")
            name = clark(ctx.tns if qualified == "qualified" else "", node.get("name", ""))
            known = self._elements.get(node)
            element = known if known is not None else self._element(node, ctx, name)
            return ElementUse(element, low, high)
        if local == "any":
            return Wildcard(
                namespace=node.get("namespace", "##any"),
                target=ctx.tns,
                process=node.get("processContents", "strict"),
                min_occurs=low,
                max_occurs=high,
            )
        if local == "group":
            found = self._decls.get(("group", self._ref(node, node.get("ref", ""), ctx)))
            if found is None:
                return None
            inner = self._content(*found)
            if inner is None:
                return None
            return Group(inner.kind, inner.particles, low, high)
        if local in _MODEL_GROUPS:
            particles = [self._particle(child, ctx) for child in node.iterchildren(f"{_X}*")]
            return Group(local, [p for p in particles if p is not None], low, high)
        return None

    def _attributes(self, node: Any, ctx: _Ctx) -> list[Attribute]:
        found: list[Attribute] = []
        for child in node.iterchildren(f"{_X}attribute", f"{_X}attributeGroup"):
            if etree.QName(child).localname == "attributeGroup":
                group = self._decls.get(
                    ("attributeGroup", self._ref(child, child.get("ref", ""), ctx))
                )
                if group is not None:
                    found.extend(self._attributes(*group))
                continue
            if child.get("use") == "prohibited":
                continue
            declared, declared_ctx = child, ctx
            if child.get("ref"):
                name = self._ref(child, child.get("ref"), ctx)
                target = self._decls.get(("attribute", name))
                if target is not None:
                    declared, declared_ctx = target
            else:
                qualified = child.get("form", "qualified" if ctx.qualified_attributes else "")
                name = clark(ctx.tns if qualified == "qualified" else "", child.get("name", ""))
            found.append(
                Attribute(
                    name=name,
                    type=self._attribute_type(declared, declared_ctx),
                    required=child.get("use") == "required",
                    fixed=child.get("fixed", declared.get("fixed")),
                    default=child.get("default", declared.get("default")),
                )
            )
        return found

    def _attribute_type(self, node: Any, ctx: _Ctx) -> SimpleType:
        if node.get("type"):
            found = self.type(self._ref(node, node.get("type"), ctx))
            return found if isinstance(found, SimpleType) else SimpleType()
        inline = _first_child(node, "simpleType")
        return self._simple(inline, ctx, "") if inline is not None else SimpleType()

    def _simple(self, node: Any, ctx: _Ctx, name: str) -> SimpleType:
        known = self._simple_types.get(node)
        if known is not None:
            return known
        result = SimpleType(name=name)
        self._simple_types[node] = result
        derivation = _first_child(node, "restriction", "list", "union")
        if derivation is None:
            return result
        local = etree.QName(derivation).localname
        if local == "restriction":
            base = self._simple_base(derivation, ctx)
            _copy_into(result, self._restrict(base, derivation, ctx, name))
        elif local == "list":
            result.builtin = "list"
            result.item = self._simple_base(derivation, ctx, attribute="itemType")
        else:
            members = [self._as_simple(self._ref(derivation, m, ctx)) for m in _words(derivation)]
            members += [
                self._simple(inline, ctx, "")
                for inline in derivation.iterchildren(f"{_X}simpleType")
            ]
            result.builtin = "union"
            result.members = tuple(members)
        return result

    def _simple_base(self, node: Any, ctx: _Ctx, attribute: str = "base") -> SimpleType:
        if node.get(attribute):
            return self._as_simple(self._ref(node, node.get(attribute), ctx))
        inline = _first_child(node, "simpleType")
        return self._simple(inline, ctx, "") if inline is not None else SimpleType()

    def _as_simple(self, name: str) -> SimpleType:
        found = self.type(name)
        if isinstance(found, ComplexType):
            return found.simple or SimpleType()
        return found

    def _restrict(self, base: SimpleType, node: Any, ctx: _Ctx, name: str) -> SimpleType:
        """``base`` narrowed by the facets written on ``node`` (an xs:restriction)."""
        inline = _first_child(node, "simpleType")
        if inline is not None:  # simpleContent restriction may give its own base inline
            base = self._simple(inline, ctx, "")
        facets = dict(base.facets)
        enumeration: list[str] = []
        patterns: list[str] = []
        for child in node.iterchildren(f"{_X}*"):
            local, value = etree.QName(child).localname, child.get("value")
            if value is None:
                continue
            if local == "enumeration":
                enumeration.append(value)
            elif local == "pattern":
                patterns.append(value)
            elif local in _FACETS:
                facets[local] = value
        return SimpleType(
            builtin=base.builtin,
            facets=facets,
            enumeration=tuple(enumeration) or base.enumeration,
            patterns=base.patterns + ((tuple(patterns),) if patterns else ()),
            item=base.item,
            members=base.members,
            name=name,
        )


def _builtin(local: str) -> XsdType:
    if local == "anyType":
        return _any_type()
    return SimpleType(builtin="string" if local == "anySimpleType" else local, name=local)


def _any_type() -> ComplexType:
    return ComplexType(name=f"{{{XSD_NS}}}anyType", mixed=True, any_content=True)


def _first_child(node: Any, *locals_: str) -> Any:
    for child in node.iterchildren(*(f"{_X}{local}" for local in locals_)):
        return child
    return None


def _occurs(node: Any) -> tuple[int, int | None]:
    low = int(node.get("minOccurs", "1"))
    high_text = node.get("maxOccurs", "1")
    return low, None if high_text == "unbounded" else int(high_text)


def _words(node: Any) -> list[str]:
    return (node.get("memberTypes") or "").split()


def _merge_attributes(base: list[Attribute], own: list[Attribute], node: Any) -> list[Attribute]:
    """Attributes of a derived type: the base's, overridden by name, less the prohibited."""
    prohibited = set()
    for child in node.iterchildren(f"{_X}attribute"):
        if child.get("use") == "prohibited":
            prohibited.add(child.get("name") or child.get("ref", "").rpartition(":")[2])
    mine = {attribute.name for attribute in own}
    kept = [a for a in base if a.name not in mine and local_name(a.name) not in prohibited]
    return kept + own


def _copy_into(target: SimpleType, source: SimpleType) -> None:
    target.builtin, target.facets = source.builtin, source.facets
    target.enumeration, target.patterns = source.enumeration, source.patterns
    target.item, target.members = source.item, source.members


def _schemas(root: Any) -> Iterator[Any]:
    if root.tag == f"{_X}schema":
        yield root
    else:
        yield from root.iter(f"{_X}schema")


def _chameleon_namespaces(files: SpecFiles) -> dict[str, str]:
    """Keys of schema files without a target namespace that an ``xs:include`` adopts."""
    adopted: dict[str, str] = {}
    for doc in files.docs.values():
        for schema in _schemas(doc.root):
            tns = schema.get("targetNamespace", "")
            for include in schema.iterchildren(f"{_X}include", f"{_X}redefine"):
                key = doc.links.get(include.get("schemaLocation", ""))
                if key is not None and tns:
                    adopted.setdefault(key, tns)
    return adopted


def _chameleon_default(node: Any, ctx: _Ctx) -> str:
    """A chameleon schema's unprefixed references name its adopted namespace."""
    schema = next((a for a in node.iterancestors(f"{_X}schema")), None)
    if schema is not None and not schema.get("targetNamespace"):
        return ctx.tns
    return ""
