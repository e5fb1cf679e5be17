"""A SOAP contract compiled once into the one operation model the mock and the probe share.

Mock and probe used to walk the WSDL each their own way and disagreed about it: the probe
expected an rpc answer named after the output *message*, the mock answered with the WS-I
wrapper. ``SoapModel.compile`` reads zeep's view of the WSDL once and keeps, per SOAP 1.1/1.2
binding and operation, everything either side needs: version, style, action, the Body element
or rpc wrapper of each direction, the parts, the declared faults and headers; per port its
address. The schemas come along as ``SchemaModel`` (to build instances) and ``SchemaSet`` (to
validate them with libxml2).

rpc/literal wrappers follow WS-I Basic Profile: the request wrapper is the operation's name,
the response wrapper the operation's name plus ``Response`` (R2729), both in the namespace of
the binding's ``soap:body namespace=`` (R2717). No schema declares them, so each gets a
declaration in a namespace of intcheck's own, against which a copy of the wrapper is validated.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from intcheck.kinds.soap.components import (
    ComplexType,
    Element,
    ElementUse,
    Group,
    SimpleType,
    local_name,
)
from intcheck.kinds.soap.documents import SOAP11_BINDING_NS, SOAP12_BINDING_NS, XSD_NS, SpecFiles
from intcheck.kinds.soap.envelope import SOAP11, SOAP12, SoapVersion
from intcheck.kinds.soap.instances import Filler, InstanceBuilder
from intcheck.kinds.soap.schemas import SchemaSet
from intcheck.kinds.soap.values import DocumentIds, SimpleValues
from intcheck.kinds.soap.xsd import SchemaModel

if TYPE_CHECKING:
    from intcheck.model import Contract

RPC_NS = "urn:intcheck:rpc-wrappers"


@dataclass(frozen=True, slots=True)
class Part:
    """One message part as it travels: a global element, or an rpc accessor of a type."""

    name: str
    tag: str  # Clark name of the element on the wire
    element: str = ""  # the global element it is (Clark name), or
    type: str = ""  # the type of an rpc accessor declared with type=


@dataclass(frozen=True, slots=True)
class Message:
    """The Body of one direction of an operation."""

    parts: tuple[Part, ...]
    wrapper: str = ""  # rpc: Clark name of the wrapper element
    declaration: str = ""  # rpc: the element in RPC_NS that validates the wrapper's content
    headers: tuple[str, ...] = ()  # Clark names of the header elements declared

    @property
    def body_tag(self) -> str:
        """The first Body child a message carries ("" when it carries none)."""
        if self.wrapper:
            return self.wrapper
        return self.parts[0].tag if self.parts else ""


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault the WSDL declares for an operation, with the element its detail carries."""

    name: str
    element: str  # Clark name; "" when the fault message names no element


@dataclass(frozen=True, slots=True)
class SoapOperation:
    """One operation of one binding, as the wire sees it."""

    name: str
    binding: str  # local name of the wsdl:binding
    version: SoapVersion
    style: str  # document | rpc
    encoded: bool  # use="encoded": bodies follow SOAP encoding, not the literal schema
    action: str
    input: Message
    output: Message | None  # None: one-way
    faults: tuple[Fault, ...]


@dataclass(frozen=True, slots=True)
class Port:
    """A wsdl:port: where a binding's operations are sent."""

    name: str
    label: str  # soap11 | soap12, or the port name when two ports share a version
    version: SoapVersion
    address: str
    operations: Mapping[str, SoapOperation]


