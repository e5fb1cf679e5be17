"""The ``iframe`` kind: enterprise pages the CRM embeds, and whether a browser will show them.

Each page is one operation (``erp-order-page:embed /orders/view``), judged against the CRM
origin that frames it (``embedder``), DOMAIN.md §4.

=============  ========================================================================
``contract``   the kind's fields as typed values (``IframeSettings``), cross-field rules
``origins``    origins, sites (Public Suffix List), loopback, mixed content
``framing``    X-Frame-Options and CSP frame-ancestors evaluated as browsers apply them
``cookies``    Set-Cookie judged for a cross-site frame: SameSite, Secure, Partitioned
``page``       the mock's embeddable page: headers per setup, HTML, its handshake side
``mock``       the ``Mocker``: a page per contract page, setups switchable at run time
``crmpage``    the CRM stand-in, forger and decoy pages the browser check loads
``browser``    headless Chromium (Playwright): one visit of the page in the CRM's frame
``checks``     the claims on a page's headers and on what the browser showed
``probe``      the ``Prober``: a ``#headers`` and a ``#browser`` case per page
=============  ========================================================================

No simulator: the CRM embeds the pages and nobody plays another side, so ``intcheck
simulate`` reports iframe contracts as not covered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.kinds.iframe.contract import IframeSettings, settings_from
from intcheck.kinds.iframe.mock import IframeMocker
from intcheck.kinds.iframe.probe import IframeProber
from intcheck.model import Operation
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource

__all__ = ["KIND", "IframeSettings"]


def read(source: ContractSource) -> ContractParts | None:
    """One operation per embedded page; the typed settings travel as the document."""
    from intcheck.contracts.source import ContractParts

    settings = settings_from(source)
    if settings is None:
        return None
    return ContractParts(
        operations=tuple(
            Operation(
                contract=source.name,
                name=page.operation,
                summary=page.title,
                method="GET",
                path=page.path,
                source=source.doc.ref(f"/pages/{index}"),
            )
            for index, page in enumerate(settings.pages)
        ),
        document=settings,
    )


KIND = Kind(
    name="iframe",
    summary="pages embedded in the CRM as iframes",
    vocabulary=read_vocabulary(__name__),
    read=read,
    mock=IframeMocker(),
    probe=IframeProber(),
)
