"""The ``sms`` kind: an SMS gateway the CRM sends through, and its callbacks to the CRM.

Operations: ``send`` (the CRM calls the gateway's send API), ``inbound`` (a customer's message
reaches the CRM's webhook) and ``delivery-receipt`` (the gateway reports a message's status),
with the provider's own field names and signatures (DOMAIN.md §2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.model import Operation
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource


def read(source: ContractSource) -> ContractParts | None:
    """``send`` always; ``inbound`` and ``delivery-receipt`` where the contract declares them."""
    from intcheck.contracts.source import ContractParts

    data, name, ref = source.data, source.name, source.doc.ref
    operations = [
        Operation(
            contract=name,
            name="send",
            summary="CRM sends a message through the gateway",
            method="POST",
            path=data.get("send", {}).get("path", "/messages"),
            source=ref("/send" if "send" in data else "/provider"),
        )
    ]
    if "inbound" in data:
        operations.append(
            Operation(
                contract=name,
                name="inbound",
                summary="a customer's message reaches the CRM",
                method=data["inbound"].get("method", "POST"),
                path=data["inbound"]["path"],
                source=ref("/inbound"),
            )
        )
    if "delivery_receipts" in data:
        operations.append(
            Operation(
                contract=name,
                name="delivery-receipt",
                summary="the gateway reports a message's delivery status to the CRM",
                method="POST",
                path=data["delivery_receipts"]["path"],
                source=ref("/delivery_receipts"),
            )
        )
    return ContractParts(operations=tuple(operations))


KIND = Kind(
    name="sms",
    summary="an SMS gateway: send API, delivery receipts, inbound messages",
    vocabulary=read_vocabulary(__name__),
    read=read,
)
