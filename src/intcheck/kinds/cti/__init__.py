"""The ``cti`` kind: the phone system's call-event callbacks to the CRM (screen pop).

The contract describes the HTTP callback a PBX or cloud call centre makes to the CRM on each
call event (DOMAIN.md §1): method, path, how fields travel, caller-ID forms, signature, and
what the CRM must answer how fast. Each event is one operation (``pbx-screen-pop:ringing``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.model import Operation
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource

DEFAULT_EVENTS = ("ringing", "answered", "hangup")


def read(source: ContractSource) -> ContractParts | None:
    """One operation per call event the contract lists (ringing, answered, hangup by default)."""
    from intcheck.contracts.source import ContractParts

    data = source.data
    request = data["request"]
    events = data.get("events", DEFAULT_EVENTS)
    return ContractParts(
        operations=tuple(
            Operation(
                contract=source.name,
                name=event,
                summary=f"{event} callback to the CRM",
                method=request.get("method", "GET"),
                path=request["path"],
                source=source.doc.ref(f"/events/{index}" if "events" in data else "/request"),
            )
            for index, event in enumerate(events)
        )
    )


KIND = Kind(
    name="cti",
    summary="call-event callbacks from the phone system to the CRM (screen pop)",
    vocabulary=read_vocabulary(__name__),
    read=read,
)
