"""The XSD components an instance is built from: elements, types, groups, attributes.

``SchemaModel`` (``xsd.py``) reads a WSDL's schema documents into these. They form a graph with
cycles (a folder holds folders), which is why they are mutable slotted classes rather than
frozen dataclasses: a node is registered before its content is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(slots=True, eq=False)
class SimpleType:
    """A simple type: the built-in it derives from and every facet along the way."""

    builtin: str = "string"  # local name of the XSD built-in at the root of the derivation
    facets: dict[str, str] = field(default_factory=dict)  # the most derived value of each
    enumeration: tuple[str, ...] = ()  # the most derived step's list; () when unrestricted
    patterns: tuple[tuple[str, ...], ...] = ()  # per step: one of each step must match
    item: SimpleType | None = None  # xs:list
    members: tuple[SimpleType, ...] = ()  # xs:union
    name: str = ""


@dataclass(slots=True, eq=False)
class Attribute:
    name: str  # Clark name when qualified
    type: SimpleType
    required: bool = False
    fixed: str | None = None
    default: str | None = None


@dataclass(slots=True, eq=False)
class ComplexType:
    """Content (a model group) and attributes, with extension and restriction applied."""

    name: str = ""
    content: Group | None = None
    attributes: list[Attribute] = field(default_factory=list)
    simple: SimpleType | None = None  # simple content: the type of the text
    mixed: bool = False
    abstract: bool = False
    any_content: bool = False  # xs:anyType: any content at all


@dataclass(slots=True, eq=False)
class Element:
    name: str  # Clark name on the wire
    type: SimpleType | ComplexType
    nillable: bool = False
    fixed: str | None = None
    default: str | None = None
    abstract: bool = False
    is_global: bool = False


@dataclass(slots=True, eq=False)
class ElementUse:
    """An element where a model group places it, with the occurrences allowed there."""

    element: Element
    min_occurs: int = 1
    max_occurs: int | None = 1  # None: unbounded


@dataclass(slots=True, eq=False)
class Wildcard:
    """``xs:any``: ``namespace`` as written, resolved against ``target``."""

    namespace: str
    target: str
    process: str = "strict"
    min_occurs: int = 1
    max_occurs: int | None = 1


@dataclass(slots=True, eq=False)
class Group:
    kind: str  # sequence | choice | all
    particles: list[Particle] = field(default_factory=list)
    min_occurs: int = 1
    max_occurs: int | None = 1


Particle = ElementUse | Wildcard | Group
XsdType = SimpleType | ComplexType


def element_uses(content: Group | None) -> Iterator[ElementUse]:
    """Every element a content model may hold, nested groups flattened, in order."""
    if content is None:
        return
    for particle in content.particles:
        if isinstance(particle, ElementUse):
            yield particle
        elif isinstance(particle, Group):
            yield from element_uses(particle)


def local_name(clark: str) -> str:
    return clark.rpartition("}")[2]


def namespace_of(clark: str) -> str:
    return clark[1:].partition("}")[0] if clark.startswith("{") else ""


def clark(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}" if namespace else local
