"""The spec's schemas as one lxml ``XMLSchema``: what every request and answer is judged by.

zeep checks no facets and no cardinalities, so validation uses libxml2 through lxml (instances
are built from ``xsd.SchemaModel``, which reads the same documents).

libxml2 wants one root schema; a WSDL holds several, often sharing a namespace or referring to
each other's types without importing them (zeep tolerates that, libxml2 does not). The root
built here imports every namespace once, each namespace's fragments are joined by
``xs:include``, and the missing imports are added. Documents are handed to libxml2 through an
in-memory resolver, so nothing is read from disk or network twice.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from lxml import etree

from intcheck.contracts.wsdl import safe_parser
from intcheck.kinds.soap.documents import XSD_NS, SpecFiles, _relink

_SCHEME = "intcheck-schema:///"


class _MemoryResolver(etree.Resolver):
    def __init__(self, documents: dict[str, bytes]) -> None:
        super().__init__()
        self.documents = documents

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        if system_url.startswith(_SCHEME):
            data = self.documents.get(unquote(system_url[len(_SCHEME) :]))
            if data is not None:
                return self.resolve_string(data, context, base_url=system_url)
        return None


@dataclass(slots=True)
class SchemaSet:
    """The compiled schema (None when libxml2 refused it, with the reason)."""

    schema: Any = None
    error: str = ""

    @classmethod
    def build(cls, files: SpecFiles, extra: list[Any] | None = None) -> SchemaSet:
        """Compile every schema of ``files``, plus ``extra`` standalone xs:schema roots."""
        fragments = list(files.schema_fragments())
        documents: dict[str, bytes] = {}
        by_namespace: dict[str, list[str]] = {}
        roots: dict[str, Any] = {}
        for key, root in fragments:
            roots[key] = root
        for index, root in enumerate(extra or []):
            roots[f"_extra{index}"] = root
        namespaces = {root.get("targetNamespace", "") for root in roots.values()}
        for key, original in roots.items():
            root = copy.deepcopy(original)
            owner = files.docs.get(key.split("#", 1)[0])
            if owner is not None:
                _relink(root, owner.links, lambda target: _SCHEME + quote(target, safe="/"))
            tns = root.get("targetNamespace", "")
            imported = {el.get("namespace", "") for el in root.iter(f"{{{XSD_NS}}}import")}
            for ns in sorted(namespaces - imported - {tns, ""}):
                root.insert(0, etree.Element(f"{{{XSD_NS}}}import", namespace=ns))
            documents[key] = etree.tostring(root)
            is_root = "#" in key or key.startswith("_extra") or key in files.imported
            if is_root:
                by_namespace.setdefault(tns, []).append(key)
        wrapper = etree.Element(f"{{{XSD_NS}}}schema", nsmap={"xs": XSD_NS})
        for index, (ns, keys) in enumerate(sorted(by_namespace.items())):
            if len(keys) == 1:
                location = keys[0]
            else:
                stub = etree.Element(f"{{{XSD_NS}}}schema", nsmap={"xs": XSD_NS})
                if ns:
                    stub.set("targetNamespace", ns)
                for key in keys:
                    etree.SubElement(
                        stub, f"{{{XSD_NS}}}include", schemaLocation=_SCHEME + quote(key, safe="/")
                    )
                location = f"_namespace{index}"
                documents[location] = etree.tostring(stub)
            url = _SCHEME + quote(location, safe="/")
            if ns:
                etree.SubElement(wrapper, f"{{{XSD_NS}}}import", namespace=ns, schemaLocation=url)
            else:  # the wrapper has no namespace either, and may not import its own
                etree.SubElement(wrapper, f"{{{XSD_NS}}}include", schemaLocation=url)
        parser = safe_parser()
        parser.resolvers.add(_MemoryResolver(documents))
        try:
            tree = etree.fromstring(
                etree.tostring(wrapper), parser, base_url=_SCHEME + "_root"
            ).getroottree()
            schema = etree.XMLSchema(tree)
        except etree.XMLSchemaParseError as exc:
            first = (
                str(exc.error_log.last_error or exc).strip()
                if hasattr(exc, "error_log")
                else str(exc)
            )
            return cls(schema=None, error=first.replace(_SCHEME, ""))
        return cls(schema=schema)

    def errors(self, element: Any) -> list[str]:
        """Why ``element`` is invalid (empty when valid or when no schema could be built)."""
        if self.schema is None:
            return []
        if self.schema.validate(element):
            return []
        return [
            f"line {e.line}: {e.message}" if e.line else e.message for e in self.schema.error_log
        ][:5]
