"""Locust's statistics as the load report shows them."""

from __future__ import annotations

from intcheck.load.stats import OVERALL, figures_of


def _entry(times: dict[int, int], slowest: float) -> dict[str, object]:
    count = sum(times.values())
    return {
        "name": "svc:GET /customers",
        "num_requests": count,
        "num_failures": 0,
        "num_none_requests": 0,
        "response_times": times,
        "max_response_time": slowest,
        "min_response_time": min(times),
        "total_response_time": sum(ms * n for ms, n in times.items()),
        "start_time": 100.0,
        "last_request_timestamp": 110.0,
    }


def test_no_percentile_is_above_the_slowest_answer() -> None:
    """Locust's histogram keeps 406 ms as 410 ms: the table showed p99 410 beside max 406."""
    figures = figures_of([_entry({20: 98, 410: 2}, slowest=406.2)], [])
    for name in ("svc:GET /customers", OVERALL):
        numbers = figures[name].as_numbers()
        assert numbers["p99_ms"] == numbers["max_ms"] == 406.2
        assert numbers["p50_ms"] == 20.0
