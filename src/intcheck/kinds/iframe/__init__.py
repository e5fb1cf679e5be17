"""The ``iframe`` kind: enterprise pages the CRM embeds, and whether a browser will show them.

Each page is one operation (``erp-order-page:embed /orders/view``), judged against the CRM
origin that frames it (``embedder``), DOMAIN.md §4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.model import Operation
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource


def read(source: ContractSource) -> ContractParts | None:
    """One operation per embedded page."""
    from intcheck.contracts.source import ContractParts

    return ContractParts(
        operations=tuple(
            Operation(
                contract=source.name,
                name=f"embed {page['path']}",
                summary=page.get("title", ""),
                method="GET",
                path=page["path"],
                source=source.doc.ref(f"/pages/{index}"),
            )
            for index, page in enumerate(source.data["pages"])
        )
    )


KIND = Kind(
    name="iframe",
    summary="pages embedded in the CRM as iframes",
    vocabulary=read_vocabulary(__name__),
    read=read,
)
