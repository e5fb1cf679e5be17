"""REST kind: an OpenAPI 3.0/3.1 document served as a validating, stateful mock, and probed.

``spec`` compiles the document once (routes, parameter styles, validators, responses),
``request`` holds the request rules and the statuses broken rules get, ``state`` ties paths to
the plan's dataset, and ``mock`` is the aiohttp handler that puts them together; ``described``,
``probe`` and ``checks`` build and judge the probe's cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.kinds.base import RoutesOnly
from intcheck.kinds.rest import probe
from intcheck.kinds.rest.load import RestLoad
from intcheck.kinds.rest.mock import RestMock
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource

__all__ = ["KIND", "MOCK", "RestMock"]

MOCK = RestMock()


def read(source: ContractSource) -> ContractParts | None:
    """Load and check the contract's OpenAPI document; one operation per method and path."""
    from intcheck.contracts.openapi import load_openapi
    from intcheck.contracts.security import probe_warnings
    from intcheck.contracts.source import ContractParts, credentials_of

    spec = source.document_path("/spec")
    if spec is None:
        return None
    loaded = load_openapi(spec, source.name)
    source.diagnostics.extend(loaded.diagnostics)
    if loaded.document is None:
        return None
    credentials = credentials_of(source.data)
    source.diagnostics.extend(
        probe_warnings(loaded.document, source.data, credentials, source.doc.ref)
    )
    return ContractParts(operations=tuple(loaded.operations), document=loaded.document, spec=spec)


KIND = Kind(
    name="rest",
    summary="a REST/JSON web service described by OpenAPI 3.x",
    vocabulary=read_vocabulary(__name__),
    read=read,
    mock=RoutesOnly(MOCK),
    probe=probe,
    load=RestLoad(),
)
