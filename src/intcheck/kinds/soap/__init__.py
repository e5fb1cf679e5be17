"""The ``soap`` kind: a WSDL-first mock of a SOAP 1.1/1.2 service (DOMAIN.md §5).

zeep has no server side, so the mock is intcheck's own: the contract's WSDL and XSDs are served
at ``/<name>?wsdl`` and ``?xsd=<path>`` with every address rewritten to the mock, and POSTs to
``/<name>`` are dispatched by SOAPAction / action, else by the first Body element, validated
against the XSD and answered from the shared dataset or from values generated from the types.

Modules: ``operations`` (the WSDL compiled once into the operation model mock and probe share),
``envelope`` (versions, hardened parsing, faults), ``documents`` (the WSDL's files and their
rewriting), ``xsd``/``components`` (the schemas as declarations), ``instances``/``values``
(elements and text built valid against the XSD), ``schemas`` (libxml2 validation), ``dataset``
(answers from the DataStore), ``notfound`` (the declared fault's detail), ``service`` (dispatch,
credentials and replies). docs/contracts.md
(``kind: soap``) describes the behaviour for users.

Each request sets ``request[OPERATION]`` (the WSDL operation name, ``GET ?wsdl``, ``GET ?xsd``,
or ``unknown``) and ``request[VALIDATION]``: ``ok`` or the rule broken, one of
``malformed-xml doctype-refused not-an-envelope no-body unknown-operation wrong-element schema
must-understand version-mismatch unsupported-media-type body-too-large auth unknown-document
method-not-allowed internal-error``. A not-found answered with a fault is ``ok``: the request
itself was valid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from intcheck.kinds.base import MAX_BODY_BYTES, OPERATION, VALIDATION, RoutesOnly
from intcheck.kinds.soap import probe
from intcheck.kinds.soap.envelope import SOAP11
from intcheck.kinds.soap.load import SoapLoad
from intcheck.kinds.soap.service import Reply, SoapService
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource
    from intcheck.kinds.base import MockContext

__all__ = ["KIND", "MOCK", "SoapMock", "SoapService"]


class SoapMock:
    """Builds the routes that mock one SOAP contract."""

    def build_mock(self, ctx: MockContext) -> list[web.RouteDef]:
        """Serve ``ctx.contract``'s WSDL and answer its operations below the mount point."""
        endpoint = _Endpoint(SoapService(ctx.contract, ctx.store, ctx.rng), ctx.base_url)
        return [web.route("*", path, endpoint.handle) for path in ("", "/")]


class _Endpoint:
    """One SOAP contract's mount point: documents on GET, operations on POST."""

    def __init__(self, service: SoapService, base_url: str) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")

    async def handle(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            return await _post(request, self.service)
        query = request.query
        if request.method in ("GET", "HEAD") and ("wsdl" in query or "WSDL" in query):
            return self.document(request, query.get("wsdl", query.get("WSDL", "")), "GET ?wsdl")
        if request.method in ("GET", "HEAD") and "xsd" in query:
            return self.document(request, query["xsd"], "GET ?xsd")
        request[OPERATION] = request.method
        request[VALIDATION] = "method-not-allowed"
        return web.Response(
            status=405,
            text=f"POST SOAP requests here; the WSDL is at {self._base(request)}?wsdl\n",
            headers={"Allow": "GET, POST"},
        )

    def document(self, request: web.Request, key: str, label: str) -> web.Response:
        """The WSDL or one of its XSDs, every address rewritten to this mock."""
        request[OPERATION] = label
        document = self.service.published(key, self._base(request))
        if document is None:
            request[VALIDATION] = "unknown-document"
            return web.Response(status=404, text=f"no document {key!r} in this contract\n")
        request[VALIDATION] = "ok"
        return web.Response(body=document, content_type="text/xml", charset="utf-8")

    def _base(self, request: web.Request) -> str:
        return self.base_url or str(request.url.with_query(None)).rstrip("/")


async def _post(request: web.Request, service: SoapService) -> web.Response:
    request[OPERATION] = "unknown"
    request[VALIDATION] = "ok"
    content_type = request.headers.get("Content-Type", "")
    action = request.headers.get("SOAPAction")
    refused = service.unauthorized(request.headers, content_type)
    if refused is not None:
        return _respond(request, refused)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _respond(request, service.too_large(content_type))
    try:
        # aiohttp stops reading at the application's cap (a chunked body has no length to
        # refuse it by) and keeps the bytes, which the journal records
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _respond(request, service.too_large(content_type))
    return _respond(request, service.answer(content_type, action, body))


def _respond(request: web.Request, reply: Reply) -> web.Response:
    request[OPERATION] = reply.operation or "unknown"
    request[VALIDATION] = reply.validation
    response = web.Response(status=reply.status, body=reply.body, headers=reply.headers)
    response.headers["Content-Type"] = reply.content_type or SOAP11.content_type
    return response


MOCK = SoapMock()


def read(source: ContractSource) -> ContractParts | None:
    """Load the contract's WSDL (and its XSDs) offline; one operation per portType operation."""
    from intcheck.contracts.source import ContractParts
    from intcheck.contracts.wsdl import load_wsdl

    spec = source.document_path("/spec")
    if spec is None:
        return None
    loaded = load_wsdl(spec, source.name)
    source.diagnostics.extend(loaded.diagnostics)
    if loaded.document is None:
        return None
    return ContractParts(operations=tuple(loaded.operations), document=loaded.document, spec=spec)


KIND = Kind(
    name="soap",
    summary="a SOAP 1.1/1.2 web service described by WSDL 1.1 + XSD",
    vocabulary=read_vocabulary(__name__),
    read=read,
    secret_fields=("/wsse/password",),
    mock=RoutesOnly(MOCK),
    probe=probe,
    load=SoapLoad(),
)
