"""The ``cti`` kind: the phone system's call-event callbacks to the CRM (screen pop).

The contract describes the HTTP callback a PBX or cloud call centre makes to the CRM on each
call event (DOMAIN.md §1): method, path, how fields travel, caller-ID forms, signature, and
what the CRM must answer how fast. Each event is one operation (``pbx-screen-pop:ringing``).

==============  ===========================================================================
``contract``    the contract as typed settings (``CtiContract``); ``vocabulary`` its rules
``templates``   field templates (``"{caller_id}"``) rendered and read back
``callers``     who calls: known customers in every number form, unknown and withheld
``events``      call flows: ringing → answered → hang-up, missed, abandoned, transferred
``callback``    one event as the PBX sends it: fields, encoding, signature
``receiver``    the mock: a CRM-side receiver judging every callback (``calls``: event order)
``checks``      the claims about a CRM's answers; ``simulator``, ``probe``, ``load`` use them
==============  ===========================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.kinds.cti.contract import DEFAULT_EVENTS, SOURCE_POINTERS
from intcheck.kinds.cti.load import CtiLoad
from intcheck.kinds.cti.probe import CtiProbe
from intcheck.kinds.cti.receiver import CtiMock
from intcheck.kinds.cti.simulator import CtiSimulator
from intcheck.kinds.cti.vocabulary import check
from intcheck.model import Operation
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource

__all__ = ["KIND"]


def read(source: ContractSource) -> ContractParts | None:
    """One operation per call event the contract lists (ringing, answered, hangup by default).

    The kind's "document" is where the contract wrote each expectation, so a finding about a
    pop points back at the ``expect.fields`` line.
    """
    from intcheck.contracts.source import ContractParts

    check(source)
    data = source.data
    request = data["request"]
    events = data.get("events", DEFAULT_EVENTS)
    default_method = "POST" if data.get("style") == "twilio" else "GET"
    return ContractParts(
        operations=tuple(
            Operation(
                contract=source.name,
                name=event,
                summary=f"{event} callback to the CRM",
                method=request.get("method", default_method),
                path=request["path"],
                source=source.doc.ref(f"/events/{index}" if "events" in data else "/request"),
            )
            for index, event in enumerate(events)
        ),
        document={pointer: source.doc.ref(pointer) for pointer in SOURCE_POINTERS},
    )


KIND = Kind(
    name="cti",
    summary="call-event callbacks from the phone system to the CRM (screen pop)",
    vocabulary=read_vocabulary(__name__),
    read=read,
    mock=CtiMock(),
    probe=CtiProbe(),
    simulate=CtiSimulator(),
    load=CtiLoad(),
)
