"""Real-world specs: building probe cases never crashes, whatever the document holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from intcheck.contracts import load_plan
from intcheck.model import Status
from intcheck.probe import ProbeOptions, plan_cases, run_probe

pytestmark = pytest.mark.corpus


def _specs(corpus: Path) -> list[tuple[str, Path]]:
    found = [("rest", p) for p in sorted((corpus / "openapi").iterdir())]
    found += [
        ("soap", p)
        for p in sorted((corpus / "wsdl").rglob("*"))
        if p.is_file() and p.suffix in (".wsdl", ".xml")
    ]
    return found


async def test_every_corpus_spec_yields_cases(corpus: Path, tmp_path: Path) -> None:
    for index, (kind, spec) in enumerate(_specs(corpus)):
        folder = tmp_path / str(index)
        folder.mkdir()
        (folder / "c.yaml").write_text(
            f"kind: {kind}\nname: c{index}\nspec: {spec}\ntarget: http://127.0.0.1:9/x\n"
        )
        (folder / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: c.yaml\n")
        plan = load_plan(folder)
        cases = plan_cases(plan, ProbeOptions())
        assert cases, spec.name
        ids = [c.id for c in cases]
        assert len(ids) == len(set(ids)), spec.name
        # a case that could not be built is reported, never sent
        skipped = [c for c in cases if c.skip]
        if skipped:
            options = ProbeOptions(only=(skipped[0].id,), timeout_s=1)
            results = [r async for r in run_probe(plan, options)]
            assert [r.status for r in results] == [Status.SKIPPED]
