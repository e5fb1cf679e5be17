"""Latency, fault injection and forced answers, per contract and per operation, for every kind.

The plan's ``mock`` settings give the starting behaviour; the admin API overrides it at
runtime. Resolution, most specific first: operation override, operation setting, contract
override, contract setting. The server's gate offers the kind a forced status or example
through ``prefer`` before the kind's handler runs, and calls ``after`` once it has answered and
named the operation in ``request[OPERATION]``; contracts with nothing set skip ``after``
entirely, so the common path costs one set lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import socket
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from intcheck import jsonwire
from intcheck.kinds.base import OPERATION
from intcheck.model import FAULT_KINDS, Faults, Latency

if TYPE_CHECKING:
    from intcheck.model import MockSettings, Plan

# Which fault, if any, replaced the answer; the journal records it.
FAULT: web.RequestKey[str] = web.RequestKey("intcheck_fault", str)
_Z99 = 2.3263478740408408  # the standard normal's 99th percentile


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """How one operation answers: delay, fault rate and kinds, and an optional forced answer."""

    latency: Latency = field(default_factory=Latency)
    faults: Faults = field(default_factory=Faults)
    force: Mapping[str, Any] | None = None
    timeout_ms: float = 30_000.0  # how long a "timeout" fault holds the request

    def to_json(self) -> dict[str, Any]:
        return {
            "latency": {
                "fixed_ms": self.latency.fixed_ms,
                "median_ms": self.latency.median_ms,
                "p99_ms": self.latency.p99_ms,
            },
            "faults": {"rate": self.faults.rate, "kinds": list(self.faults.kinds)},
            "force": dict(self.force) if self.force else None,
            "timeout_ms": self.timeout_ms,
        }


def parse_behaviour(data: Any) -> dict[str, Any]:
    """Validate an admin API body into the fields it sets; raises ValueError naming the rule."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object with latency, faults, force or timeout_ms")
    unknown = set(data) - {"latency", "faults", "force", "timeout_ms"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    if "latency" in data:
        lat = data["latency"] or {}
        if not isinstance(lat, dict) or set(lat) - {"fixed_ms", "median_ms", "p99_ms"}:
            raise ValueError("latency: expected {fixed_ms, median_ms, p99_ms}")
        values = {k: _number(v, f"latency.{k}", high=_MAX_MS) for k, v in lat.items()}
        out["latency"] = Latency(**values)
    if "faults" in data:
        faults = data["faults"] or {}
        if not isinstance(faults, dict):
            raise ValueError("faults: expected {rate, kinds}")
        rate = _number(faults.get("rate", 0.0), "faults.rate", high=1.0)
        kinds = faults.get("kinds") or ("http_503",)
        if not isinstance(kinds, list | tuple) or not all(isinstance(k, str) for k in kinds):
            raise ValueError(f"faults.kinds: expected a list of {list(FAULT_KINDS)}")
        bad = [k for k in kinds if k not in FAULT_KINDS]
        if bad:
            raise ValueError(f"faults.kinds: unknown {bad}; expected some of {list(FAULT_KINDS)}")
        out["faults"] = Faults(rate=rate, kinds=tuple(kinds))
    if "force" in data:
        force = data["force"]
        if force is not None and not isinstance(force, dict):
            raise ValueError("force: expected {status, example, body, fault} or null")
        if force and force.get("fault") not in (None, *FAULT_KINDS):
            raise ValueError(f"force.fault: expected one of {list(FAULT_KINDS)}")
        if force and "status" in force:
            # checked here, once: an answer must never be the first to find it is no status
            status = _number(force["status"], "force.status", low=100, high=599)
            if status != int(status):
                raise ValueError(f"force.status: expected an HTTP status, got {force['status']!r}")
            force = {**force, "status": int(status)}
        out["force"] = force or None
    if "timeout_ms" in data:
        out["timeout_ms"] = _number(data["timeout_ms"], "timeout_ms", high=_MAX_MS)
    return out


_MAX_MS = 3_600_000.0  # an hour: longer holds no connection open in any client


def _number(value: Any, where: str, *, low: float = 0.0, high: float) -> float:
    """A JSON number, or text of ASCII digits, from ``low`` to ``high``; else ValueError.

    ``float()`` alone would take ``"١٢"``, ``"nan"`` and ``"inf"``, and ``None`` would raise a
    TypeError: each of them once broke every later answer or the admin call itself.
    """
    number = jsonwire.number(value, integer=False) if isinstance(value, str) else value
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    if not low <= number <= high:  # also false for NaN
        raise ValueError(f"{where}: expected a number from {low:g} to {high:g}, got {value!r}")
    return float(number)


class Behaviours:
    """The behaviour of every contract and operation of a plan, switchable at runtime."""

    def __init__(self, plan: Plan, *, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self._plan: dict[tuple[str, str], dict[str, Any]] = {}
        for contract in plan.contracts:
            self._plan[(contract.name, "")] = _from_settings(contract.mock, contract_level=True)
            for name, settings in contract.mock.operations.items():
                self._plan[(contract.name, name)] = _from_settings(settings, contract_level=False)
        self.overrides: dict[tuple[str, str], dict[str, Any]] = {}
        self._cache: dict[tuple[str, str], Behaviour] = {}
        self._forcing: set[str] = set()
        self._active: set[str] = set()
        self._changed()

    def get(self, contract: str, operation: str) -> Behaviour:
        """The effective behaviour of one operation (``""`` for the contract as a whole)."""
        key = (contract, operation)
        found = self._cache.get(key)
        if found is None:
            fields: dict[str, Any] = {}
            for layer in ((contract, ""), key) if operation else ((contract, ""),):
                fields.update(self._plan.get(layer, {}))
                fields.update(self.overrides.get(layer, {}))
            found = self._cache[key] = Behaviour(**fields)
        return found

    def update(self, contract: str, operation: str, fields: Mapping[str, Any]) -> Behaviour:
        self.overrides.setdefault((contract, operation), {}).update(fields)
        self._changed()
        return self.get(contract, operation)

    def set_overrides(self, overrides: Mapping[tuple[str, str], dict[str, Any]]) -> None:
        self.overrides = dict(overrides)
        self._changed()

    def _changed(self) -> None:
        self._cache.clear()
        layers = [*self._plan.items(), *self.overrides.items()]
        self._forcing = {contract for (contract, _), fields in layers if fields.get("force")}
        self._active = set(self._forcing)
        for (contract, operation), _ in layers:
            behaviour = self.get(contract, operation)
            if not behaviour.latency.is_zero or behaviour.faults.rate:
                self._active.add(contract)

    def clear(self) -> None:
        self.set_overrides({})

    def prefer(self, contract: str) -> Callable[[str], Mapping[str, str] | None] | None:
        """For kinds that can answer a forced status or example themselves (REST)."""
        if contract not in self._forcing:
            return None

        def lookup(operation: str) -> Mapping[str, str] | None:
            force = self.get(contract, operation).force
            if not force or "body" in force or force.get("fault"):
                return None
            wanted = {"code": str(force["status"])} if "status" in force else {}
            if "example" in force:
                wanted["example"] = str(force["example"])
            return wanted

        return lookup

    def delay(self, behaviour: Behaviour) -> float:
        """Seconds to wait: the fixed part plus a lognormal draw from median and p99."""
        lat = behaviour.latency
        delay = lat.fixed_ms
        if lat.median_ms > 0:
            sigma = math.log(lat.p99_ms / lat.median_ms) / _Z99 if lat.p99_ms > lat.median_ms else 0
            delay += math.exp(self.rng.gauss(math.log(lat.median_ms), sigma))
        return delay / 1000.0

    def active(self, contract: str) -> bool:
        """Whether any latency, fault or forced answer is set for the contract at all."""
        return contract in self._active

    async def after(
        self, request: web.Request, response: web.StreamResponse, contract: str
    ) -> web.StreamResponse:
        """Apply forced answers, latency and faults to the kind's answer."""
        behaviour = self.get(contract, request.get(OPERATION, ""))
        force = behaviour.force
        if force and "body" in force:
            response = web.json_response(force["body"], status=int(force.get("status", 200)))
        elif force and "status" in force and response.status != int(force["status"]):
            response = _problem(int(force["status"]), "forced answer")
        if not behaviour.latency.is_zero:
            await asyncio.sleep(self.delay(behaviour))
        fault = force.get("fault") if force else None
        if fault is None and behaviour.faults.rate and self.rng.random() < behaviour.faults.rate:
            fault = self.rng.choice(behaviour.faults.kinds or ("http_503",))
        if fault:
            request[FAULT] = str(fault)
            return await _inject(str(fault), request, response, behaviour)
        return response


def _from_settings(settings: MockSettings, *, contract_level: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if contract_level or not settings.latency.is_zero:
        fields["latency"] = settings.latency
    if contract_level or settings.faults.rate:
        fields["faults"] = settings.faults
    if settings.force:
        fields["force"] = settings.force
    return fields


def problem(status: int, detail: str, *, kind: str, title: str) -> web.Response:
    """An ``application/problem+json`` answer from the mock server itself (RFC 9457)."""
    return web.json_response(
        {
            "type": f"urn:intcheck:problem:{kind}",
            "title": title,
            "status": status,
            "detail": detail,
        },
        status=status,
        content_type="application/problem+json",
    )


def _problem(status: int, detail: str) -> web.Response:
    return problem(status, detail, kind="fault", title="Injected fault")


async def _inject(
    fault: str, request: web.Request, response: web.StreamResponse, behaviour: Behaviour
) -> web.StreamResponse:
    if fault in ("http_500", "http_503"):
        status = int(fault[-3:])
        answer = _problem(status, f"injected {fault}")
        if status == 503:
            answer.headers["Retry-After"] = "1"
        return answer
    body = response.body if isinstance(response, web.Response) else b""
    raw = bytes(body) if isinstance(body, bytes | bytearray) else b""
    if fault == "malformed":
        return web.Response(
            status=response.status,
            body=raw[: len(raw) // 2] + b"\x00{",
            content_type=response.content_type,
        )
    if fault == "slow_body":
        slow = web.StreamResponse(status=response.status)
        slow.content_type = response.content_type
        await slow.prepare(request)
        chunks = [raw[i : i + 16] for i in range(0, len(raw), 16)] or [b""]
        pause = min(0.05, 2.0 / len(chunks))
        for chunk in chunks:
            await slow.write(chunk)
            await asyncio.sleep(pause)
        await slow.write_eof()
        return slow
    if fault == "timeout":
        await asyncio.sleep(behaviour.timeout_ms / 1000.0)
    _reset(request)
    return web.Response(status=499)  # never reaches the client: the connection is gone


def _reset(request: web.Request) -> None:
    """Close the connection with a TCP RST, as a crashed server or a middlebox would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


__all__ = ["FAULT", "Behaviour", "Behaviours", "parse_behaviour"]