class SoapModel:
    """Everything the SOAP kind knows about one contract's WSDL; build once per contract."""

    def __init__(
        self,
        files: SpecFiles,
        operations: tuple[SoapOperation, ...],
        ports: tuple[Port, ...],
    ) -> None:
        self.files = files
        self.operations = operations
        self.ports = ports
        self.types = SchemaModel(files)
        self.schemas = SchemaSet.build(files, [_wrapper_schema(operations)])
        self._roots: dict[Message, tuple[Element, ...]] = {}

    @classmethod
    def compile(cls, contract: Contract) -> SoapModel:
        """The model of ``contract``'s WSDL (loaded by zeep when the plan was read)."""
        if contract.document is None or contract.spec is None:
            raise ValueError(f"contract {contract.name!r} has no loaded WSDL")
        files = SpecFiles.collect(Path(contract.spec))
        operations = _operations(contract.document, _encoded_operations(files))
        return cls(files, operations, _ports(contract.document, operations))

    def builder(self, rng: random.Random, *, optional_depth: int = 3) -> InstanceBuilder:
        """An instance builder over this contract's schemas."""
        values = SimpleValues(rng, first=optional_depth == 0)
        return InstanceBuilder(self.types, values, optional_depth=optional_depth)

    def roots(self, message: Message) -> tuple[Element, ...]:
        """The elements the Body of ``message`` holds: its parts, or the rpc wrapper of them."""
        known = self._roots.get(message)
        if known is not None:
            return known
        parts = [self._part_element(part) for part in message.parts]
        if message.wrapper:
            content = Group("sequence", [ElementUse(element) for element in parts])
            parts = [Element(name=message.wrapper, type=ComplexType(content=content))]
        self._roots[message] = tuple(parts)
        return tuple(parts)

    def _part_element(self, part: Part) -> Element:
        found = self.types.element(part.element) if part.element else None
        if found is not None:
            return found
        return Element(
            name=part.tag, type=self.types.type(part.type) if part.type else SimpleType()
        )

    def build_body(
        self, builder: InstanceBuilder, message: Message, scope: Any, filler: Filler | None
    ) -> list[Any]:
        """The Body children of ``message``, filled from ``scope`` by ``filler``."""
        ids = DocumentIds()
        return [builder.element(root, scope, filler, ids=ids) for root in self.roots(message)]

    def errors(self, message: Message, element: Any) -> list[str]:
        """Why the Body child ``element`` breaks the schema (``[]`` when it is valid)."""
        if not message.wrapper:
            return self.schemas.errors(element)
        # validate the wrapper's children in a declared stand-in, then name the real wrapper
        stand_in = etree.Element(f"{{{RPC_NS}}}{message.declaration}", nsmap=element.nsmap)
        stand_in.extend(etree.fromstring(etree.tostring(element)).iterchildren())
        shown = etree.QName(element).localname
        return [
            error.replace(etree.QName(stand_in).text, shown)
            for error in self.schemas.errors(stand_in)
        ]


def _operations(document: Any, encoded: set[tuple[str, str]]) -> tuple[SoapOperation, ...]:
    found: list[SoapOperation] = []
    for binding in document.bindings.values():
        kind = type(binding).__name__
        if kind not in ("Soap11Binding", "Soap12Binding"):
            continue
        version = SOAP12 if kind == "Soap12Binding" else SOAP11
        binding_name = etree.QName(binding.name).localname
        for name, operation in binding._operations.items():
            index = len(found)
            output = operation.output
            found.append(
                SoapOperation(
                    name=name,
                    binding=binding_name,
                    version=version,
                    style=operation.style or "document",
                    encoded=(binding_name, name) in encoded,
                    action=operation.soapaction or "",
                    input=_message(operation, operation.input, name, f"in{index}"),
                    output=(
                        _message(operation, output, name + "Response", f"out{index}")
                        if output is not None
                        else None
                    ),
                    faults=_faults(operation),
                )
            )
    return tuple(found)


def _message(operation: Any, message: Any, wrapper_name: str, declaration: str) -> Message:
    headers = tuple(
        element.qname.text
        for _, element in getattr(getattr(message.header, "type", None), "elements", [])
        if element.qname is not None
    )
    parts: list[Part] = []
    for part_name, part in message.abstract.parts.items():
        if part.element is not None:
            tag = part.element.qname.text
            if tag in headers:
                continue
            parts.append(Part(name=part_name, tag=tag, element=tag))
        elif part.type is not None:
            type_name = part.type.qname.text if part.type.qname is not None else ""
            parts.append(Part(name=part_name, tag=part_name, type=type_name))
    if operation.style != "rpc":
        return Message(parts=tuple(parts), headers=headers)
    body = message.body
    namespace = (body.qname.namespace if body is not None and body.qname is not None else "") or ""
    wrapper = f"{{{namespace}}}{wrapper_name}" if namespace else wrapper_name
    return Message(parts=tuple(parts), wrapper=wrapper, declaration=declaration, headers=headers)


