"""Load a WSDL (and the XSDs it imports) through zeep, offline, and list its operations.

Nothing is fetched from the network at run time: well-known schemas that WSDLs import by URL
(SOAP encoding, xml.xsd) are served from copies shipped in ``intcheck/wellknown``; any other
remote URL is an error that names it. XML is parsed without DTDs, entities or network access.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.settings import Settings
from zeep.transports import Transport
from zeep.wsdl import Document

from intcheck.model import Diagnostic, Level, Operation, SourceRef

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
POLICY_NAMESPACES = (
    "http://schemas.xmlsoap.org/ws/2004/09/policy",
    "http://www.w3.org/ns/ws-policy",
)

# URL (without a trailing slash) -> file shipped in intcheck/wellknown
WELL_KNOWN = {
    "http://schemas.xmlsoap.org/soap/encoding": "soap-encoding.xsd",
    "https://schemas.xmlsoap.org/soap/encoding": "soap-encoding.xsd",
    "http://www.w3.org/2001/xml.xsd": "xml.xsd",
    "https://www.w3.org/2001/xml.xsd": "xml.xsd",
    "http://www.w3.org/XML/1998/namespace": "xml.xsd",
}


class RemoteSchemaRefused(Exception):
    """A document imports a URL that is neither local nor well known."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class OfflineTransport(Transport):
    """A zeep transport that reads local files and shipped copies, and never the network."""

    def __init__(self) -> None:
        super().__init__(cache=None)  # type: ignore[no-untyped-call]

    def load(self, url: str) -> bytes:
        if url.startswith(("http://", "https://")):
            shipped = WELL_KNOWN.get(url.rstrip("/"))
            if shipped is None:
                raise RemoteSchemaRefused(url)
            return resources.files("intcheck.wellknown").joinpath(shipped).read_bytes()
        local = Path(url[len("file://") :] if url.startswith("file://") else url)
        return local.read_bytes()


def zeep_settings() -> Settings:
    """Strict enough to refuse XML tricks, lenient enough for real WSDLs."""
    return Settings(
        strict=False,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=False,
        xml_huge_tree=False,
    )


def safe_parser() -> etree.XMLParser:
    """The one XML parser for untrusted documents: no DTD, no entities, no network, no huge trees.

    Used for WSDLs, XSDs, SOAP requests the mock receives and answers the probe reads.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_pis=True,
        collect_ids=False,
    )


@dataclass(slots=True)
class WsdlLoad:
    document: Any  # zeep.wsdl.Document
    operations: list[Operation]
    diagnostics: list[Diagnostic]


def load_wsdl(path: Path, contract_name: str) -> WsdlLoad:
    """Parse ``path`` with zeep and list each portType operation once, in file order."""
    found: list[Diagnostic] = []

    def problem(
        message: str,
        line: int = 1,
        level: Level = Level.ERROR,
        file: Path = path,
        rule: str = "wsdl",
    ) -> None:
        found.append(
            Diagnostic(
                source=SourceRef(path=file, line=line, col=1),
                field="",
                message=message,
                level=level,
                rule=rule,
            )
        )

    try:
        tree = etree.parse(str(path), safe_parser())
    except etree.XMLSyntaxError as exc:
        problem(f"XML syntax error: {exc.msg}", _line(exc.lineno))
        return WsdlLoad(None, [], found)
    except OSError as exc:
        problem(f"cannot read WSDL: {exc}")
        return WsdlLoad(None, [], found)
    root = tree.getroot()
    if root.tag != f"{{{WSDL_NS}}}definitions":
        problem(
            f"expected a WSDL 1.1 <definitions> root element, got <{etree.QName(root).localname}>",
            _line(root.sourceline),
        )
        return WsdlLoad(None, [], found)

    try:
        document: Any = Document(
            str(path.resolve()), cast(Any, OfflineTransport()), settings=zeep_settings()
        )
    except RemoteSchemaRefused as exc:
        line = _line_of_url(root, exc.url)
        problem(
            f"imports {exc.url}, which intcheck will not fetch at run time",
            line,
            rule="wsdl-remote-import",
        )
        return WsdlLoad(None, [], found)
    except (
        ZeepError,
        etree.LxmlError,
        OSError,
        ValueError,
        KeyError,
        AttributeError,
        TypeError,
    ) as exc:
        failed_at: Any = getattr(exc, "sourceline", None) or getattr(exc, "lineno", None)
        problem(f"WSDL could not be loaded: {type(exc).__name__}: {exc}".strip(), _line(failed_at))
        return WsdlLoad(None, [], found)

    lines = {
        op.get("name"): _line(op.sourceline)
        for op in root.iter(f"{{{WSDL_NS}}}operation")
        if getattr(op.getparent(), "tag", None) == f"{{{WSDL_NS}}}portType"
    }
    names: dict[str, None] = {}
    for binding in document.bindings.values():
        if type(binding).__name__ not in ("Soap11Binding", "Soap12Binding"):
            continue
        for name in binding.all():
            names.setdefault(name)
    if not names:
        problem("WSDL declares no SOAP 1.1 or 1.2 binding with operations")
    encoded = next((el for el in root.iter() if el.get("use") == "encoded"), None)
    if encoded is not None:
        problem(
            'uses SOAP encoding (use="encoded"), which WS-I Basic Profile forbids; '
            "messages are checked as literal",
            _line(encoded.sourceline),
            Level.WARNING,
            rule="wsdl-encoded",
        )
    for namespace in POLICY_NAMESPACES:
        policy = next(root.iter(f"{{{namespace}}}Policy"), None)
        if policy is not None:
            problem(
                "WS-Policy assertions are present; intcheck does not enforce them "
                "(e.g. WS-SecurityPolicy)",
                _line(policy.sourceline),
                Level.WARNING,
                rule="wsdl-policy",
            )
            break
    operations = [
        Operation(
            contract=contract_name,
            name=name,
            method="POST",
            source=SourceRef(path=path, line=lines.get(name, 1), col=1),
        )
        for name in names
    ]
    return WsdlLoad(document, operations, found)


def _line_of_url(root: Any, url: str) -> int:
    for element in root.iter():
        if url in (
            element.get("schemaLocation"),
            element.get("location"),
            element.get("namespace"),
        ):
            return _line(element.sourceline)
    return 1


def _line(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 1
