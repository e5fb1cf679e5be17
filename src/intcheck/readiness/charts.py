"""Inline SVG charts for the HTML report: latency histograms and load over time.

Plain SVG text with fixed colours and sizes in a viewBox, so a chart needs no script, no font
download and no network, scales with the page and prints as drawn. Every number shown comes
from a report; labels are escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from intcheck.model import LatencyBucket, LoadSample

WIDTH = 640  # the timeline's viewBox; histograms are narrower, two fit side by side
HISTOGRAM_WIDTH = 440
INK = "#1d1d1f"
GRID = "#d0d0d5"
BAR = "#3867d6"
USERS = "#a5b1c2"
RPS = "#3867d6"
P50 = "#20bf6b"
P95 = "#eb8c00"
FAILURES = "#c0392b"
# 1-2-5 steps: readable bucket edges from a millisecond to two minutes.
_LADDER = tuple(m * 10**e for e in range(0, 6) for m in (1, 2, 5) if m * 10**e <= 200_000)


def latency_buckets(
    values_ms: Sequence[float], *, include_ms: float | None = None
) -> list[tuple[float, float, int]]:
    """``values_ms`` counted into 1-2-5 buckets ``(from_ms, to_ms, count)``, empty ends cut.

    ``include_ms`` (an SLA, say) widens the range so that value lies on the axis too.
    """
    if not values_ms:
        return []
    edges = [0.0, *(float(e) for e in _LADDER), math.inf]
    counts = [0] * (len(edges) - 1)

    def index_of(value: float) -> int:
        return next(i for i in range(len(counts)) if value <= edges[i + 1])

    for value in values_ms:
        counts[index_of(value)] += 1
    first = next(i for i, c in enumerate(counts) if c)
    last = max(i for i, c in enumerate(counts) if c)
    if include_ms is not None:
        first, last = min(first, index_of(include_ms)), max(last, index_of(include_ms))
    while last - first < 4:  # a few cases in one bucket still show where they sit
        if last + 1 < len(counts) - 1:
            last += 1
        if last - first < 4 and first > 0:
            first -= 1
        if first == 0 and last >= len(counts) - 2:
            break
    return [(edges[i], edges[i + 1], counts[i]) for i in range(first, last + 1)]


def buckets_of(histogram: Sequence[LatencyBucket]) -> list[tuple[float, float, int]]:
    """A report's histogram as ``(from_ms, to_ms, count)`` triples."""
    return [(b.from_ms, b.to_ms, b.count) for b in histogram]


