"""Property: whatever is done to an example contract, validate answers 0 or 2, never a traceback.

Mutations known to break a contract (a required key deleted, a key renamed to one no kind
knows, garbage bytes) must give exit 2 with ``file:line:col`` messages.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intcheck.cli import main
from tests.conftest import REPO

CONTRACTS = sorted(p.name for p in (REPO / "contracts").glob("*.yaml") if p.name != "plan.yaml")
MESSAGE = re.compile(r"^\S+:\d+:\d+: ")
GARBAGE = [b"\x00", b"\xff\xfe", b"\x1b[31m", b"\t\x07", b"\xc3\x28", b"]]}{", b": : :"]


def _validate(root: Path) -> tuple[int, str]:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(["--no-color", "validate", str(root / "contracts")])
    return code, stderr.getvalue()


def _workspace() -> tempfile.TemporaryDirectory[str]:
    tmp = tempfile.TemporaryDirectory()
    shutil.copytree(REPO / "contracts", Path(tmp.name) / "contracts")
    shutil.copytree(REPO / "mocks", Path(tmp.name) / "mocks")
    return tmp


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _assert_well_reported(code: int, stderr: str, must_fail: bool) -> None:
    assert "Traceback" not in stderr
    assert code in (0, 2), stderr
    if must_fail:
        assert code == 2, "a broken contract was accepted"
    if code == 2:
        messages = [line for line in stderr.splitlines() if not line.startswith(" ")][:-1]
        assert messages, stderr
        assert all(MESSAGE.match(line) for line in messages), stderr


MUTATIONS = st.sampled_from(["delete", "rename", "retype", "truncate", "garbage", "drop-required"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contract=st.sampled_from(CONTRACTS), mutation=MUTATIONS, data=st.data())
def test_mutated_contracts_never_crash(contract: str, mutation: str, data: st.DataObject) -> None:
    with _workspace() as tmp:
        path = Path(tmp) / "contracts" / contract
        text = path.read_bytes()
        must_fail = False
        if mutation == "truncate":
            cut = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
            path.write_bytes(text[:cut])
        elif mutation == "garbage":
            at = data.draw(st.integers(min_value=0, max_value=len(text)))
            junk = data.draw(st.sampled_from(GARBAGE))
            path.write_bytes(text[:at] + junk + text[at:])
            must_fail = junk in (b"\x00", b"\xff\xfe", b"\x1b[31m", b"\xc3\x28", b"\t\x07")
        else:
            document = yaml.safe_load(text)
            if mutation == "drop-required":
                del document[data.draw(st.sampled_from(["kind", "name"]))]
                must_fail = True
            else:
                where = data.draw(st.sampled_from(_paths(document)))
                parent = document
                for step in where[:-1]:
                    parent = parent[step]
                key = where[-1]
                if mutation == "delete":
                    del parent[key]
                elif mutation == "rename":
                    parent["zz_" + str(key)] = parent.pop(key)
                    # top-level and most nested mappings are closed to unknown keys
                    must_fail = len(where) == 1
                else:
                    parent[key] = data.draw(
                        st.sampled_from([None, 12345, -1.5, True, "", [1, 2], {"x": 1}])
                    )
            path.write_text(yaml.safe_dump(document, sort_keys=False))
        code, stderr = _validate(Path(tmp))
    _assert_well_reported(code, stderr, must_fail)
