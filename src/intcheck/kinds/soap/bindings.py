"""The operations of a WSDL as they appear on the wire: version, action, Body element.

Each SOAP 1.1 or 1.2 binding contributes one ``BoundOp`` per operation. rpc/literal requests
carry a wrapper element no schema declares, so ``rpc_schema`` declares one per operation (in a
namespace of intcheck's own) for lxml to validate the parts against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from intcheck.kinds.soap.documents import SOAP11_BINDING_NS, SOAP12_BINDING_NS, XSD_NS, SpecFiles
from intcheck.kinds.soap.envelope import SOAP11, SOAP12, SoapVersion

RPC_NS = "urn:intcheck:rpc-wrappers"
# WS-Security and WS-Addressing blocks: accepted without checking, as a permissive server would
_UNDERSTOOD_HEADER_PREFIXES = (
    "http://docs.oasis-open.org/wss/",
    "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "http://www.w3.org/2005/08/addressing",
)


@dataclass(slots=True)
class BoundOp:
    """An operation of one binding, with what identifies it on the wire."""

    name: str
    operation: Any  # zeep SoapOperation
    version: SoapVersion
    action: str
    body_tag: str  # Clark name of the first Body child a request carries, "" if none
    rpc_wrapper: str = ""  # element name validating an rpc wrapper in RPC_NS
    encoded: bool = False


def bound_operations(document: Any, files: SpecFiles) -> list[BoundOp]:
    """Every operation of every SOAP binding of a zeep ``Document``, in binding order."""
    encoded = _encoded_operations(files)
    found: list[BoundOp] = []
    for binding in document.bindings.values():
        kind = type(binding).__name__
        if kind not in ("Soap11Binding", "Soap12Binding"):
            continue
        version = SOAP12 if kind == "Soap12Binding" else SOAP11
        for name, operation in binding._operations.items():
            message = operation.input
            body = getattr(message, "body", None)
            tag = ""
            if body is not None and getattr(message, "_is_body_wrapped", False):
                first_part = next(iter(body.type.elements), None)
                tag = (
                    first_part[1].qname.text
                    if first_part and first_part[1].qname is not None
                    else ""
                )
            elif body is not None and body.qname is not None:
                tag = body.qname.text
            found.append(
                BoundOp(
                    name=name,
                    operation=operation,
                    version=version,
                    action=operation.soapaction or "",
                    body_tag=tag,
                    rpc_wrapper=f"op{len(found)}" if operation.style == "rpc" else "",
                    encoded=(etree.QName(binding.name).localname, name) in encoded,
                )
            )
    return found


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


def rpc_schema(ops: list[BoundOp]) -> Any:
    """Element declarations for rpc/literal wrappers, which no schema of the WSDL declares."""
    prefixes: dict[str, str] = {}

    def qname(value: Any) -> str:
        namespace = value.namespace or ""
        if namespace not in prefixes:
            prefixes[namespace] = f"p{len(prefixes)}"
        return f"{prefixes[namespace]}:{value.localname}"

    declarations: list[tuple[str, list[tuple[str, str, str]]]] = []
    for op in ops:
        if not op.rpc_wrapper or op.encoded:
            continue
        parts: list[tuple[str, str, str]] = []
        for part_name, part in op.operation.input.abstract.parts.items():
            if part.element is not None:
                parts.append(("ref", qname(part.element.qname), ""))
            elif part.type is not None and part.type.qname is not None:
                parts.append(("name", part_name, qname(part.type.qname)))
        declarations.append((op.rpc_wrapper, parts))
    nsmap = {"xs": XSD_NS} | {prefix: ns for ns, prefix in prefixes.items() if ns}
    schema = etree.Element(f"{{{XSD_NS}}}schema", nsmap=nsmap, targetNamespace=RPC_NS)
    for namespace in prefixes:
        if namespace and namespace != XSD_NS:
            etree.SubElement(schema, f"{{{XSD_NS}}}import", namespace=namespace)
    for wrapper, parts in declarations:
        element = etree.SubElement(schema, f"{{{XSD_NS}}}element", name=wrapper)
        sequence = etree.SubElement(
            etree.SubElement(element, f"{{{XSD_NS}}}complexType"), f"{{{XSD_NS}}}sequence"
        )
        for how, first, second in parts:
            if how == "ref":
                etree.SubElement(sequence, f"{{{XSD_NS}}}element", ref=first)
            else:
                etree.SubElement(sequence, f"{{{XSD_NS}}}element", name=first, type=second)
    return schema


def not_understood(root: Any, version: SoapVersion, bound: BoundOp) -> str:
    """The first header addressed to us, marked mustUnderstand, that we do not know; or "".

    Known: the headers the operation's input declares, and WS-Security / WS-Addressing blocks.
    """
    header = root.find(f"{{{version.envelope_ns}}}Header")
    if header is None:
        return ""
    declared = getattr(bound.operation.input, "header", None)
    known = {
        el.qname.text
        for _, el in getattr(getattr(declared, "type", None), "elements", [])
        if el.qname
    }
    role_attr = "actor" if version is SOAP11 else "role"
    for block in header:
        if not isinstance(block.tag, str):
            continue
        if block.get(f"{{{version.envelope_ns}}}mustUnderstand") not in ("1", "true"):
            continue
        role = block.get(f"{{{version.envelope_ns}}}{role_attr}")
        if role and not role.endswith(("/next", "/ultimateReceiver")):
            continue  # meant for another node on the path
        namespace = etree.QName(block).namespace or ""
        if block.tag in known or namespace.startswith(_UNDERSTOOD_HEADER_PREFIXES):
            continue
        return str(block.tag)
    return ""
