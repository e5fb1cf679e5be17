"""``intcheck load`` for soap: the envelope the SOAP probe sends as its valid request.

The probe builds, per operation and binding, a request valid against the XSD whose element
values come from the dataset index; ``ctx.index`` offers the step's values first (an order id
of the flow's customer), so the envelope asks for a real record. The first binding of the WSDL
is used (a CRM talks to an ERP through one); success is a 200 answer, since a declared fault
for a record the dataset holds means the lookup missed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from intcheck.kinds.loading import LoadRequest
from intcheck.kinds.soap import probe

if TYPE_CHECKING:
    from intcheck.kinds.loading import LoadContext


class SoapLoad:
    """``Kind.load`` of soap."""

    def __init__(self) -> None:
        # The probe compiles the whole WSDL per call; flow runs with the same values share it.
        self._built: dict[tuple[int, str, str], LoadRequest] = {}

    def load_requests(self, ctx: LoadContext) -> list[LoadRequest]:
        """``ctx.count`` copies of the operation's valid envelope with the step's values."""
        key = (
            id(ctx.contract),
            ctx.target,
            ctx.operation.name + json.dumps(ctx.values, default=str),
        )
        built = self._built.get(key)
        if built is None:
            if len(self._built) >= 4096:
                self._built.clear()
            built = self._build(ctx)
            self._built[key] = built
        return [built] * max(1, ctx.count)

    @staticmethod
    def _build(ctx: LoadContext) -> LoadRequest:
        cases = probe.build_cases(ctx.contract, ctx.target, ctx.index)
        for case in cases:
            if case.operation.name == ctx.operation.name and case.id.endswith(":valid"):
                request = case.request
                return LoadRequest(
                    name=ctx.operation.id,
                    method=request.method,
                    url=request.url,
                    headers=dict(request.headers),
                    body=request.body,
                    ok_statuses=(200,),
                )
        skipped = next((c.skip for c in cases if c.operation.name == ctx.operation.name), "")
        raise ValueError(f"no valid request could be built for {ctx.operation.id}: {skipped}")
