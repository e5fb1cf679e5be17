"""Operations of the kinds that have no standard description: cti, sms, email, iframe.

Their vocabulary is intcheck's own (see docs/contracts.md); this module turns a validated
contract mapping into the list of operations that mocks, probes and reports refer to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from intcheck.model import Operation

DEFAULT_CTI_EVENTS = ("ringing", "answered", "hangup")

Locate = Callable[[str], Any]


def list_operations(
    kind: str, name: str, data: Mapping[str, Any], locate: Locate
) -> list[Operation]:
    """One operation per CTI event, SMS flow, email flow or embedded page."""
    if kind == "cti":
        request = data["request"]
        events = data.get("events", DEFAULT_CTI_EVENTS)
        return [
            Operation(
                contract=name,
                name=event,
                summary=f"{event} callback to the CRM",
                method=request.get("method", "GET"),
                path=request["path"],
                source=locate(f"/events/{index}" if "events" in data else "/request"),
            )
            for index, event in enumerate(events)
        ]
    if kind == "sms":
        operations = [
            Operation(
                contract=name,
                name="send",
                summary="CRM sends a message through the gateway",
                method="POST",
                path=data.get("send", {}).get("path", "/messages"),
                source=locate("/send" if "send" in data else "/provider"),
            )
        ]
        if "inbound" in data:
            inbound = data["inbound"]
            operations.append(
                Operation(
                    contract=name,
                    name="inbound",
                    summary="a customer's message reaches the CRM",
                    method=inbound.get("method", "POST"),
                    path=inbound["path"],
                    source=locate("/inbound"),
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
                    source=locate("/delivery_receipts"),
                )
            )
        return operations
    if kind == "email":
        operations = [
            Operation(
                contract=name,
                name="send",
                summary="CRM sends mail through the SMTP relay",
                source=locate("/smtp" if "smtp" in data else ""),
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
                    source=locate("/inbound"),
                )
            )
        return operations
    if kind == "iframe":
        return [
            Operation(
                contract=name,
                name=f"embed {page['path']}",
                summary=page.get("title", ""),
                method="GET",
                path=page["path"],
                source=locate(f"/pages/{index}"),
            )
            for index, page in enumerate(data["pages"])
        ]
    raise ValueError(f"no channel vocabulary for kind {kind!r}")
