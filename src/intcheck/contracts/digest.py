"""The version of a contract a run used: one sha256 over the contract and its documents.

probe, simulate and load record ``contract_digests(plan)`` in their report's environment;
readiness recomputes it from the plan on disk and calls a report made against other files
stale. The digest covers the contract YAML, its spec (OpenAPI or WSDL) and every local file
those reference (``$ref`` to another file, XSD/WSDL ``import``/``include``), so editing an
imported XSD changes it too; a dataset under ``mocks/`` is test data, not the contract.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intcheck.model import Contract, Plan

# References to other files, found by a text scan rather than a second parse of documents
# the loader has already parsed: YAML/JSON ``$ref: other.yaml#/x`` and XML
# ``schemaLocation="types.xsd"`` / ``location="service.wsdl"``.
_JSON_REF = re.compile(r"""["']?\$ref["']?\s*:\s*["']?([^"'#\s{}]+)""")
_XML_REF = re.compile(r"""\b(?:schemaLocation|location)\s*=\s*["']([^"'#]+)["']""")
_MAX_FILES = 200  # a pathological import web is cut here rather than walked for ever


def contract_digests(plan: Plan) -> dict[str, str]:
    """``{contract name: "sha256:…"}`` for every contract of ``plan``."""
    return {contract.name: contract_digest(contract) for contract in plan.contracts}


def contract_digest(contract: Contract) -> str:
    """One ``sha256:<hex>`` over the contract file, its spec and the files they import.

    Paths enter the digest relative to the contract's folder, so moving the whole plan
    elsewhere keeps its digests; a file that cannot be read enters as missing.
    """
    root = contract.source.path.resolve().parent
    files = [contract.source.path.resolve()]
    if contract.spec is not None:
        files.append(contract.spec.resolve())
    seen: set[Path] = set()
    total = hashlib.sha256()
    index = 0
    while index < len(files) and len(seen) < _MAX_FILES:
        path = files[index]
        index += 1
        if path in seen:
            continue
        seen.add(path)
        try:
            data = path.read_bytes()
        except OSError:
            data = None
        total.update(_relative(path, root).encode("utf-8") + b"\0")
        total.update(hashlib.sha256(data).digest() if data is not None else b"missing")
        if data is not None and index > 1:  # the contract's own references are its spec
            files.extend(sorted(_references(path, data) - seen))
    return "sha256:" + total.hexdigest()


def _references(path: Path, data: bytes) -> set[Path]:
    text = data.decode("utf-8", "replace")
    pattern = _XML_REF if path.suffix.lower() in (".wsdl", ".xsd", ".xml") else _JSON_REF
    found = set()
    for written in pattern.findall(text):
        if "://" in written and not written.startswith("file://"):
            continue  # remote documents are refused by the loader; nothing local to hash
        candidate = (path.parent / written.removeprefix("file://")).resolve()
        if candidate.is_file():
            found.add(candidate)
    return found


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()
