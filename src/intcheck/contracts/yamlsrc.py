"""YAML text to plain data plus a map from JSON pointer to (line, column).

PyYAML's ``compose`` keeps a start mark on every node; walking the node tree once gives both
the data and the positions, so any later finding can point back at the line that set it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from intcheck.model import Diagnostic, SourceRef

if TYPE_CHECKING:
    from pathlib import Path

# libyaml's composer is ~10x faster on big OpenAPI documents; fall back to pure Python.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def escape(token: str) -> str:
    """Escape one JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def dotted(pointer: str) -> str:
    """``/mock/latency/p99_ms`` as ``mock.latency.p99_ms``, list indexes as ``[0]``."""
    out = ""
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        out += f"[{token}]" if token.isdigit() else (f".{token}" if out else token)
    return out


def value_at(data: Any, pointer: str) -> Any:
    """The value at ``pointer`` in plain data, or None where the path does not exist."""
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(data, dict) and token in data:
            data = data[token]
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return None
    return data


def pointer_of(parts: list[str | int] | tuple[str | int, ...]) -> str:
    return "".join("/" + escape(str(p)) for p in parts)


class YamlSyntaxError(Exception):
    """The file could not be parsed; ``diagnostic`` says where and why."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


@dataclass(slots=True)
class SourceDoc:
    """Parsed data of one file with the position of every value and every mapping key."""

    path: Path
    data: Any
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[str, tuple[int, int]] = field(default_factory=dict)
    interpolated: set[str] = field(default_factory=set)  # pointers whose value came from ${…}

    def ref(self, pointer: str, *, key: bool = False) -> SourceRef:
        """The position of ``pointer`` (of its key, if ``key``), else of its nearest ancestor."""
        if key and pointer in self.key_marks:
            line, col = self.key_marks[pointer]
            return SourceRef(path=self.path, line=line, col=col, pointer=pointer)
        probe = pointer
        while probe and probe not in self.marks:
            probe = probe.rsplit("/", 1)[0]
        line, col = self.marks.get(probe, (1, 1))
        key_line = self.key_marks.get(probe)
        if key_line is not None and key_line[0] != line:
            # a block mapping or list starts on the line after its key: point at the key
            line, col = key_line
        return SourceRef(path=self.path, line=line, col=col, pointer=pointer)


def _syntax_diagnostic(path: Path, line: int, col: int, message: str) -> Diagnostic:
    return Diagnostic(
        source=SourceRef(path=path, line=line, col=col),
        field="",
        message=message,
        rule="yaml-syntax",
    )


def _line_col_of(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    line = before.count("\n") + 1
    return line, position - (before.rfind("\n") + 1) + 1


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; undecodable bytes are a syntax error at their line."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col_of(raw[: exc.start].decode("utf-8", "replace"), exc.start)
        raise YamlSyntaxError(
            _syntax_diagnostic(path, line, col, f"byte 0x{raw[exc.start]:02x} is not UTF-8 text")
        ) from None


def parse_yaml(path: Path, text: str | None = None) -> SourceDoc:
    """Parse one YAML (or JSON) file into a ``SourceDoc``; raise ``YamlSyntaxError`` on bad text."""
    if text is None:
        text = read_text(path)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        diagnostic = _syntax_diagnostic(path, line, col, f"YAML syntax error: {problem}")
        if "mapping values are not allowed" in problem or "expected <block end>" in problem:
            hint = "check the indentation here and on the line above: siblings line up exactly"
            diagnostic = Diagnostic(
                source=diagnostic.source,
                field="",
                message=diagnostic.message,
                hint=hint,
                rule="yaml-syntax",
            )
        raise YamlSyntaxError(diagnostic) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col_of(text, exc.position)
        raise YamlSyntaxError(
            _syntax_diagnostic(
                path, line, col, f"YAML syntax error: character {exc.character!r} is not allowed"
            )
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_syntax_diagnostic(path, 1, 1, f"YAML syntax error: {exc}")) from None
    doc = SourceDoc(path=path, data=None)
    if node is not None:
        doc.data = _Walker(doc).walk(node, "")
    return doc


def parse_json(path: Path, text: str) -> SourceDoc:
    """Parse JSON quickly; positions are filled in only if a caller later asks for them."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise YamlSyntaxError(
            _syntax_diagnostic(path, exc.lineno, exc.colno, f"JSON syntax error: {exc.msg}")
        ) from None
    return SourceDoc(path=path, data=data)


def parse_document(path: Path) -> SourceDoc:
    """Parse a YAML or JSON file by its suffix."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        doc = parse_json(path, text)
        # JSON is valid YAML, so the YAML walker can still give positions; only pay for it
        # on small files, where it is cheap.
        if len(text) < 200_000:
            return parse_yaml(path, text)
        return doc
    return parse_yaml(path, text)


class _Walker:
    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.constructor = yaml.constructor.SafeConstructor()
        self.active: set[int] = set()

    def walk(self, node: yaml.Node, pointer: str) -> Any:
        self.doc.marks[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in self.active:
            raise YamlSyntaxError(
                _syntax_diagnostic(
                    self.doc.path, *self.doc.marks[pointer], "YAML alias refers to itself"
                )
            )
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, pointer)
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.walk(item, f"{pointer}/{index}") for index, item in enumerate(node.value)
                ]
            try:
                return self.constructor.construct_object(node, deep=True)
            except yaml.constructor.ConstructorError as exc:
                line, col = self.doc.marks[pointer]
                raise YamlSyntaxError(
                    _syntax_diagnostic(self.doc.path, line, col, f"YAML error: {exc.problem}")
                ) from None
            except ValueError as exc:
                # a value that looks like a date but is none, e.g. 2026-02-30
                line, col = self.doc.marks[pointer]
                raise YamlSyntaxError(
                    _syntax_diagnostic(
                        self.doc.path, line, col, f"YAML error: {node.value!r} is no date: {exc}"
                    )
                ) from None
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, pointer: str) -> dict[Any, Any]:
        self.constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                raise YamlSyntaxError(
                    _syntax_diagnostic(self.doc.path, line, col, "YAML error: a key must be text")
                )
            child = f"{pointer}/{escape(str(key))}"
            key_mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                raise YamlSyntaxError(
                    _syntax_diagnostic(
                        self.doc.path, *key_mark, f"YAML error: duplicate key {key!r}"
                    )
                )
            self.doc.key_marks[child] = key_mark
            result[key] = self.walk(value_node, child)
        return result
