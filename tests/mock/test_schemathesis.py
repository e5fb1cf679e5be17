"""Schemathesis against the mocks: the example plan's spec and real-world specs from the corpus.

Findings would be the mock's fault here: the specs chosen are satisfiable (a value exists for
every response schema) and document the statuses the mock uses for broken rules.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from intcheck.contracts import load_plan
from intcheck.mock import MockServer
from intcheck.model import Latency

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)
ST = Path(sys.executable).with_name("st")


async def _run_schemathesis(
    plan_dir: Path, workdir: Path, name: str, spec: Path, *extra: str, budget_s: float = 150
) -> None:
    async with asyncio.timeout(budget_s + 30), MockServer(load_plan(plan_dir)) as mock:
        mock.behaviours.update(name, "", {"latency": Latency()})
        command = [
            str(ST),
            "run",
            str(spec),
            "--url",
            f"{mock.url}/{name}",
            "--checks",
            CHECKS,
            "--max-examples",
            "15",
            "--phases",
            "examples,fuzzing,stateful",
            "--seed",
            "1",
            "--request-timeout",
            "5",
            "--no-color",
            *extra,
        ]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
            cwd=workdir,  # its .schemathesis cache stays out of the repository
        )
        try:
            async with asyncio.timeout(budget_s):
                output, _ = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        text = output.decode(errors="replace")
        assert process.returncode == 0, f"{' '.join(command)}\n{text[-6000:]}"
        total, _ = mock.journal.read()
        assert total > 50  # schemathesis really exercised the mock


def _contract(tmp_path: Path, name: str, spec: Path) -> Path:
    (tmp_path / "contract.yaml").write_text(f"kind: rest\nname: {name}\nspec: {spec}\n")
    (tmp_path / "plan.yaml").write_text(
        f"name: corpus {name}\nintegrations:\n  - contract: contract.yaml\n"
    )
    return tmp_path


@pytest.mark.slow
async def test_example_customer_master(example_plan_path: Path, tmp_path: Path) -> None:
    spec = example_plan_path.parent / "specs" / "customer-master.openapi.yaml"
    await _run_schemathesis(
        example_plan_path.parent, tmp_path, "customer-master", spec, "-H", "Authorization: Bearer t"
    )


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("file", ["TMF629-Customer_Management-v5.0.1.oas.yaml", "vgis.yml"])
async def test_corpus_spec(corpus: Path, tmp_path: Path, file: str) -> None:
    spec = corpus / "openapi" / file
    await _run_schemathesis(_contract(tmp_path, "corpus", spec), tmp_path, "corpus", spec)
