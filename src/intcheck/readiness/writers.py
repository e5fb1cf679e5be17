"""Write the go/no-go in every format at once, each file atomically."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from intcheck.readiness.document import to_document
from intcheck.readiness.html import render_html
from intcheck.readiness.junit import render_junit
from intcheck.readiness.markdown import render_markdown
from intcheck.report.document import write_atomic

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.readiness.verdict import Readiness


def write_readiness(readiness: Readiness, out_dir: Path) -> list[Path]:
    """readiness.json, readiness.md, readiness-junit.xml and readiness.html in ``out_dir``."""
    outputs = {
        "readiness.json": json.dumps(to_document(readiness), indent=2, ensure_ascii=False) + "\n",
        "readiness.md": render_markdown(readiness),
        "readiness-junit.xml": render_junit(readiness),
        "readiness.html": render_html(readiness, out_dir),
    }
    written = []
    for name, text in outputs.items():
        write_atomic(out_dir / name, text)
        written.append(out_dir / name)
    return written
