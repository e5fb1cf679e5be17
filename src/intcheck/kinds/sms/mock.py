"""``intcheck mock`` for an sms contract: the gateway, its receipt sender, the CRM-side webhooks.

One mock per contract holds the send API (``gateway``), the messages it accepted (``messages``,
also at ``/__intcheck/contracts/<name>/messages``), the background sender of their delivery
receipts (``receipts``, a ``MockService``) and the CRM-side receiver of inbound messages and
receipts (``receiver``), so the example plan runs end to end against the mock alone.
"""

from __future__ import annotations

import random
import weakref
from typing import TYPE_CHECKING

from intcheck.kinds.base import MockParts
from intcheck.kinds.sms.contract import SmsContract
from intcheck.kinds.sms.gateway import Gateway
from intcheck.kinds.sms.messages import MessageStore, admin_routes
from intcheck.kinds.sms.receipts import ReceiptSender
from intcheck.kinds.sms.receiver import Receiver

if TYPE_CHECKING:
    from intcheck.data import DataStore
    from intcheck.kinds.base import MockContext


class SmsMock:
    """The sms kind's ``Mocker``."""

    def __init__(self) -> None:
        # A contract on its own port is built twice by one server (once more for the routes
        # alone): both mounts must share one store and one receipt sender.
        self._built: weakref.WeakKeyDictionary[DataStore, dict[str, MockParts]] = (
            weakref.WeakKeyDictionary()
        )

    def build_mock(self, ctx: MockContext) -> MockParts:
        built = self._built.setdefault(ctx.store, {})
        name = ctx.contract.name
        if name in built:
            return built[name]
        contract = SmsContract.of(ctx.contract)
        store = MessageStore()
        sender = ReceiptSender(contract, ctx.journal, random.Random(ctx.rng.random()))
        gateway = Gateway(contract, store, sender, ctx.rng)
        parts = MockParts(
            routes=[*gateway.routes(), *Receiver(contract).routes()],
            services=[sender],
            admin=admin_routes(store),
        )
        built[name] = parts
        return parts
