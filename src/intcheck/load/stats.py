"""Locust's statistics of a run as the report's figures.

Locust's ``--json-file`` holds one entry per request name (the operation id): counts, the
response-time histogram Locust keeps (exact below 100 ms, rounded to 10 ms below 1 s and to
100 ms above), first and last request time. Percentiles are read from that histogram the way
Locust reads them, so the report says what Locust's own UI says; the total is the entries
merged, as Locust merges them. Failures are grouped by the kind the locustfile gave each
(``status 503``, ``timeout``, ``connection refused``) from Locust's error table.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from intcheck.model import LatencyBucket, LoadSample, LoadSummary

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

OVERALL = "Aggregated"  # Locust's own name for the total row
PERCENTILES = {"p50_ms": 0.5, "p90_ms": 0.9, "p95_ms": 0.95, "p99_ms": 0.99}
MAX_SAMPLES = 600  # points of the series kept in a report, however long the run
_WRAPPED = re.compile(r"^CatchResponseError\((['\"])(.*)\1\)$")
# Bucket edges of the report's latency histogram, in ms: 1-2-5 steps from 1 ms to 60 s.
_EDGES = [m * 10**e for e in range(0, 5) for m in (1, 2, 5)] + [60_000]


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    """One operation's (or the whole run's) figures: what the SLOs are judged on."""

    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    percentiles: Mapping[str, float] = field(default_factory=dict)  # p50_ms ... p99_ms
    max_ms: float = 0.0
    min_ms: float = 0.0
    avg_ms: float = 0.0
    failure_kinds: Mapping[str, int] = field(default_factory=dict)  # "status 503" -> count

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def figure(self, name: str) -> float:
        """The figure an SLO limits: ``p95_ms``, ``max_ms``, ``error_rate``, ``min_rps``."""
        if name in self.percentiles:
            return self.percentiles[name]
        return {"max_ms": self.max_ms, "error_rate": self.error_rate, "min_rps": self.rps}[name]

    def as_numbers(self) -> dict[str, float]:
        """The figures as the report's ``operations`` map holds them."""
        numbers: dict[str, float] = {
            "requests": self.requests,
            "failures": self.failures,
            "error_rate": round(self.error_rate, 6),
            "rps": round(self.rps, 3),
            **self.percentiles,
            "max_ms": round(self.max_ms, 3),
            "min_ms": round(self.min_ms, 3),
            "avg_ms": round(self.avg_ms, 3),
        }
        numbers.update({f"failures.{kind}": n for kind, n in sorted(self.failure_kinds.items())})
        return numbers


def percentile(response_times: Mapping[int, int], count: int, fraction: float) -> float:
    """The response time ``fraction`` of ``count`` requests finished within, from Locust's
    histogram (time in ms -> requests), counted from the slowest down as Locust counts."""
    allowed_above = count - int(count * fraction)
    seen = 0
    for millis in sorted(response_times, reverse=True):
        seen += response_times[millis]
        if seen >= allowed_above:
            return float(millis)
    return 0.0


def failure_kind(error: str) -> str:
    """``CatchResponseError('status 503')`` (how Locust keeps a failure) as ``status 503``."""
    match = _WRAPPED.match(error.strip())
    return match.group(2) if match else error.strip()


def figures_of(
    entries: Iterable[Mapping[str, Any]], errors: Iterable[Mapping[str, Any]]
) -> dict[str, Figures]:
    """Per operation id, and ``OVERALL`` for the run, from Locust's stats and error table."""
    kinds: dict[str, Counter[str]] = {}
    for error in errors:
        counter = kinds.setdefault(str(error["name"]), Counter())
        counter[failure_kind(str(error["error"]))] += int(error["occurrences"])
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for entry in entries:
        grouped.setdefault(str(entry["name"]), []).append(entry)
    everything = [entry for group in grouped.values() for entry in group]
    found = {name: _figures(group, kinds.get(name, Counter())) for name, group in grouped.items()}
    found[OVERALL] = _figures(everything, sum(kinds.values(), Counter()))
    return found


