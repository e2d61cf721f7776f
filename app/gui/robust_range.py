"""Axis ranges for live plots that neither jump every frame nor let one spike hide the rest.

Two ideas. The y range goes to a high percentile of the data shown (p99 x 1.2 by
default), not its maximum: one start-up spike of 200 ms must not flatten sub-millisecond
traffic to the floor (`robust_top`; the plot says how many points lie above and offers
"show all"). And ranges move in coarse steps (`StickyRange`): an axis is the costliest
part of a pyqtgraph repaint, so it is regenerated only when the data outgrew the range
or fell well below it, not on every redraw. Time axes follow the data (`follow`): they
end a small step past the newest sample, never far beyond it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

ROBUST_PERCENTILE = 99.0
ROBUST_MARGIN = 1.2
ROBUST_MAX_POINTS = 4_096  # a strided sample of the window: ~0.1 ms a redraw at any size
FOLLOW_SHARE = 0.05  # a time axis ends at most ~5-10 % past the newest sample
FOLLOW_MIN_STEP_S = 1.0


def nice_ceiling(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least `value`."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    exp = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * exp >= value * (1 - 1e-12):
            return m * exp
    return 10 * exp


def robust_top(
    values: np.ndarray,
    percentile: float = ROBUST_PERCENTILE,
    margin: float = ROBUST_MARGIN,
    max_points: int = ROBUST_MAX_POINTS,
) -> float:
    """`margin` times the `percentile` of the finite `values` (0 when there are none).

    Over `max_points` values a strided sample stands in for them all: the percentile of
    a 100k-point window then costs about as much as that of 4k."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) > max_points:
        v = v[:: math.ceil(len(v) / max_points)]
    v = v[np.isfinite(v)]
    if not len(v):
        return 0.0
    k = min(len(v) - 1, round((len(v) - 1) * percentile / 100))
    return float(np.partition(v, k)[k]) * margin  # a tenth of np.percentile's cost


def data_top(values: np.ndarray, margin: float = 1.05) -> float:
    """The largest finite value, with a little room above it ("show all")."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    return float(finite.max()) * margin if len(finite) else 0.0


class StickyRange:
    """One axis of a plot whose range grows to a nice ceiling when the data outgrows it
    and shrinks only when the data falls well below it, so it rarely changes."""

    def __init__(self, plot: pg.PlotItem, axis: str, floor: float = 0.0) -> None:
        self.plot = plot
        self.axis = axis
        self.floor = floor
        self.top: float | None = None
        self.span: tuple[float, float] | None = None
        self.changes = 0  # how often the range was set: a redraw-cost figure for tests
        plot.enableAutoRange(axis=axis, enable=False)

    def reset(self) -> None:
        self.top = None
        self.span = None

    def fit(self, wanted: float, peak: float | None = None) -> None:
        """Show at least [floor, max(wanted, peak)]; shrink when the peak < 1/4 of the top."""
        peak = wanted if peak is None else peak
        need = max(wanted, peak)
        if self.top is not None and need <= self.top and peak >= self.top / 4:
            return
        self.top = nice_ceiling(need)
        self._apply(self.floor, self.top)

    def follow(self, last: float) -> None:
        """A time axis: [floor, a step past `last`], the step ~5 % of the span (>= 1 s),
        moved only when `last` passes the end or falls far behind it (a new run)."""
        if self.top is not None and last <= self.top:
            behind = self.top - last
            if behind <= 2 * max(FOLLOW_MIN_STEP_S, FOLLOW_SHARE * self.top):
                return
        step = max(FOLLOW_MIN_STEP_S, nice_ceiling(FOLLOW_SHARE * max(last, 0.0)))
        self.top = (math.floor(max(last, self.floor) / step) + 1) * step
        self._apply(self.floor, self.top)

    def fit_span(self, lo: float, hi: float) -> None:
        if self.span is not None and self.span[0] <= lo and hi <= self.span[1]:
            return
        self.span = (lo, hi)
        self._apply(lo, hi)

    def _apply(self, lo: float, hi: float) -> None:
        self.changes += 1
        if self.axis == "x":
            self.plot.setXRange(lo, hi, padding=0.02)
        else:
            self.plot.setYRange(lo, hi, padding=0.02)
