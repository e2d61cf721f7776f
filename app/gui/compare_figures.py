"""The numbers of the compare view, without Qt: CDF points from HDR buckets, the table's
rows with their change against the first run, and three-significant-figure text.

Kept apart from the widget so the figures can be tested on their own and so the table
reads the same rows as `rtprobe runs diff` once those live in the history package.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.core.metrics import LatencyHistogram
from app.core.report.model import Summary

NONE = "–"


@dataclass(frozen=True)
class CompareRun:
    """One run to compare, stored or live: its label (shown in the legend and the table),
    its latency histogram, its per-second series (`Timeline.per_second()`) and summary."""

    label: str
    histogram: LatencyHistogram
    per_second: Mapping[str, np.ndarray]
    summary: Summary


@dataclass(frozen=True)
class FigureRow:
    """One figure across the runs; `changes[i]` is run i against run 0 in percent (None
    where it has no meaning: the baseline itself, or a baseline of 0 with a change)."""

    name: str
    values: tuple[float, ...]
    changes: tuple[float | None, ...]


def _latency(p: float) -> Callable[[CompareRun], float]:
    return lambda r: r.histogram.percentile_ms(p) if r.histogram.count else 0.0


FIGURES: tuple[tuple[str, Callable[[CompareRun], float]], ...] = (
    ("p50 (ms)", _latency(50)),
    ("p90 (ms)", _latency(90)),
    ("p99 (ms)", _latency(99)),
    ("p99.9 (ms)", _latency(99.9)),
    ("max (ms)", lambda r: r.histogram.summary().max),
    ("errors", lambda r: float(r.summary.errors)),
    ("throughput (msg/s)", lambda r: r.summary.rate_per_s),
)


def change_percent(base: float, value: float) -> float | None:
    """(value - base) / base in percent; 0 when both are 0, None from a baseline of 0."""
    if base == 0:
        return 0.0 if value == 0 else None
    return (value - base) / base * 100.0


def table_rows(runs: Sequence[CompareRun]) -> list[FigureRow]:
    if not runs:
        return []
    rows = []
    for name, read in FIGURES:
        values = tuple(float(read(r)) for r in runs)
        changes = (None, *(change_percent(values[0], v) for v in values[1:]))
        rows.append(FigureRow(name, values, changes))
    return rows


def cdf_points(histogram: LatencyHistogram) -> tuple[np.ndarray, np.ndarray]:
    """(latency ms, percentile) at every non-empty HDR counter: the share of samples at or
    below each value, so the curve ends at 100 at the run's maximum."""
    values_us, counts = histogram.buckets()
    if not len(counts):
        return np.zeros(0), np.zeros(0)
    cumulative = np.cumsum(counts).astype(np.float64)
    return values_us / 1000.0, cumulative * 100.0 / cumulative[-1]


def three_sig(value: float) -> str:
    """A figure with three significant digits: "178", "2.35", "0.0123", "12,300"."""
    if not math.isfinite(value):
        return NONE
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 2:
        return f"{round(value, 2 - magnitude):,.0f}"
    return f"{value:.{2 - magnitude}f}"


def change_text(change: float | None) -> str:
    if change is None:
        return NONE
    if change == 0:
        return "±0 %"
    return ("+" if change > 0 else "−") + three_sig(abs(change)) + " %"