def _figures(entries: list[Mapping[str, Any]], kinds: Counter[str]) -> Figures:
    times: Counter[int] = Counter()
    for entry in entries:
        for millis, n in (entry.get("response_times") or {}).items():
            times[int(millis)] += int(n)
    requests = sum(int(e["num_requests"]) for e in entries)
    timed = requests - sum(int(e.get("num_none_requests") or 0) for e in entries)
    starts = [float(e["start_time"]) for e in entries if e.get("start_time")]
    lasts = [float(e["last_request_timestamp"]) for e in entries if e.get("last_request_timestamp")]
    span = (max(lasts) - min(starts)) if starts and lasts else 0.0
    minimums = [e["min_response_time"] for e in entries if e.get("min_response_time") is not None]
    slowest = float(max((e.get("max_response_time") or 0 for e in entries), default=0))
    # Locust's histogram rounds (to 10 ms above 100 ms, 100 ms above 1 s): a p99 of 410 ms
    # beside a slowest answer of 406 ms is the rounding, not a slower answer
    return Figures(
        requests=requests,
        failures=sum(int(e["num_failures"]) for e in entries),
        rps=requests / span if span > 0 else 0.0,
        percentiles={
            k: min(percentile(times, timed, q), slowest) if slowest else percentile(times, timed, q)
            for k, q in PERCENTILES.items()
        },
        max_ms=slowest,
        min_ms=float(min(minimums, default=0)),
        avg_ms=sum(float(e["total_response_time"]) for e in entries) / timed if timed else 0.0,
        failure_kinds=dict(kinds),
    )


def histogram(entries: Iterable[Mapping[str, Any]]) -> tuple[LatencyBucket, ...]:
    """Every request's response time in 1-2-5 buckets, empty buckets at both ends left out."""
    counts = [0] * (len(_EDGES) + 1)
    for entry in entries:
        for millis, n in (entry.get("response_times") or {}).items():
            slot = next((i for i, edge in enumerate(_EDGES) if int(millis) <= edge), len(_EDGES))
            counts[slot] += int(n)
    top = max((int(m) for e in entries for m in (e.get("response_times") or {})), default=0)
    buckets = []
    for slot, count in enumerate(counts):
        low = 0.0 if slot == 0 else float(_EDGES[slot - 1])
        high = float(_EDGES[slot]) if slot < len(_EDGES) else float(max(top, _EDGES[-1]))
        buckets.append(LatencyBucket(from_ms=low, to_ms=high, count=count))
    used = [i for i, b in enumerate(buckets) if b.count]
    return tuple(buckets[used[0] : used[-1] + 1]) if used else ()


def series(samples: Iterable[Mapping[str, Any]]) -> tuple[LoadSample, ...]:
    """The sampler's points (one a second) as the report's series, at most ``MAX_SAMPLES``."""
    points = [
        LoadSample(
            t_s=float(s["t_s"]),
            users=int(s["users"]),
            rps=float(s["rps"]),
            failures_per_s=float(s["failures_per_s"]),
            p50_ms=float(s["p50_ms"]),
            p95_ms=float(s["p95_ms"]),
        )
        for s in samples
        if "t_s" in s
    ]
    step = max(1, -(-len(points) // MAX_SAMPLES))
    return tuple(points[::step])


def summary(
    figures: Mapping[str, Figures],
    *,
    entries: Sequence[Mapping[str, Any]],
    samples: Sequence[Mapping[str, Any]],
    users: int,
    duration_s: float,
    scenario: str,
) -> LoadSummary:
    """The report's ``load`` entry: the run's totals, per-operation figures, series, histogram."""
    total = figures[OVERALL]
    return LoadSummary(
        users=users,
        duration_s=round(duration_s, 3),
        requests=total.requests,
        failures=total.failures,
        rps=round(total.rps, 3),
        p50_ms=total.percentiles["p50_ms"],
        p95_ms=total.percentiles["p95_ms"],
        p99_ms=total.percentiles["p99_ms"],
        operations={name: f.as_numbers() for name, f in figures.items()},
        scenario=scenario,
        series=series(samples),
        histogram=histogram(entries),
    )
