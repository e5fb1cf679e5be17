"""One contract's SOAP service: find the operation, check the request, build the answer.

Everything is decided here, away from aiohttp: ``SoapService.answer`` takes the content type,
SOAPAction header and body bytes and returns a ``Reply``. zeep parses the WSDL, deserializes
the request and serializes the response; lxml validates the request against the XSD.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from zeep.helpers import serialize_object

from intcheck.cache import BoundedCache
from intcheck.data import field_key
from intcheck.kinds.base import MAX_BODY_BYTES
from intcheck.kinds.soap.bindings import (
    RPC_NS,
    BoundOp,
    bound_operations,
    not_understood,
    rpc_schema,
)
from intcheck.kinds.soap.dataset import DatasetAnswers, NotFound
from intcheck.kinds.soap.documents import SpecFiles
from intcheck.kinds.soap.envelope import (
    MUST_UNDERSTAND,
    SOAP11,
    SOAP12,
    VERSION_MISMATCH,
    BadRequest,
    SoapVersion,
    build_fault,
    parse_envelope,
    serialize,
    version_from_content_type,
)
from intcheck.kinds.soap.schemas import SchemaSet
from intcheck.kinds.soap.values import ValueFactory, is_complex

if TYPE_CHECKING:
    from intcheck.data import DataStore
    from intcheck.model import Contract

log = logging.getLogger(__name__)
_NOT_FOUND_WORDS = ("notfound", "unknown", "nosuch", "missing")


@dataclass(slots=True)
class Reply:
    """What the mock answers, and what the journal records about it."""

    status: int
    body: bytes
    content_type: str
    operation: str = ""
    validation: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


class SoapService:
    """The mock of one SOAP contract; build once, answer many requests."""

    def __init__(self, contract: Contract, store: DataStore, rng: random.Random) -> None:
        if contract.document is None or contract.spec is None:
            raise ValueError(f"contract {contract.name!r} has no loaded WSDL")
        self.name = contract.name
        self.auth = contract.auth
        self.document = contract.document
        self.files = SpecFiles.collect(Path(contract.spec))
        self.ops = list(bound_operations(self.document, self.files))
        self.schemas = SchemaSet.build(self.files, [rpc_schema(self.ops)])
        if self.schemas.schema is None:
            log.warning(
                "%s: requests are not validated, libxml2 refused the WSDL's schemas: %s",
                contract.name,
                self.schemas.error,
            )
        self.factory = ValueFactory(self.schemas.facets, rng)
        self.answers = DatasetAnswers(store, self.factory)
        self._published: BoundedCache[tuple[str, str], bytes] = BoundedCache(64)
        self.store = store
        # Answers by (content type, SOAPAction, request bytes, store version): parsing,
        # validating and reading the request through zeep, then serialising the answer, cost
        # nearly all of a request, and the same request on unchanged data gets the same answer
        # anyway. Writes change the store version and are never reused. Cached replies are
        # shared: nothing may change one after it is returned.
        self._answers: BoundedCache[tuple[str, str | None, bytes, int], Reply] = BoundedCache()
        # Replies by (operation, SOAP version, Body bytes, store version): see _answer.
        self._replies: BoundedCache[tuple[str, str, bytes, int], Reply] = BoundedCache()
        self._expected = self.auth.headers() if self.auth is not None else {}

    # -- documents ---------------------------------------------------------------------------

    def published(self, key: str, base_url: str) -> bytes | None:
        """The WSDL ("") or a schema, rewritten so every address points at ``base_url``."""
        # base URLs come from Host headers: bounded, so they cannot grow it forever
        found = self._published.get((key, base_url))
        if found is None:
            found = self.files.published(key, base_url)
            if found is not None:  # unknown names are not kept: they would crowd out the real
                self._published.put((key, base_url), found, len(found))
        return found

    # -- requests ----------------------------------------------------------------------------

    def answer(self, content_type: str, soap_action: str | None, body: bytes) -> Reply:
        """The reply to one POST; never raises for anything a client can send."""
        version, action = version_from_content_type(content_type)
        if version is None:
            return self._fault(
                SOAP11,
                SOAP11.sender,
                f"unsupported Content-Type {content_type!r}; SOAP 1.1 uses text/xml, "
                "SOAP 1.2 application/soap+xml",
                rule="unsupported-media-type",
                status=415,
            )
        if soap_action is not None and (version is SOAP11 or not action):
            action = soap_action.strip().strip('"')
        if len(body) > MAX_BODY_BYTES:
            return self.too_large(content_type)
        key = (content_type, soap_action, body, self.store.version)
        reply = self._answers.get(key)
        if reply is not None:
            return reply
        try:
            reply = self._answer(version, action, body)
        except BadRequest as exc:
            reply = self._fault(
                version, version.sender, exc.message, rule=exc.rule, status=exc.status
            )
        except Exception as exc:  # a bug of the mock still answers in SOAP, never a traceback
            return self._fault(
                version,
                version.receiver,
                f"the mock failed: {type(exc).__name__}: {exc}",
                rule="internal-error",
            )
        if self.store.version == key[3]:
            self._answers.put(key, reply, len(body) + len(reply.body))
        return reply

    def unauthorized(self, headers: Mapping[str, str], content_type: str) -> Reply | None:
        """A 401 fault when the contract has ``auth`` and the request carries none of that kind.

        Like the REST mock, the mock checks that credentials are present, not their value:
        a client that forgets them fails; any test credentials pass.
        """
        if self.auth is None:
            return None
        missing = []
        for name, value in self._expected.items():
            sent = headers.get(name, "")
            scheme = value.split(" ", 1)[0] if name.lower() == "authorization" else ""
            if not sent.strip() or (scheme and not sent.lower().startswith(scheme.lower() + " ")):
                missing.append(f"{name}{f' ({scheme})' if scheme else ''}")
        if not missing:
            return None
        version = version_from_content_type(content_type)[0] or SOAP11
        reply = self._fault(
            version,
            version.sender,
            f"credentials required: {', '.join(missing)} (contract auth type {self.auth.type!r})",
            rule="auth",
            status=401,
        )
        if self.auth.type in ("basic", "bearer"):
            reply.headers["WWW-Authenticate"] = f'{self.auth.type.title()} realm="{self.name}"'
        return reply

    def too_large(self, content_type: str) -> Reply:
        """The reply to a body over ``MAX_BODY_BYTES``, refused before it is read."""
        version = version_from_content_type(content_type)[0] or SOAP11
        return self._fault(
            version,
            version.sender,
            f"request body exceeds {MAX_BODY_BYTES} bytes",
            rule="body-too-large",
            status=413,
        )

    def _answer(self, version: SoapVersion, action: str, data: bytes) -> Reply:
        root = parse_envelope(data)
        root_name = etree.QName(root)
        if root_name.localname != "Envelope" or root_name.namespace not in (
            SOAP11.envelope_ns,
            SOAP12.envelope_ns,
        ):
            raise BadRequest(
                f"expected a SOAP Envelope, got <{root_name.localname}>", rule="not-an-envelope"
            )
        if root_name.namespace != version.envelope_ns:
            sent = "1.1" if root_name.namespace == SOAP11.envelope_ns else "1.2"
            return self._fault(
                version,
                VERSION_MISMATCH,
                f"a SOAP {sent} envelope was sent with the SOAP {version.name} content type "
                f"{version.media_type!r}",
                rule="version-mismatch",
                supported=sorted(
                    {op.version for op in self.ops}, key=lambda v: v.name, reverse=True
                ),
            )
        body = root.find(f"{{{version.envelope_ns}}}Body")
        if body is None:
            raise BadRequest("the Envelope has no Body", rule="no-body")
        first = next((child for child in body if isinstance(child.tag, str)), None)
        bound = self._dispatch(version, action, first)
        if bound.body_tag and (first is None or first.tag != bound.body_tag):
            got = f"<{_pretty(first.tag)}>" if first is not None else "an empty Body"
            raise BadRequest(
                f"operation {bound.name} expects <{_pretty(bound.body_tag)}> in the Body, "
                f"got {got}",
                rule="wrong-element",
            )
        unknown_header = not_understood(root, version, bound)
        if unknown_header:
            reply = self._fault(
                version,
                MUST_UNDERSTAND,
                f"header <{_pretty(unknown_header)}> is marked mustUnderstand but {bound.name} "
                "does not declare it",
                rule="must-understand",
            )
            reply.operation = bound.name
            return reply
        # The answer depends on the operation, the Body and the data alone: requests that
        # differ only in their headers (a WS-Security nonce, a trace id) or spacing outside
        # the Body reuse it, without validating and reading the Body again.
        key = (bound.name, version.name, etree.tostring(body, with_tail=False), self.store.version)
        kept = self._replies.get(key)
        if kept is not None:
            return kept
        reply = self._body_reply(bound, body, first)
        if self.store.version == key[3]:  # a write is never replayed
            self._replies.put(key, reply, len(key[2]) + len(reply.body))
        return reply

    def _body_reply(self, bound: BoundOp, body: Any, first: Any) -> Reply:
        """Validate the Body against the XSD, read it through zeep and answer it."""
        problems = self._validate(bound, first)
        if problems:
            reply = self._fault(
                bound.version,
                bound.version.sender,
                f"request to {bound.name} does not match the schema: " + "; ".join(problems),
                rule="schema",
            )
            reply.operation = bound.name
            return reply
        try:
            request = _plain(bound.operation.input._deserialize_body(body))["body"]
        except Exception as exc:  # zeep raises assorted errors on content the XSD let through
            raise BadRequest(
                f"request to {bound.name} could not be read: {exc}", rule="schema"
            ) from exc
        return self._build_reply(bound, request)

    def _dispatch(self, version: SoapVersion, action: str, first: Any) -> BoundOp:
        same_version = [op for op in self.ops if op.version is version]
        if not same_version:
            raise BadRequest(
                f"this service has no SOAP {version.name} binding", rule="unknown-operation"
            )
        tag = first.tag if first is not None else ""
        by_action = [op for op in same_version if action and op.action == action]
        if by_action:
            return next((op for op in by_action if op.body_tag == tag), by_action[0])
        by_body = [op for op in same_version if op.body_tag and op.body_tag == tag]
        if by_body:
            return by_body[0]
        what = f"action {action!r} and " if action else ""
        raise BadRequest(
            f"no operation matches {what}Body element <{_pretty(tag) if tag else 'none'}>",
            rule="unknown-operation",
        )

    def _validate(self, bound: BoundOp, first: Any) -> list[str]:
        if first is None or bound.encoded:
            return []
        if bound.rpc_wrapper:
            probe = etree.Element(f"{{{RPC_NS}}}{bound.rpc_wrapper}", nsmap=first.nsmap)
            probe.extend(etree.fromstring(etree.tostring(first)).iterchildren())
            synthetic = etree.QName(probe).text
            return [
                e.replace(synthetic, etree.QName(first).localname)
                for e in self.schemas.errors(probe)
            ]
        return self.schemas.errors(first)

    def _build_reply(self, bound: BoundOp, request: Any) -> Reply:
        output = bound.operation.output
        version = bound.version
        if output is None:
            return Reply(202, b"", version.content_type, operation=bound.name)
        try:
            if output.body is None:
                envelope = output.serialize().content
            elif is_complex(output.body.type):
                values = self.answers.answer(bound.name, request, output.body.type)
                envelope = output.serialize(**values).content
            else:
                envelope = output.serialize(self.factory.one(output.body)).content
            if bound.operation.style == "rpc":
                # WS-I BP R2729: the rpc response wrapper is the operation name + "Response";
                # zeep names it after the output message
                wrapper = envelope.find(f"{{{version.envelope_ns}}}Body")[0]
                wrapper.tag = f"{{{etree.QName(wrapper).namespace or ''}}}{bound.name}Response"
        except NotFound as exc:
            return self._not_found(bound, exc)
        except Exception as exc:  # a WSDL construct the generator cannot fill: say so, never crash
            reply = self._fault(
                version,
                version.receiver,
                f"the mock could not build a {bound.name} response: {exc}",
            )
            reply.operation = bound.name
            return reply
        return Reply(200, serialize(envelope), version.content_type, operation=bound.name)

    def _not_found(self, bound: BoundOp, exc: NotFound) -> Reply:
        version = bound.version
        detail = self._declared_detail(bound, exc)
        if detail is None:
            reply = self._fault(version, version.sender, str(exc))
        else:
            # an application fault declared in the WSDL: HTTP 500 in both versions
            reply = self._fault(version, version.receiver, str(exc), detail=detail)
        reply.operation = bound.name
        return reply

    def _declared_detail(self, bound: BoundOp, exc: NotFound) -> list[Any] | None:
        abstract = getattr(bound.operation, "abstract", None)
        messages = dict(getattr(abstract, "fault_messages", {}) or {})
        if not messages:
            return None
        name = next(
            (n for n in messages if any(w in field_key(n) for w in _NOT_FOUND_WORDS)),
            next(iter(messages)),
        )
        holder = etree.Element("holder")
        for part in messages[name].parts.values():
            element = part.element
            if element is None:
                continue
            values = self.factory.complex_value(element.type) if is_complex(element.type) else {}
            for child, _ in getattr(element.type, "elements", []):
                key = field_key(child)
                if "code" in key:
                    values[child] = "NotFound"
                elif any(w in key for w in ("message", "reason", "text", "description")):
                    values[child] = str(exc)
                elif "key" in key or key.endswith("id"):
                    values[child] = str(exc.value)
            element.render(holder, element(**values) if is_complex(element.type) else str(exc))
        return list(holder)

    def _fault(
        self,
        version: SoapVersion,
        code: str,
        reason: str,
        *,
        rule: str = "ok",
        status: int | None = None,
        detail: Sequence[Any] = (),
        supported: Sequence[SoapVersion] = (),
    ) -> Reply:
        return Reply(
            status or version.status_for(code),
            build_fault(version, code, reason, detail=detail, supported=supported),
            version.content_type,
            validation=rule,
        )


def _plain(value: Any) -> Any:
    """zeep's parsed values as plain dicts and lists."""
    return serialize_object(value, dict)  # type: ignore[no-untyped-call]


def _pretty(tag: str) -> str:
    name = etree.QName(tag)
    return f"{name.localname} xmlns={name.namespace!r}" if name.namespace else name.localname
