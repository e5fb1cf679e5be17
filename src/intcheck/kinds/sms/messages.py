"""The messages a mock gateway accepted, kept like a phone's inbox and read through the admin API.

``Message`` is what was sent (frozen); ``Delivery`` is how far its receipts have got, advanced by
the receipt sender. The store keeps the newest ``MAX_MESSAGES`` so a long load test cannot fill
memory; the admin routes list them (``?to=`` filters by recipient), show one, or delete all.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from intcheck.kinds.sms.segments import Segments

MAX_MESSAGES = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One accepted send to one recipient."""

    id: str
    part_ids: tuple[str, ...]  # Vonage gives each part its own id (the first is ``id``)
    to: str  # E.164
    sender: str
    body: str
    shown: str  # what the handset displays (foreign characters as '?' if sent as GSM-7)
    segments: Segments
    callback: str  # where its delivery receipts go; "" for none
    outcome: str  # the neutral final outcome drawn from the contract's mix
    reference: str = ""  # client-ref, callbackData, reference: echoed in receipts
    bulk_id: str = ""
    created_at: float = field(default_factory=time.time)


# Mutable on purpose: the receipt sender advances it while the admin API reads it.
@dataclass(slots=True)
class Delivery:
    """The provider status a message has reached and every receipt post made for it."""

    status: str
    error_code: str = ""
    receipts: list[dict[str, Any]] = field(default_factory=list)


class MessageStore:
    """Accepted messages by id, oldest first, the newest ``limit`` kept."""

    def __init__(self, limit: int = MAX_MESSAGES) -> None:
        self.limit = limit
        self._items: OrderedDict[str, tuple[Message, Delivery]] = OrderedDict()

    def add(self, message: Message, status: str) -> Delivery:
        delivery = Delivery(status=status)
        self._items[message.id] = (message, delivery)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
        return delivery

    def get(self, message_id: str) -> tuple[Message, Delivery] | None:
        return self._items.get(message_id)

    def find(self, to: str = "") -> list[tuple[Message, Delivery]]:
        """Every kept message, oldest first; ``to`` keeps those to that recipient."""
        wanted = to.replace(" ", "+").strip()  # an unencoded '+' in a query arrives as a space
        return [item for item in self._items.values() if not wanted or item[0].to == wanted]

    def clear(self) -> int:
        count = len(self._items)
        self._items.clear()
        return count

    def __len__(self) -> int:
        return len(self._items)


def view(message: Message, delivery: Delivery) -> dict[str, Any]:
    """A message as the admin API shows it."""
    return {
        "id": message.id,
        "part_ids": list(message.part_ids),
        "to": message.to,
        "from": message.sender,
        "body": message.body,
        "shown": message.shown,
        "encoding": message.segments.encoding,
        "units": message.segments.units,
        "segments": message.segments.count,
        "parts": list(message.segments.parts),
        "status": delivery.status,
        "error_code": delivery.error_code or None,
        "outcome": message.outcome,
        "status_callback": message.callback or None,
        "reference": message.reference or None,
        "created_at": datetime.fromtimestamp(message.created_at, UTC).isoformat(),
        "receipts": delivery.receipts,
    }


def admin_routes(store: MessageStore) -> list[web.RouteDef]:
    """``GET messages[?to=]``, ``GET messages/{id}``, ``DELETE messages``."""

    async def listing(request: web.Request) -> web.Response:
        found = store.find(request.query.get("to", ""))
        return web.json_response({"total": len(found), "messages": [view(*i) for i in found]})

    async def one(request: web.Request) -> web.Response:
        item = store.get(request.match_info["id"])
        if item is None:
            return web.json_response(
                {"title": "Not Found", "status": 404, "detail": "no such message"}, status=404
            )
        return web.json_response(view(*item))

    async def clear(request: web.Request) -> web.Response:
        return web.json_response({"deleted": store.clear()})

    return [
        web.get("/messages", listing),
        web.get("/messages/{id}", one),
        web.delete("/messages", clear),
    ]
