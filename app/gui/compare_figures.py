"""The numbers of the compare view, without Qt: CDF points from HDR buckets, the table's
rows with their change against the first run, and three-significant-figure text.

The rows and changes are the history package's (`app.core.history.compare`), so the
table says what `rtprobe runs diff` prints; this module adds how the GUI writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.core.history import compare
from app.core.history.compare import Compared, Comparison, Row
from app.core.metrics import LatencyHistogram
from app.core.report.fmt import fmt_sig
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


def table_rows(runs: Sequence[CompareRun]) -> list[Row]:
    """The rows `rtprobe runs diff` prints for these runs (the first is the baseline);
    one run alone gets its figures with no changes."""
    compared = tuple(Compared.of(r.label, r.summary) for r in runs)
    if len(compared) >= 2:
        return list(Comparison(compared).rows)
    if not compared:
        return []
    pair = Comparison((compared[0], compared[0]))  # the same names, labels and order
    return [Row(row.name, row.label, row.values[:1], (None,)) for row in pair.rows]


def cdf_points(histogram: LatencyHistogram) -> tuple[np.ndarray, np.ndarray]:
    """(latency ms, percentile 0..100) from the HDR counters, for the CDF overlay."""
    x, fraction = compare.cdf_points(histogram)
    return x, fraction * 100.0


def change_text(change: float | None) -> str:
    if change is None:
        return NONE
    if change == 0:
        return "±0 %"
    return ("+" if change > 0 else "−") + fmt_sig(abs(change)) + " %"
