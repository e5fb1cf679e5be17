"""The WSDL and every XSD it reaches, as served by the mock and as an lxml XML Schema.

``SpecFiles.collect`` walks a WSDL once: ``wsdl:import``, and ``xs:import``/``xs:include``/
``xs:redefine`` with a ``schemaLocation``, relative to the file that names them. Each document gets
a key (its path relative to the WSDL's folder) under which the mock serves it at ``?xsd=<key>``,
with every address and schema location rewritten to point back at the mock.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree

from intcheck.contracts.wsdl import WELL_KNOWN, WSDL_NS, safe_parser

XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAP11_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
WELL_KNOWN_PREFIX = "_wellknown/"
SOAP_ENCODING_NS = "http://schemas.xmlsoap.org/soap/encoding/"
_REFERENCES = ("import", "include", "redefine")


@dataclass(slots=True)
class SpecDoc:
    """One document of the spec: the main WSDL (key "") or a file it reaches."""

    key: str
    root: Any  # lxml element, as parsed; never modified
    is_wsdl: bool
    # schemaLocation / location value -> key of the document it names
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SpecFiles:
    """Every document reachable from one WSDL, by key."""

    docs: dict[str, SpecDoc]
    # keys reached through xs:import (not include): the roots of their namespace's schema
    imported: list[str] = field(default_factory=list)

    @classmethod
    def collect(cls, wsdl: Path) -> SpecFiles:
        """Walk ``wsdl`` and everything it imports; remote URLs other than well-known ones stay."""
        folder = wsdl.resolve().parent
        files = cls(docs={})

        def key_for(path: Path) -> str:
            return Path(os.path.relpath(path, folder)).as_posix()

        def visit(path: Path, key: str) -> None:
            if key in files.docs:
                return
            root = etree.parse(str(path), safe_parser()).getroot()
            doc = SpecDoc(key=key, root=root, is_wsdl=root.tag == f"{{{WSDL_NS}}}definitions")
            files.docs[key] = doc
            for element, attr in _references(root):
                location = element.get(attr)
                if not location:
                    continue
                remote = location.startswith(("http://", "https://"))
                if remote:
                    shipped = WELL_KNOWN.get(location.rstrip("/"))
                    if shipped is None:
                        continue
                    target_key = WELL_KNOWN_PREFIX + shipped
                    if target_key not in files.docs:
                        data = resources.files("intcheck.wellknown").joinpath(shipped).read_bytes()
                        shipped_root = etree.fromstring(data, safe_parser())
                        files.docs[target_key] = SpecDoc(
                            key=target_key, root=shipped_root, is_wsdl=False
                        )
                else:
                    target = (path.parent / location).resolve()
                    target_key = key_for(target)
                    visit(target, target_key)
                doc.links[location] = target_key
                if etree.QName(element).localname == "import" and target_key not in files.imported:
                    files.imported.append(target_key)

        visit(wsdl.resolve(), "")
        files.docs[""] = files.docs.pop("")  # keep the main document first when iterating
        return files

    def published(self, key: str, base_url: str) -> bytes | None:
        """Document ``key`` with addresses and schema locations rewritten to ``base_url``."""
        doc = self.docs.get(key)
        if doc is None:
            return None
        root = copy.deepcopy(doc.root)

        def url(target: str) -> str:
            param = "wsdl" if self.docs[target].is_wsdl else "xsd"
            return f"{base_url}?{param}={quote(target, safe='/')}"

        _relink(root, doc.links, url)
        if root.get("targetNamespace") == SOAP_ENCODING_NS:
            # zeep "auto-imports" soapenc from its namespace URL (the network) whenever a
            # document that has not imported it names one of its types, this schema included;
            # a self-import with our own URL makes zeep find the copy it is already reading.
            root.insert(
                0,
                etree.Element(
                    f"{{{XSD_NS}}}import", namespace=SOAP_ENCODING_NS, schemaLocation=url(key)
                ),
            )
        for ns in (SOAP11_BINDING_NS, SOAP12_BINDING_NS):
            for address in root.iter(f"{{{ns}}}address"):
                address.set("location", base_url)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))

    def schema_fragments(self) -> Iterator[tuple[str, Any]]:
        """Every xs:schema as a standalone root: embedded ones get their in-scope namespaces."""
        for key, doc in self.docs.items():
            if not doc.is_wsdl:
                if doc.root.tag == f"{{{XSD_NS}}}schema":
                    yield key, doc.root
                continue
            for index, schema in enumerate(doc.root.iter(f"{{{XSD_NS}}}schema")):
                # QNames in attribute values (type="tns:X") use prefixes declared on the
                # wsdl:definitions element; a standalone copy must declare them itself.
                standalone = etree.Element(
                    schema.tag, attrib=dict(schema.attrib), nsmap=schema.nsmap
                )
                standalone.text = schema.text
                for child in schema:
                    standalone.append(copy.deepcopy(child))
                yield f"{key}#schema{index}", standalone


def _references(root: Any) -> Iterator[tuple[Any, str]]:
    for local in _REFERENCES:
        for element in root.iter(f"{{{XSD_NS}}}{local}"):
            yield element, "schemaLocation"
    for element in root.iter(f"{{{WSDL_NS}}}import"):
        yield element, "location"


def _relink(root: Any, links: dict[str, str], url: Callable[[str], str]) -> None:
    for element, attr in _references(root):
        target = links.get(element.get(attr) or "")
        if target is not None:
            element.set(attr, url(target))
