"""The REST mock's request handler: route, validate, then answer from state, example or schema."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import CIMultiDict

from intcheck import jsonwire
from intcheck.cache import BoundedCache
from intcheck.kinds.base import OPERATION, PREFER, VALIDATION
from intcheck.kinds.rest.request import Broken, check_body, check_request
from intcheck.kinds.rest.resources import bind_resources
from intcheck.kinds.rest.spec import Spec

if TYPE_CHECKING:
    from intcheck.kinds.base import MockContext
    from intcheck.kinds.rest.spec import Op, Reply

PROBLEM = "application/problem+json"
_DETAIL_FIELDS = ("detail", "message", "title", "reason", "error", "description")


class RestMock:
    """The REST kind's mock builder, registered as ``MOCK`` for ``kinds.mock_builders()``."""

    def build_mock(self, ctx: MockContext) -> list[web.RouteDef]:
        """Compile the contract's OpenAPI document and answer requests below its mount point."""
        document = ctx.contract.document
        data = getattr(document, "data", document)
        spec = Spec(data, ctx.contract.name, ctx.rng.randint(0, 2**31))
        bind_resources(spec, ctx.contract.mock.resources, ctx.store)
        handler = RestHandler(spec, ctx)
        # every path below the mount point (the spec's own router matches the templates); the
        # catch-all first, as aiohttp tries routes on one prefix in the order they were added
        return [
            web.route("*", r"/{tail:[\s\S]*}", handler.handle),
            web.route("*", "", handler.handle),
        ]


_HEADERS_SIZE = 512  # what a request's headers are counted as in the read cache


@dataclass(frozen=True, slots=True)
class _Read:
    """A GET answer kept for the next identical request."""

    status: int
    headers: CIMultiDict[str]
    body: bytes
    operation: str
    validation: str


@dataclass(frozen=True, slots=True)
class _Out:
    """What an answer documented under one status takes, worked out on its first use."""

    code: int
    reply: Reply | None
    generated: tuple[tuple[str, Any, Any], ...]  # documented headers: name, schema, example
    media_type: str  # "" when no body goes out
    body: bool
    json: bool
    etag: bool

    @classmethod
    def of(cls, op: Op, status: str) -> _Out:
        reply = op.replies.get(status)
        code = (
            int(status)
            if status.isascii() and status.isdigit()
            else (500 if status == "5XX" else 400 if status == "4XX" else 200)
        )
        media = reply.media_type if reply is not None else None
        generated = tuple(reply.headers) if reply is not None else ()
        return cls(
            code=code,
            reply=reply,
            generated=generated,
            media_type=media or "",
            body=media is not None and code != 204,
            json="json" in (media or ""),
            etag=any(name == "ETag" for name, _, _ in generated),
        )


