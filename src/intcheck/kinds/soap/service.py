"""One contract's SOAP service: find the operation, check the request, build the answer.

Everything is decided here, away from aiohttp: ``SoapService.answer`` takes the content type,
SOAPAction header and body bytes and returns a ``Reply``. zeep parses the WSDL, deserializes
the request and serializes the response; lxml validates the request against the XSD.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

from intcheck.cache import BoundedCache
from intcheck.kinds.base import MAX_BODY_BYTES
from intcheck.kinds.soap.components import ComplexType
from intcheck.kinds.soap.dataset import DatasetAnswers, NotFound, request_values
from intcheck.kinds.soap.envelope import (
    MUST_UNDERSTAND,
    SOAP11,
    SOAP12,
    VERSION_MISMATCH,
    BadRequest,
    SoapVersion,
    ascii_compatible,
    build_fault,
    not_understood,
    parse_envelope,
    serialize,
    version_from_content_type,
)
from intcheck.kinds.soap.notfound import FaultDetail, not_found_fault
from intcheck.kinds.soap.operations import SoapModel, SoapOperation

if TYPE_CHECKING:
    from intcheck.data import DataStore
    from intcheck.model import Contract

log = logging.getLogger(__name__)


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
        self.name = contract.name
        self.auth = contract.auth
        self.model = SoapModel.compile(contract)
        self.ops = self.model.operations
        if self.model.schemas.schema is None:
            log.warning(
                "%s: requests are not validated, libxml2 refused the WSDL's schemas: %s",
                contract.name,
                self.model.schemas.error,
            )
        self.builder = self.model.builder(rng)
        self.answers = DatasetAnswers(store)
        self._versions = sorted({op.version for op in self.ops}, key=lambda v: v.name, reverse=True)
        self._published: BoundedCache[tuple[str, str], bytes] = BoundedCache(64)
        self.store = store
        # Answers by (content type, SOAPAction, request bytes, store version): parsing,
        # validating and reading the request, then building and serialising the answer, cost
        # nearly all of a request, and the same request on unchanged data gets the same answer
        # anyway. Writes change the store version and are never reused. Cached replies are
        # shared: nothing may change one after it is returned.
        self._answers: BoundedCache[tuple[str, str | None, bytes, int], Reply] = BoundedCache()
        # Replies by (binding, operation, Body bytes, store version): see _answer.
        self._replies: BoundedCache[tuple[str, str, bytes, int], Reply] = BoundedCache()
        # Replies by (binding, operation, request values, store version), for a Body valid
        # against the XSD: what the answer is built from, so requests that differ in spelling
        # (prefixes, spacing) but name the same records share it.
        self._by_values: BoundedCache[tuple[str, str, Hashable, int], Reply] = BoundedCache()
        self._expected = self.auth.headers() if self.auth is not None else {}
        # operations by (SOAP version, action, Body element): see _dispatch
        self._routes: BoundedCache[tuple[str, str, str], SoapOperation] = BoundedCache(1024)

    # -- documents ---------------------------------------------------------------------------

    def published(self, key: str, base_url: str) -> bytes | None:
        """The WSDL ("") or a schema, rewritten so every address points at ``base_url``."""
        # base URLs come from Host headers: bounded, so they cannot grow it forever
        found = self._published.get((key, base_url))
        if found is None:
            found = self.model.files.published(key, base_url)
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
        if root.tag != version.envelope_tag:
            return self._wrong_envelope(version, etree.QName(root))
        # iterchildren filters in C; find() runs lxml's ElementPath in Python, 3 µs a call
        body = next(root.iterchildren(version.body_tag), None)
        if body is None:
            raise BadRequest("the Envelope has no Body", rule="no-body")
        first = next(body.iterchildren(etree.Element), None)  # comments and PIs are no operation
        op = self._dispatch(version, action, first)
        expected = op.input.body_tag
        if expected and (first is None or first.tag != expected):
            got = f"<{_pretty(first.tag)}>" if first is not None else "an empty Body"
            raise BadRequest(
                f"operation {op.name} expects <{_pretty(expected)}> in the Body, got {got}",
                rule="wrong-element",
            )
        # no header can be marked mustUnderstand when the word is nowhere in the bytes
        marked = b"mustUnderstand" in data or not ascii_compatible(data)
        unknown_header = not_understood(root, version, op.input.headers) if marked else ""
        if unknown_header:
            reply = self._fault(
                version,
                MUST_UNDERSTAND,
                f"header <{_pretty(unknown_header)}> is marked mustUnderstand but {op.name} "
                "does not declare it",
                rule="must-understand",
            )
            reply.operation = op.name
            return reply
        # The answer depends on the operation, the Body and the data alone: requests that
        # differ only in their headers (a WS-Security nonce, a trace id) or spacing outside
        # the Body reuse it, without validating and reading the Body again.
        key = (op.binding, op.name, etree.tostring(body, with_tail=False), self.store.version)
        kept = self._replies.get(key)
        if kept is not None:
            return kept
        reply = self._body_reply(op, first)
        if self.store.version == key[3]:  # a write is never replayed
            self._replies.put(key, reply, len(key[2]) + len(reply.body))
        return reply

    def _wrong_envelope(self, version: SoapVersion, root_name: Any) -> Reply:
        """SOAP 1.1 §4.4.1 and SOAP 1.2 §5.4.7: an Envelope of another namespace (SOAP 1.2:
        any other root) is a VersionMismatch, answered in the version the request came as."""
        if root_name.localname != "Envelope" and version is SOAP11:
            raise BadRequest(
                f"expected a SOAP Envelope, got <{root_name.localname}>", rule="not-an-envelope"
            )
        sent = {
            SOAP11.envelope_ns: "a SOAP 1.1 envelope",
            SOAP12.envelope_ns: "a SOAP 1.2 envelope",
        }
        what = sent.get(root_name.namespace or "", f"<{_pretty(root_name.text)}>")
        return self._fault(
            version,
            VERSION_MISMATCH,
            f"{what} was sent with the SOAP {version.name} content type {version.media_type!r}; "
            f"expected a SOAP {version.name} Envelope ({version.envelope_ns})",
            rule="version-mismatch",
            supported=self._versions,
        )

    def _body_reply(self, op: SoapOperation, first: Any) -> Reply:
        """Validate the Body against the XSD, read it and answer it."""
        # SOAP-encoded bodies (rpc/encoded) follow the encoding rules, not their literal schema
        problems = [] if first is None or op.encoded else self.model.errors(op.input, first)
        if problems:
            reply = self._fault(
                op.version,
                op.version.sender,
                f"request to {op.name} does not match the schema: " + "; ".join(problems),
                rule="schema",
            )
            reply.operation = op.name
            return reply
        request = request_values(first) if first is not None else {}
        key = (op.binding, op.name, _frozen(request), self.store.version)
        kept = self._by_values.get(key)
        if kept is not None:
            return kept
        reply = self._build_reply(op, request)
        if self.store.version == key[3]:  # a write is never replayed
            self._by_values.put(key, reply, len(reply.body) + 64)
        return reply

    def _dispatch(self, version: SoapVersion, action: str, first: Any) -> SoapOperation:
        tag = first.tag if first is not None else ""
        found = self._routes.get((version.name, action, tag))
        if found is not None:
            return found
        same_version = [op for op in self.ops if op.version is version]
        if not same_version:
            raise BadRequest(
                f"this service has no SOAP {version.name} binding", rule="unknown-operation"
            )
        by_action = [op for op in same_version if action and op.action == action]
        by_body = [op for op in same_version if op.input.body_tag and op.input.body_tag == tag]
        if by_action:
            found = next((op for op in by_action if op.input.body_tag == tag), by_action[0])
        elif by_body:
            found = by_body[0]
        if found is not None:
            # actions and tags come from clients: bounded, so they cannot grow it forever
            self._routes.put((version.name, action, tag), found)
            return found
        what = f"action {action!r} and " if action else ""
        raise BadRequest(
            f"no operation matches {what}Body element <{_pretty(tag) if tag else 'none'}>",
            rule="unknown-operation",
        )

    def _build_reply(self, op: SoapOperation, request: dict[str, Any]) -> Reply:
        output = op.output
        version = op.version
        if output is None:
            return Reply(202, b"", version.content_type, operation=op.name)
        try:
            roots = self.model.roots(output)
            content = roots[0].type if len(roots) == 1 else None
            scope = self.answers.start(
                op.name, request, content if isinstance(content, ComplexType) else None
            )
            payload = self.model.build_body(self.builder, output, scope, self.answers)
        except NotFound as exc:
            return self._not_found(op, exc)
        except Exception as exc:  # a WSDL construct the builder cannot fill: say so, never crash
            reply = self._fault(
                version, version.receiver, f"the mock could not build a {op.name} response: {exc}"
            )
            reply.operation = op.name
            return reply
        envelope = _envelope(version)
        envelope[0].extend(payload)
        return Reply(200, serialize(envelope), version.content_type, operation=op.name)

    def _not_found(self, op: SoapOperation, exc: NotFound) -> Reply:
        """A not-found is the sender's mistake (Client in 1.1, Sender in 1.2), with the detail
        of the fault the WSDL declares for it when there is one."""
        version = op.version
        fault = not_found_fault(op.faults)
        detail = []
        if fault is not None:
            element = self.model.types.element(fault.element)
            if element is not None:
                filler = FaultDetail(str(exc), exc.value)
                detail.append(self.builder.element(element, None, filler))
        reply = self._fault(version, version.sender, str(exc), detail=detail)
        reply.operation = op.name
        return reply

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


def _pretty(tag: str) -> str:
    name = etree.QName(tag)
    return f"{name.localname} xmlns={name.namespace!r}" if name.namespace else name.localname


def _frozen(value: Any) -> Hashable:
    """Request values (dicts, lists, text) as a hashable key."""
    if isinstance(value, dict):
        return tuple((name, _frozen(item)) for name, item in value.items())
    if isinstance(value, list):
        return ("[]", *(_frozen(item) for item in value))
    return str(value) if value is not None else None


def _envelope(version: SoapVersion) -> Any:
    ns = version.envelope_ns
    prefix = "soap" if version is SOAP11 else "env"
    envelope = etree.Element(f"{{{ns}}}Envelope", nsmap={prefix: ns})
    etree.SubElement(envelope, f"{{{ns}}}Body")
    return envelope
