"""What changed since an earlier readiness run: findings fixed, new and still open.

Issues are compared by their stable ids (``customer-master/conformance/failed/GET
/customers/{id}/body_matches_schema``); notes, which never weigh on the verdict, are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from intcheck.readiness.document import read_readiness

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from intcheck.readiness.verdict import Readiness


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueRef:
    """An issue as a change list shows it."""

    id: str
    title: str
    disposition: str

    @property
    def scope(self) -> str:
        """The integration's name, or ``rollout``."""
        return self.id.split("/", 1)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictChange:
    """An integration (or the rollout) whose verdict moved."""

    name: str
    before: str
    after: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """The difference between an earlier readiness.json and this run."""

    previous: Path
    previous_generated_at: str
    previous_verdict: str
    fixed: tuple[IssueRef, ...]
    new: tuple[IssueRef, ...]
    still_open: tuple[IssueRef, ...]
    verdicts: tuple[VerdictChange, ...]


def compare_with(readiness: Readiness, previous: Path) -> Changes:
    """Compare ``readiness`` with the readiness.json at ``previous`` (schema-checked)."""
    document = read_readiness(previous)
    before = _refs(
        issue
        for scope in (*document["integrations"], document["rollout"])
        for issue in scope["issues"]
    )
    now = {
        i.id: IssueRef(id=i.id, title=i.title, disposition=i.disposition.value)
        for i in readiness.issues
        if i.disposition.value != "note"
    }
    verdicts_before = {v["name"]: v["verdict"] for v in document["integrations"]}
    verdicts_before["rollout"] = document["verdict"]
    verdicts_now = {v.name: v.verdict.value for v in readiness.integrations}
    verdicts_now["rollout"] = readiness.verdict.value
    return Changes(
        previous=previous,
        previous_generated_at=document["generated_at"],
        previous_verdict=document["verdict"],
        fixed=tuple(ref for key, ref in before.items() if key not in now),
        new=tuple(ref for key, ref in now.items() if key not in before),
        still_open=tuple(ref for key, ref in now.items() if key in before),
        verdicts=tuple(
            VerdictChange(name=name, before=verdicts_before[name], after=after)
            for name, after in verdicts_now.items()
            if name in verdicts_before and verdicts_before[name] != after
        ),
    )


def _refs(issues: Iterable[dict[str, Any]]) -> dict[str, IssueRef]:
    return {
        i["id"]: IssueRef(id=i["id"], title=i["title"], disposition=i["disposition"])
        for i in issues
        if i["disposition"] != "note"
    }