class RestHandler:
    """Answers every request below one contract's mount point."""

    def __init__(self, spec: Spec, ctx: MockContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.base_url = ctx.base_url.rstrip("/")
        self.prefix = len(urlsplit(ctx.base_url).path.rstrip("/"))
        # Answers to GETs by (path and query, headers, store version): the same request on
        # unchanged data gets the same answer, validation included, so it is worked out once.
        self._reads: BoundedCache[tuple[Any, ...], _Read] = BoundedCache()
        # Rendered bodies by (operation, status, record and store version or example): one
        # budget for the whole contract, however many operations it has.
        self._bodies: BoundedCache[tuple[Any, ...], bytes] = BoundedCache()
        self._outs: dict[tuple[str, str], _Out] = {}  # what render needs, by operation and status

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.method != "GET" or request.get(PREFER) is not None:
            return await self._handle(request)
        key = (request.raw_path, request.raw_headers, self.ctx.store.version)
        read = self._reads.get(key)
        if read is None:
            response = await self._handle(request)
            if not isinstance(response, web.Response) or self.ctx.store.version != key[2]:
                return response
            read = _Read(
                status=response.status,
                headers=CIMultiDict(response.headers),
                body=response.body if isinstance(response.body, bytes) else b"",
                operation=request[OPERATION],
                validation=request[VALIDATION],
            )
            self._reads.put(key, read, len(read.body) + len(key[0]) + _HEADERS_SIZE)
            return response
        request[OPERATION] = read.operation
        request[VALIDATION] = read.validation
        return web.Response(status=read.status, headers=read.headers.copy(), body=read.body)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.raw_path.split("?", 1)[0][self.prefix :] or "/"
        found = self.spec.router.match(path, request.method)
        if found is None:
            request[OPERATION] = ""
            request[VALIDATION] = "no-route"
            return self.problem(None, Broken((404,), "not-found", f"no operation at {path}"))
        op, path_values = found
        if op is None:  # the path exists, the method does not
            request[OPERATION] = ""
            request[VALIDATION] = "method-not-allowed"
            return self.problem(None, Broken((405,), "method", f"{request.method} not allowed"))
        request[OPERATION] = op.name
        checked = check_request(op, request, path_values)
        if checked.broken is None and op.body is not None:
            checked.body, checked.broken = await check_body(op.body, request)
        if checked.broken is not None:
            request[VALIDATION] = checked.broken.rule
            return self.problem(op, checked.broken)
        request[VALIDATION] = "ok"
        if "Prefer" in request.headers or request.get(PREFER) is not None:
            prefer = _prefer(request, op.name)
            if "code" in prefer or "example" in prefer:
                return self.render(op, _prefer_status(op, prefer), prefer.get("example"))
        if op.resource is None:
            return self.render(op, op.success)
        return op.resource.answer(self, op, checked.params, checked.body)

    def render(
        self,
        op: Op,
        status: str,
        example: str | None = None,
        *,
        value: Any = ...,
        make: Callable[[], Any] | None = None,
        cache_key: Any = None,
        headers: Mapping[str, str] | None = None,
        checked: bool = False,
    ) -> web.Response:
        """The response documented under ``status``: a given value, an example, or generated.

        ``make`` builds the value only when ``cache_key`` has no rendered body yet; a value
        ``checked`` against the reply's schema already is not checked again.
        """
        out = self._outs.get((op.name, status))
        if out is None:
            out = self._outs[(op.name, status)] = _Out.of(op, status)
        reply = out.reply
        if reply is None:
            return web.Response(status=out.code)
        sent: dict[str, str] = {}
        if out.generated:
            given = {name.lower() for name in headers} if headers else set()
            for name, schema, ex in out.generated:
                if name.lower() not in given:
                    sent[name] = self._header(name, schema, ex)
        if headers:
            sent.update(headers)
        if not out.body:
            return web.Response(status=out.code, headers=sent)
        computed = value is not ... or make is not None
        key = (
            (op.name, status, cache_key)
            if cache_key
            else None
            if computed
            else (op.name, status, example)
        )
        body = self._bodies.get(key) if key is not None else None
        if body is None:
            if make is not None:
                value = make()
            if value is ...:
                value = self.pick_example(reply, example)
            elif reply.schema is not None and not checked:
                value = self.repair(value, reply.schema)
            body = jsonwire.dumps(value) if out.json else _encode(value, out.media_type)
            if key is not None:
                self._bodies.put(key, body, len(body))
        if out.etag and (headers is None or "ETag" not in headers):
            sent["ETag"] = f'"{zlib.crc32(body):08x}"'  # same representation, same tag
        return web.Response(status=out.code, body=body, headers=sent, content_type=out.media_type)

    def pick_example(self, reply: Reply, name: str | None) -> Any:
        """A documented example (the named one, else the first valid one), else generated."""
        if name is not None and name in reply.examples:
            return reply.examples[name]
        for example in reply.examples.values():
            if reply.validator is None or reply.validator.is_valid(example):
                return example
        return self.generate(reply)

    def generate(self, reply: Reply) -> Any:
        """A value generated from the reply's schema, checked against its validator."""
        if reply.schema is None:
            return {} if "json" in (reply.media_type or "") else "ok"
        value: Any = None
        for _ in range(8):
            value = _status_agrees(self.spec.generator.generate(reply.schema), reply)
            if reply.validator is None or reply.validator.is_valid(value):
                return value
        return value

    def repair(self, value: Any, schema: Any, depth: int = 0) -> Any:
        """``value`` if valid, else the nearest valid value: generated, keeping what fits."""
        check, gen = self.spec.check, self.spec.generator
        if check(schema, value) or depth > 8:
            return value
        shape = gen._deref(schema)
        if isinstance(value, list) and isinstance(shape, dict) and "items" in shape:
            fixed = [self.repair(v, shape["items"], depth + 1) for v in value]
            if check(schema, fixed):
                return fixed
        fresh = gen.generate(schema)
        if isinstance(value, dict) and isinstance(fresh, dict):
            for key, item in value.items():
                candidate = {**fresh, key: item}
                if check(schema, candidate):
                    fresh = candidate
        return fresh

    def problem(self, op: Op | None, broken: Broken) -> web.Response:
        """The answer to a broken rule: the documented status and, if possible, body shape."""
        status = _problem_status(op, broken)
        problem: dict[str, Any] = {
            "type": f"urn:intcheck:problem:{broken.rule}",
            "title": broken.title,
            "status": status,
            "detail": broken.detail,
        }
        if broken.errors:
            problem["errors"] = [
                {"pointer": e.pointer, "rule": e.rule, "message": e.message} for e in broken.errors
            ]
        reply = op.reply_for(status) if op is not None else None
        if reply is None:
            return web.json_response(problem, status=status, content_type=PROBLEM)
        headers = {name: self._header(name, schema, ex) for name, schema, ex in reply.headers}
        if reply.media_type is None:  # no body documented: the problem still says what broke
            return web.json_response(problem, status=status, headers=headers, content_type=PROBLEM)
        value: Any = problem
        if reply.validator is not None and not reply.validator.is_valid(problem):
            value = self.pick_example(reply, None)
            if isinstance(value, dict):
                for name in _DETAIL_FIELDS:
                    if isinstance(value.get(name), str):
                        fitted = {**value, name: broken.detail}
                        if reply.validator.is_valid(fitted):
                            value = fitted
                            break
        return web.Response(
            status=status,
            body=_encode(value, reply.media_type),
            headers=headers,
            content_type=reply.media_type,
        )

    def not_found(self, op: Op, detail: str) -> web.Response:
        return self.problem(op, Broken((404,), "not-found", detail))

    def _header(self, name: str, schema: Any, example: Any) -> str:
        if example is None and name.lower() == "etag":
            return f'"{self.spec.rng.getrandbits(64):016x}"'
        value = (
            example
            if example is not None
            else self.spec.generator.generate(schema or {}, name=name)
        )
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return str(value)


def _status_agrees(value: Any, reply: Reply) -> Any:
    """A generated body's own ``status`` (problem+json's, and many error schemas') set to the
    status it is sent with, where the schema allows: a 404 saying ``"status": 947`` is a lie."""
    if not (isinstance(value, dict) and reply.status.isdigit() and "status" in value):
        return value
    current = value["status"]
    if isinstance(current, int) and not isinstance(current, bool):
        fitted = {**value, "status": int(reply.status)}
    elif isinstance(current, str) and current.isdigit():
        fitted = {**value, "status": reply.status}
    else:
        return value
    return fitted if reply.validator is None or reply.validator.is_valid(fitted) else value


def _problem_status(op: Op | None, broken: Broken) -> int:
    """The first of the broken rule's statuses the operation documents (exactly, then as
    4XX), else its first when it is implied or a ``default`` answer is documented, else 400."""
    candidates = broken.statuses
    if op is None:
        return candidates[0]
    for status in candidates:
        if op.documents(status):
            return status
    for status in candidates:
        if f"{str(status)[0]}XX" in op.replies:
            return status
    return candidates[0] if broken.implied or "default" in op.replies else 400


def _prefer(request: web.Request, op_name: str) -> dict[str, str]:
    forced = request.get(PREFER)
    found: dict[str, str] = dict(forced(op_name) or {}) if forced is not None else {}
    for header in request.headers.getall("Prefer", ()):
        for token in header.replace(";", ",").split(","):
            key, _, value = token.strip().partition("=")
            if value:
                found.setdefault(key.strip().lower(), value.strip().strip('"'))
    return found


def _prefer_status(op: Op, prefer: Mapping[str, str]) -> str:
    wanted = prefer.get("code", "").upper()
    if wanted in op.replies:
        return wanted
    if wanted.isascii() and wanted.isdigit() and f"{wanted[0]}XX" in op.replies:
        return f"{wanted[0]}XX"
    if "example" in prefer:
        for status, reply in op.replies.items():
            if prefer["example"] in reply.examples:
                return status
    return op.success


def _encode(value: Any, media_type: str) -> bytes:
    if "json" in media_type:
        return jsonwire.dumps(value)
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value)).encode()
