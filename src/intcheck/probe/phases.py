"""The order cases go out in: linked cases after the answers they take values from.

A case with ``needs`` is sent in a later phase than every case it needs, with its request
built from the values found in their answers (``resolve``). Cases of a later ``stage`` go
after every case of the earlier stages, whatever they need (a kind puts deletes last, so no
read finds its record already erased). Inside one phase cases run concurrently.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from intcheck.kinds.probing import Exchange, Need, ProbeCase

LINK_CHECK = "link_is_followed"


def sources_of(cases: Iterable[ProbeCase]) -> set[str]:
    """The ids of every case some case takes a value from (their answers are kept)."""
    return {source for case in cases for need in case.needs for source in need.sources}


def with_sources(every: list[ProbeCase], chosen: list[ProbeCase]) -> list[ProbeCase]:
    """``chosen`` plus, transitively, the cases their needs come from, in ``every``'s order."""
    by_id = {case.id: case for case in every}
    wanted = {case.id for case in chosen}
    todo = list(chosen)
    while todo:
        for source in sources_of([todo.pop()]):
            if source in by_id and source not in wanted:
                wanted.add(source)
                todo.append(by_id[source])
    return [case for case in every if case.id in wanted]


def in_phases(cases: list[ProbeCase]) -> list[list[ProbeCase]]:
    """``cases`` grouped into phases, each after the ones its cases need; order kept inside."""
    by_id = {case.id: case for case in cases}
    depth: dict[str, int] = {}

    def level(case: ProbeCase, path: frozenset[str]) -> int:
        if case.id not in depth:
            found = 0
            for source in sources_of([case]):
                before = by_id.get(source)
                # A source of an earlier stage is done before this stage starts; a cycle (a
                # kind's mistake) is cut rather than followed.
                if before is None or before.stage != case.stage or source in path:
                    continue
                found = max(found, level(before, path | {case.id}) + 1)
            depth[case.id] = found
        return depth[case.id]

    groups: dict[tuple[int, int], list[ProbeCase]] = {}
    for case in cases:
        groups.setdefault((case.stage, level(case, frozenset())), []).append(case)
    return [groups[key] for key in sorted(groups)]


def resolve(case: ProbeCase, answers: Mapping[str, Exchange]) -> ProbeCase:
    """``case`` with its request built from the values its needs find; SKIPPED if one is missing."""
    if not case.needs or case.skip or case.build is None:
        return case
    found: dict[str, Any] = {}
    origins: list[str] = []
    for need in case.needs:
        for source in need.sources:
            value = _taken(need, answers.get(source))
            if value is not None:
                found[need.slot] = value
                origins.append(source)
                break
        else:
            return replace(case, skip=_why_not(need, answers), skipped_by=LINK_CHECK)
    return replace(
        case,
        request=case.build(found),
        data_origin="harvested from " + ", ".join(dict.fromkeys(origins)),
        record_is_known=case.record_is_known or any(n.names_record for n in case.needs),
    )


def _taken(need: Need, exchange: Exchange | None) -> Any:
    if exchange is None or exchange.error:
        return None
    try:
        return need.take(exchange)
    except Exception:  # a hostile answer must not stop the run: no value, the case is skipped
        return None


def _why_not(need: Need, answers: Mapping[str, Exchange]) -> str:
    if not need.sources:
        return f"not sent: no case of this run gives its {need.what}"
    heard = [(s, answers[s]) for s in need.sources if s in answers]
    if not heard:
        return f"not sent: its {need.what} comes from the answer to {need.sources[0]}, not sent"
    source, exchange = heard[0]
    answer = exchange.error or f"status {exchange.status}"
    return f"not sent: the answer to {source} ({answer}) gave no {need.what}"
