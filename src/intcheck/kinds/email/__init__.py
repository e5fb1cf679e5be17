"""The ``email`` kind: the SMTP relay the CRM sends through, and inbound mail to the CRM.

Operations: ``send`` (the CRM hands mail to the relay) and ``inbound`` (a customer's mail
reaches the CRM, as an inbound-parse webhook), DOMAIN.md §3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.model import Operation
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource


def read(source: ContractSource) -> ContractParts | None:
    """``send`` always; ``inbound`` where the contract declares it."""
    from intcheck.contracts.source import ContractParts

    data, name, ref = source.data, source.name, source.doc.ref
    operations = [
        Operation(
            contract=name,
            name="send",
            summary="CRM sends mail through the SMTP relay",
            source=ref("/smtp" if "smtp" in data else ""),
        )
    ]
    if "inbound" in data:
        operations.append(
            Operation(
                contract=name,
                name="inbound",
                summary="a customer's mail reaches the CRM (email-to-case)",
                method="POST",
                path=data["inbound"]["path"],
                source=ref("/inbound"),
            )
        )
    return ContractParts(operations=tuple(operations))


KIND = Kind(
    name="email",
    summary="mail: the SMTP relay out, inbound mail (email-to-case) in",
    vocabulary=read_vocabulary(__name__),
    read=read,
    secret_fields=("/smtp/password",),
)