def histogram_svg(
    buckets: Sequence[tuple[float, float, int]],
    *,
    title: str,
    mark_ms: float | None = None,
    mark_label: str = "",
) -> str:
    """Bars of request counts per latency bucket; ``mark_ms`` draws a dashed SLA line."""
    height, left, right, top, bottom = 240, 46, 12, 30, 50
    plot_w, plot_h = HISTOGRAM_WIDTH - left - right, height - top - bottom
    peak, ticks = nice_scale(max((c for _, _, c in buckets), default=0), integer=True)
    step = plot_w / max(1, len(buckets))
    bar = min(step - 4, 56.0)  # a lone bucket is a bar, not a wall
    parts = [_open("histogram", title, height, HISTOGRAM_WIDTH), _title(title)]
    parts += _y_axis(peak, ticks, left, top, plot_w, plot_h, "requests")
    for index, (low, high, count) in enumerate(buckets):
        middle = left + index * step + step / 2
        h = plot_h * count / peak
        parts.append(
            f'<rect class="bar" x="{middle - bar / 2:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{max(1.0, bar):.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{escape(_range(low, high))} ms: {count}</title></rect>"
        )
        parts.append(_text(middle, top + plot_h + 14, _range(low, high), size=9))
        if count:
            parts.append(_text(middle, top + plot_h - h - 3, f"{count:,}", size=9))
    if mark_ms is not None and buckets:
        x = left + step * _position(buckets, mark_ms)
        parts.append(
            f'<line class="mark" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
            f'stroke="{FAILURES}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        # the label sits right of the line, or left of it near the right edge
        right_side = x < left + plot_w - 7 * len(mark_label)
        parts.append(
            _text(
                x + 4 if right_side else x - 4,
                top + 10,
                mark_label,
                anchor="start" if right_side else "end",
                fill=FAILURES,
            )
        )
    parts.append(_text(left + plot_w / 2, height - 12, "latency (ms)"))
    parts.append("</svg>")
    return "".join(parts)


def timeline_svg(series: Sequence[LoadSample], *, title: str) -> str:
    """Users and requests/s, p50/p95 latency and failures/s over the run, on one time axis."""
    height, left = 390, 52
    plot_w = WIDTH - left - 76
    span = max((p.t_s for p in series), default=0.0) or 1.0
    xs = [left + plot_w * p.t_s / span for p in series]
    parts = [_open("timeline", title, height), _title(title)]
    # top panel: users as a grey area behind requests/s
    most_users = max((p.users for p in series), default=0) or 1
    parts += _area(xs, [p.users / most_users for p in series], left, 30, 120, plot_w)
    parts.append(_text(left + plot_w + 6, 38, f"{most_users} users", anchor="start"))
    parts += _lines(
        xs, [("rps", RPS, [p.rps for p in series])], left, 30, 120, plot_w, "requests/s"
    )
    parts += _lines(
        xs,
        [("p50", P50, [p.p50_ms for p in series]), ("p95", P95, [p.p95_ms for p in series])],
        left,
        190,
        100,
        plot_w,
        "ms",
    )
    parts += _bars(xs, [p.failures_per_s for p in series], left, 318, 36, plot_w)
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        x = left + plot_w * fraction
        parts.append(_text(x, height - 14, f"{span * fraction:.0f}", size=9))
    parts.append(_text(left + plot_w / 2, height - 2, "seconds since start", size=9))
    parts.append("</svg>")
    return "".join(parts)


def _area(
    xs: Sequence[float], shares: Sequence[float], left: int, top: int, height: int, width: int
) -> list[str]:
    base = top + height
    points = " ".join(f"{x:.1f},{base - height * v:.1f}" for x, v in zip(xs, shares, strict=True))
    end = xs[-1] if xs else left + width
    return [
        f'<polygon class="users" fill="{USERS}" fill-opacity="0.35" '
        f'points="{left:.1f},{base:.1f} {points} {end:.1f},{base:.1f}"/>'
    ]


def _lines(
    xs: Sequence[float],
    lines: Sequence[tuple[str, str, Sequence[float]]],
    left: int,
    top: int,
    height: int,
    width: int,
    unit: str,
) -> list[str]:
    peak, ticks = nice_scale(max((v for _, _, values in lines for v in values), default=0.0))
    parts = _y_axis(peak, ticks, left, top, width, height, unit)
    for index, (name, colour, values) in enumerate(lines):
        points = " ".join(
            f"{x:.1f},{top + height - height * v / peak:.1f}"
            for x, v in zip(xs, values, strict=True)
        )
        parts.append(
            f'<polyline class="line {name}" fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{points}"/>'
        )
        parts.append(
            _text(left + width + 6, top + 24 + 14 * index, name, anchor="start", fill=colour)
        )
    return parts


def _bars(
    xs: Sequence[float], values: Sequence[float], left: int, top: int, height: int, width: int
) -> list[str]:
    peak, _ = nice_scale(max(values, default=0.0))
    parts = _y_axis(peak, 1, left, top, width, height, "failures/s")
    bar = max(1.0, width / max(1, len(values)) - 1)
    for x, value in zip(xs, values, strict=True):
        h = height * value / peak
        parts.append(
            f'<rect class="failures" x="{x - bar / 2:.1f}" y="{top + height - h:.1f}" '
            f'width="{bar:.1f}" height="{h:.1f}" fill="{FAILURES}"/>'
        )
    parts.append(_text(left + width + 6, top + 24, "failures/s", anchor="start", fill=FAILURES))
    return parts


def _open(kind: str, title: str, height: int, width: int = WIDTH) -> str:
    return (
        f'<svg class="chart" data-chart="{kind}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, sans-serif" font-size="11">'
    )


def _title(title: str) -> str:
    return _text(8, 16, title, anchor="start", size=12, weight="600")


def nice_scale(peak: float, *, integer: bool = False) -> tuple[float, int]:
    """An axis top at or above ``peak``, with room for labels, and its tick count.

    The step between ticks is a round number (1, 2, 2.5 or 5 times a power of ten; a whole
    number for counts) and there are at most five of them.
    """
    wanted = max(peak * 1.1, 1.0 if integer else 1e-9)
    power = 10.0 ** (math.floor(math.log10(wanted)) - 1)
    for _ in range(3):
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * power
            if integer and not float(step).is_integer():
                continue
            ticks = max(2, math.ceil(wanted / step - 1e-9))
            if ticks <= 5:
                return ticks * step, ticks
        power *= 10
    return wanted, 1


def _y_axis(
    top_value: float,
    ticks: int,
    left: int,
    top: int,
    width: int,
    height: int,
    unit: str,
) -> list[str]:
    parts = []
    for index in range(ticks + 1):
        value = top_value * index / ticks
        y = top + height - height * index / ticks
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="{1 if index else 1.5}"/>'
        )
        parts.append(_text(left - 4, y + 3, _number(value), anchor="end", size=9))
    parts.append(_text(12, top + height / 2, unit, size=9, rotate=True))
    return parts


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "middle",
    size: int = 10,
    fill: str = INK,
    weight: str = "400",
    rotate: bool = False,
) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'font-weight="{weight}" fill="{fill}"{turn}>{escape(text)}</text>'
    )


def _range(low: float, high: float) -> str:
    if math.isinf(high):
        return f">{_number(low)}"
    return f"≤{_number(high)}" if low == 0 else f"{_number(low)}–{_number(high)}"


def _number(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _position(buckets: Sequence[tuple[float, float, int]], value: float) -> float:
    """Where ``value`` falls on the bucket axis, in bucket widths from the left."""
    for index, (low, high, _) in enumerate(buckets):
        if value <= high:
            width = (high - low) if not math.isinf(high) else max(low, 1.0)
            return index + max(0.0, min(1.0, (value - low) / width))
    return float(len(buckets))
