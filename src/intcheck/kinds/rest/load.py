"""``intcheck load`` for rest: an operation's request built as the probe builds its positive case.

The values come first from the step (``ctx.values``: the flow's customer id or phone number),
then the contract's ``probe.data``, the datasets, the spec's examples, and last the schema
(``values.py``); parameters go out in their declared style and the body in its media type with
the credentials each security scheme wants (``encode.py``, ``cases.py``). A request counts as
a success when it gets one of the 2xx statuses the spec documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from intcheck.contracts.security import security_schemes
from intcheck.data import field_key
from intcheck.kinds.loading import LoadRequest
from intcheck.kinds.rest.cases import OperationCases
from intcheck.kinds.rest.described import SpecView, describe
from intcheck.kinds.rest.values import Values

if TYPE_CHECKING:
    from intcheck.contracts.security import SecurityScheme
    from intcheck.kinds.loading import LoadContext
    from intcheck.model import Contract


class RestLoad:
    """``Kind.load`` of rest."""

    def __init__(self) -> None:
        # The compiled spec per contract (by identity, the contract kept alive beside it): a
        # scenario builds hundreds of flow runs against the same few documents.
        self._specs: dict[int, tuple[Contract, SpecView, dict[str, SecurityScheme]]] = {}

    def load_requests(self, ctx: LoadContext) -> list[LoadRequest]:
        """``ctx.count`` copies of the operation's request with the step's values."""
        spec, schemes = self._compiled(ctx.contract)
        op = describe(spec, ctx.operation)
        builder = OperationCases(spec, op, ctx.contract, ctx.target, schemes, ctx.index)
        if builder.presented is None:
            raise ValueError(
                f"{ctx.operation.id} requires credentials the contract does not give "
                "(see `intcheck validate`)"
            )
        known = dict(builder.values.user_data)
        known.update({name: [value] for name, value in ctx.values.items()})
        values = builder.values = Values(spec, op, ctx.index, known)
        # Required parameters and the step's own, nothing more: an optional filter filled from
        # the datasets (an email beside a phone lookup) would ask for another customer.
        given = {field_key(name) for name in ctx.values}
        params = {
            (name, where): value
            for (name, where), value in values.params().items()
            if where == "path" or field_key(name) in given or _required(op.param(name, where))
        }
        request = builder.request(params, values.body())
        ok = _documented_successes(tuple(op.responses))
        built = LoadRequest(
            name=ctx.operation.id,
            method=request.method,
            url=request.url,
            headers=dict(request.headers),
            body=request.body,
            ok_statuses=ok,
        )
        return [built] * max(1, ctx.count)

    def _compiled(self, contract: Contract) -> tuple[SpecView, dict[str, SecurityScheme]]:
        held = self._specs.get(id(contract))
        if held is None or held[0] is not contract:
            if len(self._specs) >= 16:
                self._specs.clear()  # a long-lived process loading many plans stays bounded
            held = (contract, SpecView(contract.document), security_schemes(contract.document))
            self._specs[id(contract)] = held
        return held[1], held[2]


def _required(param: dict[str, Any] | None) -> bool:
    return bool(param and param.get("required"))


def _documented_successes(codes: tuple[str, ...]) -> tuple[int, ...]:
    """The 2xx statuses the spec documents (``2XX`` is all of them); () if it documents none."""
    found: list[int] = []
    for code in codes:
        if code.upper() == "2XX":
            found += range(200, 300)
        elif code.isdigit() and code.startswith("2"):
            found.append(int(code))
    return tuple(sorted(set(found)))
