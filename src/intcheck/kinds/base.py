"""What every kind shares: the mock context handed to a kind, request keys, helpers.

A kind builds an aiohttp sub-application for its contract's mock. The ``MockServer`` mounts it
at ``/<contract name>`` and wraps it in the journal, latency and fault middleware, which run
after the kind's handler and read which operation it answered from ``request[OPERATION]``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

if TYPE_CHECKING:
    from intcheck.data import DataStore
    from intcheck.model import Contract, Plan

# Set by a kind's handler: the operation name it answered ("GET /customers/{id}", "GetOrder").
OPERATION: web.RequestKey[str] = web.RequestKey("intcheck_operation", str)
# Set by a kind's handler: "ok", or the rule the request broke (for the journal).
VALIDATION: web.RequestKey[str] = web.RequestKey("intcheck_validation", str)


# Set by the mock server before the handler runs (any kind may honour it): operation name ->
# forced preferences ({"code": "503", "example": "vip"}), the runtime twin of ``Prefer``.
PREFER: web.RequestKey[Callable[[str], Mapping[str, str] | None]] = web.RequestKey(
    "intcheck_prefer",
    object,  # type: ignore[arg-type]
)


@dataclass(slots=True)
class MockContext:
    """Everything a kind needs to serve its contract's mock."""

    plan: Plan
    contract: Contract
    store: DataStore
    base_url: str = ""  # public URL of the mount point, e.g. http://127.0.0.1:8080/order-service
    rng: random.Random = field(default_factory=random.Random)


class MockBuilder(Protocol):
    """A kind that can serve a mock of its contracts."""

    def build_mock(self, ctx: MockContext) -> web.Application:
        """Return the sub-application that answers requests below ``/<contract name>``."""
        ...