def _faults(operation: Any) -> tuple[Fault, ...]:
    found = []
    for name, fault in operation.faults.items():
        element = next(
            (p.element.qname.text for p in fault.abstract.parts.values() if p.element is not None),
            "",
        )
        found.append(Fault(name=name, element=element))
    return tuple(found)


def _ports(document: Any, operations: tuple[SoapOperation, ...]) -> tuple[Port, ...]:
    found: list[tuple[str, SoapVersion, str, str]] = []
    for service in document.services.values():
        for port in service.ports.values():
            kind = type(port.binding).__name__
            if kind not in ("Soap11Binding", "Soap12Binding"):
                continue
            version = SOAP12 if kind == "Soap12Binding" else SOAP11
            address = port.binding_options.get("address") or "/"
            found.append((port.name, version, etree.QName(port.binding.name).localname, address))
    labels = [("soap12" if version is SOAP12 else "soap11") for _, version, _, _ in found]
    return tuple(
        Port(
            name=name,
            label=label if labels.count(label) == 1 else name,
            version=version,
            address=address,
            operations={op.name: op for op in operations if op.binding == binding},
        )
        for (name, version, binding, address), label in zip(found, labels, strict=True)
    )


def _encoded_operations(files: SpecFiles) -> set[tuple[str, str]]:
    """(binding local name, operation) pairs whose messages use SOAP encoding."""
    found = set()
    for doc in files.docs.values():
        if not doc.is_wsdl:
            continue
        for ns in (SOAP11_BINDING_NS, SOAP12_BINDING_NS):
            for body in doc.root.iter(f"{{{ns}}}body"):
                if body.get("use") != "encoded":
                    continue
                operation = body.getparent().getparent()
                binding = operation.getparent()
                found.add((binding.get("name", ""), operation.get("name", "")))
    return found


def _wrapper_schema(operations: tuple[SoapOperation, ...]) -> Any:
    """Declarations of the rpc wrappers' content, which no schema of the WSDL declares."""
    prefixes: dict[str, str] = {}

    def qname(clark: str) -> str:
        namespace = clark[1:].partition("}")[0] if clark.startswith("{") else ""
        if namespace not in prefixes:
            prefixes[namespace] = f"p{len(prefixes)}"
        return f"{prefixes[namespace]}:{local_name(clark)}" if namespace else local_name(clark)

    declarations: list[tuple[str, list[tuple[str, str, str]]]] = []
    for op in operations:
        for message in (op.input, op.output):
            if message is None or not message.wrapper:
                continue
            parts = [
                ("ref", qname(part.element), "")
                if part.element
                else ("name", part.tag, qname(part.type) if part.type else "xs:anyType")
                for part in message.parts
            ]
            declarations.append((message.declaration, parts))
    nsmap = {"xs": XSD_NS} | {prefix: ns for ns, prefix in prefixes.items() if ns}
    schema = etree.Element(f"{{{XSD_NS}}}schema", nsmap=nsmap, targetNamespace=RPC_NS)
    for namespace in prefixes:
        if namespace and namespace != XSD_NS:
            etree.SubElement(schema, f"{{{XSD_NS}}}import", namespace=namespace)
    for declaration, parts in declarations:
        element = etree.SubElement(schema, f"{{{XSD_NS}}}element", name=declaration)
        sequence = etree.SubElement(
            etree.SubElement(element, f"{{{XSD_NS}}}complexType"), f"{{{XSD_NS}}}sequence"
        )
        for how, first, second in parts:
            if how == "ref":
                etree.SubElement(sequence, f"{{{XSD_NS}}}element", ref=first)
            else:
                etree.SubElement(sequence, f"{{{XSD_NS}}}element", name=first, type=second)
    return schema


def _nsmap(clark: str) -> dict[str, str] | None:
    namespace = clark[1:].partition("}")[0] if clark.startswith("{") else ""
    return {"ns": namespace} if namespace else None
