"""The inline SVG charts: buckets, axis scales, and what each chart draws."""

from __future__ import annotations

import math
from xml.etree import ElementTree as ET

import pytest

from intcheck.model import LoadSample
from intcheck.readiness.charts import histogram_svg, latency_buckets, nice_scale, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_latency_buckets_count_every_value_and_cut_empty_ends() -> None:
    values = [3.0, 7.5, 40.0, 41.0, 950.0]
    buckets = latency_buckets(values)
    assert sum(c for _, _, c in buckets) == len(values)
    assert buckets[0] == (2.0, 5.0, 1) and buckets[-1] == (500.0, 1000.0, 1)
    assert all(low < high for low, high, _ in buckets)
    # an SLA beyond every answer still lies on the axis
    assert latency_buckets(values, include_ms=3000)[-1][:2] == (2000.0, 5000.0)
    assert latency_buckets([]) == []
    assert latency_buckets([10**7])[-1] == (200_000.0, math.inf, 1)


@pytest.mark.parametrize("peak", [0, 1, 2, 7, 13, 96, 412.3, 9800, 0.35])
def test_nice_scale_has_round_steps_above_the_peak(peak: float) -> None:
    integer = isinstance(peak, int)
    top, ticks = nice_scale(peak, integer=integer)
    assert top >= peak and 1 <= ticks <= 5
    step = top / ticks
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    if integer:
        assert step == int(step)


def test_histogram_draws_a_bar_per_bucket_and_escapes_its_title() -> None:
    svg = histogram_svg(
        [(0, 50, 3), (50, 100, 0), (100, 200, 9)],
        title="<b>crm</b> answers",
        mark_ms=120,
        mark_label="SLA p95 120 ms",
    )
    root = ET.fromstring(svg)
    bars = root.findall(f"{SVG}rect[@class='bar']")
    assert len(bars) == 3
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[1] == 0 and heights[2] > heights[0] > 0
    assert root.find(f"{SVG}line[@class='mark']") is not None
    assert "<b>" not in svg and "&lt;b&gt;crm" in svg


def test_timeline_draws_users_lines_and_failures() -> None:
    series = [
        LoadSample(
            t_s=5.0 * n, users=10 * n, rps=4.5 * n, failures_per_s=n % 2, p50_ms=30, p95_ms=90
        )
        for n in range(12)
    ]
    root = ET.fromstring(timeline_svg(series, title="peak-hour"))
    lines = {p.get("class") for p in root.iter(f"{SVG}polyline")}
    assert lines == {"line rps", "line p50", "line p95"}
    assert root.find(f"{SVG}polygon[@class='users']") is not None
    assert len(root.findall(f"{SVG}rect[@class='failures']")) == len(series)
