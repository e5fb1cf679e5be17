"""Values kept from a step's answer (``save:``): a JSON pointer, or element names for XML.

``/items/0/id`` reads a JSON answer (RFC 6901). An XML answer — a SOAP envelope — is read from
the Body's first element down by local names, an index picking among same-named siblings:
``/ListCustomerOrdersResponse/Order/0/OrderId``. Namespaces and prefixes are ignored: a story
names elements the way a key user reads them.
"""

from __future__ import annotations

from typing import Any

import orjson
from lxml import etree

from intcheck.contracts.wsdl import safe_parser


class NotInAnswer(Exception):
    """The pointer names nothing in the answer."""


def extract(body: bytes, content_type: str, pointer: str) -> Any:
    """The value at ``pointer`` in an answer; ``NotInAnswer`` when there is none."""
    if "xml" in content_type or body.lstrip().startswith(b"<"):
        return _from_xml(body, pointer)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise NotInAnswer("the answer is neither JSON nor XML") from None
    for token in _tokens(pointer):
        if isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        elif isinstance(data, dict) and token in data:
            data = data[token]
        else:
            raise NotInAnswer(f"{pointer}: no {token!r} in the answer")
    return data


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _from_xml(body: bytes, pointer: str) -> str:
    try:
        root = etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise NotInAnswer(f"the XML answer does not parse: {exc.msg}") from None
    body_element = next((e for e in root.iter() if etree.QName(e).localname == "Body"), root)
    candidates = [body_element]
    for token in _tokens(pointer):
        if token.isdigit():
            if int(token) >= len(candidates):
                raise NotInAnswer(f"{pointer}: fewer than {int(token) + 1} such elements")
            candidates = [candidates[int(token)]]
            continue
        candidates = [
            child
            for parent in candidates[:1]
            for child in parent
            if isinstance(child.tag, str) and etree.QName(child).localname == token
        ]
        if not candidates:
            raise NotInAnswer(f"{pointer}: no element {token!r} in the answer")
    return "".join(str(text) for text in candidates[0].itertext()).strip()
