"""The live plots of one connection, drawn from its LiveRun at the bridge's redraw rate.

pyqtgraph figures measured here: a 10k-point curve redraws in ~4.7 ms, 100k points
need peak downsampling and clip-to-view, grids and pens wider than 1 px cost more than
the data. So: curves created once, 1 px cosmetic pens, no grids, setData per redraw.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.core.live import LiveRun
from app.core.metrics import LatencyHistogram

BLUE, ORANGE, GREEN, RED, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#888888"
HIST_BINS_PER_DECADE = 20


def _pen(colour: str, style: object = None) -> object:
    pen = pg.mkPen(colour, width=1)
    pen.setCosmetic(True)
    if style is not None:
        pen.setStyle(style)
    return pen


class LivePlots(pg.GraphicsLayoutWidget):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        # axis labels, not titles: every pixel of height goes to the data
        self.rtt = self.addPlot(row=0, col=0)
        self.rtt.setLabel("left", "round trip (ms)")
        self.rtt.setLabel("bottom", "time (s)")
        self.rtt.setDownsampling(mode="peak")
        self.rtt.setClipToView(True)
        self.rtt_curve = self.rtt.plot(pen=_pen(BLUE), skipFiniteCheck=True)
        from PySide6.QtCore import Qt

        self.p50_line = pg.InfiniteLine(
            angle=0,
            pen=_pen(GREEN, Qt.PenStyle.DashLine),
            label="p50 {value:.3f}",
            labelOpts={"position": 0.05},
        )
        self.p99_line = pg.InfiniteLine(
            angle=0,
            pen=_pen(RED, Qt.PenStyle.DashLine),
            label="p99 {value:.3f}",
            labelOpts={"position": 0.2},
        )
        for line in (self.p50_line, self.p99_line):
            line.setVisible(False)
            self.rtt.addItem(line, ignoreBounds=True)
        self.hist = self.addPlot(row=0, col=1)
        self.hist.setLabel("left", "samples")
        self.hist.setLabel("bottom", "latency, ms (log)")
        self.hist.setLogMode(x=True, y=False)
        self.hist_curve = self.hist.plot(
            stepMode="center", fillLevel=0, brush=(0, 114, 178, 120), pen=_pen(BLUE)
        )
        self.rates = self.addPlot(row=1, col=0, colspan=2)
        self.rates_legend = self.rates.addLegend(offset=(-10, 5), colCount=5, labelTextSize="8pt")
        self.rates.setLabel("left", "per second")
        self.rates.setLabel("bottom", "time (s)")
        self.sent_curve = self.rates.plot(pen=_pen(ORANGE), name="sent/s")
        self.recv_curve = self.rates.plot(pen=_pen(BLUE), name="received/s")
        self.failed_curve = self.rates.plot(pen=_pen(RED), name="failed/s")
        self.fps_out_curve = self.rates.plot(pen=_pen(GREEN), name="fps out")
        self.fps_in_curve = self.rates.plot(pen=_pen(GREY), name="fps in")
        self._rate_curves = (
            self.sent_curve,
            self.recv_curve,
            self.failed_curve,
            self.fps_out_curve,
            self.fps_in_curve,
        )
        for curve in self._rate_curves:
            self.rates_legend.removeItem(curve)  # named once they have data
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(1, 1)
        self.redraws = 0
        self._last_n = -1
        self._hist_n = -1
        self._last_seconds = -1
        self._rtt_x = StickyRange(self.rtt, "x")
        self._rtt_y = StickyRange(self.rtt, "y")
        self._hist_x = StickyRange(self.hist, "x")
        self._hist_y = StickyRange(self.hist, "y")
        self._rates_x = StickyRange(self.rates, "x")
        self._rates_y = StickyRange(self.rates, "y")

    def clear_data(self) -> None:
        for curve in (
            self.rtt_curve,
            self.hist_curve,
            self.sent_curve,
            self.recv_curve,
            self.failed_curve,
            self.fps_out_curve,
            self.fps_in_curve,
        ):
            curve.setData([], [])
        self.p50_line.setVisible(False)
        self.p99_line.setVisible(False)
        for curve in self._rate_curves:
            self._legend(curve, False)
        self._last_n = self._last_seconds = self._hist_n = -1
        for sticky in (
            self._rtt_x,
            self._rtt_y,
            self._hist_x,
            self._hist_y,
            self._rates_x,
            self._rates_y,
        ):
            sticky.top = None
            sticky.span = None

    def redraw(self, live: LiveRun) -> None:
        """Update from the run; ranges move in coarse steps so axes (the costliest part
        of a pyqtgraph repaint) are regenerated only now and then, not every frame."""
        self.redraws += 1
        n = live.timeline.received_total
        if n != self._last_n:
            self._last_n = n
            t, ms = live.timeline.latency()
            if len(t):
                self.rtt_curve.setData(t, ms, skipFiniteCheck=True)
                pct = live.aggregator.rtt.summary()  # one pass for all three percentiles
                for line, value in ((self.p50_line, pct.p50), (self.p99_line, pct.p99)):
                    line.setVisible(True)  # first: a hidden line's label ignores new values
                    if line.value() != value:  # each setValue lays its label out again
                        line.setValue(value)
                self._rtt_x.fit(float(t[-1]))
                self._rtt_y.fit(float(pct.p999) * 1.2, float(ms.max()))
        if n != self._hist_n and (self.redraws % 3 == 1 or live.finished):
            self._hist_n = n  # at 10 Hz, from the first redraw: ~1/4 of a redraw's cost
            self._histogram(live.aggregator.rtt)
        series = live.timeline.per_second()
        ts = series.get("t_s")
        if ts is not None and len(ts) > 1 and not live.finished:
            # the newest second is still filling: leave it out rather than show a fall
            series = {k: v[:-1] for k, v in series.items()}
            ts = series["t_s"]
        if ts is None or len(ts) == self._last_seconds:
            return
        self._last_seconds = len(ts)
        if len(ts):
            failed = series["errored"] + series["dropped"] + series["timed_out"]
            peak = 0.0
            for curve, values in (
                (self.sent_curve, series["sent"]),
                (self.recv_curve, series["received"]),
                (self.failed_curve, failed),
                (self.fps_out_curve, series["frames_out"]),
                (self.fps_in_curve, series["frames_in"]),
            ):
                shown = bool(np.any(values))
                if shown:
                    curve.setData(ts, values)
                    peak = max(peak, float(values.max()))
                else:
                    curve.setData([], [])
                self._legend(curve, shown)
            self._rates_x.fit(float(ts[-1]) + 1)
            self._rates_y.fit(peak * 1.1, peak * 1.1)

    def _legend(self, curve: pg.PlotDataItem, shown: bool) -> None:
        """Only series with data are named: fps has no place in a WebSocket's legend."""
        name = curve.name()
        listed = self.rates_legend.getLabel(curve) is not None
        if shown and not listed:
            self.rates_legend.addItem(curve, name)
        elif not shown and listed:
            self.rates_legend.removeItem(curve)

    def _histogram(self, rtt: LatencyHistogram) -> None:
        """The HDR histogram's own counters on log bins: the bars hold every sample of the
        run and agree with the p50/p99 read from the same histogram."""
        bins = rtt.log_bins(HIST_BINS_PER_DECADE)
        if not bins.counts:
            return
        counts = np.asarray(bins.counts)
        self.hist_curve.setData(np.asarray(bins.edges_ms), counts)  # the axis is in log mode
        lo, hi = np.log10(bins.edges_ms[0]), np.log10(bins.edges_ms[-1])
        self._hist_x.fit_span(float(np.round(lo)), float(np.round(hi)))
        self._hist_y.fit(float(counts.max()) * 1.1, float(counts.max()))


def _nice_ceiling(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1.0
    exp = 10.0 ** np.floor(np.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * exp >= value:
            return float(m * exp)
    return float(10 * exp)


class StickyRange:
    """One axis of a plot whose range grows to a nice ceiling when the data outgrows it
    and shrinks only when the data falls well below it, so it rarely changes."""

    def __init__(self, plot: pg.PlotItem, axis: str, floor: float = 0.0) -> None:
        self.plot = plot
        self.axis = axis
        self.floor = floor
        self.top: float | None = None
        self.span: tuple[float, float] | None = None
        plot.enableAutoRange(axis=axis, enable=False)

    def fit(self, wanted: float, peak: float | None = None) -> None:
        """Show at least [floor, max(wanted, peak)]; shrink when the peak < 1/4 of the top."""
        peak = wanted if peak is None else peak
        need = max(wanted, peak)
        if self.top is not None and need <= self.top and peak >= self.top / 4:
            return
        self.top = _nice_ceiling(need)
        self._apply(self.floor, self.top)

    def fit_span(self, lo: float, hi: float) -> None:
        if self.span is not None and self.span[0] <= lo and hi <= self.span[1]:
            return
        self.span = (lo, hi)
        self._apply(lo, hi)

    def _apply(self, lo: float, hi: float) -> None:
        if self.axis == "x":
            self.plot.setXRange(lo, hi, padding=0.02)
        else:
            self.plot.setYRange(lo, hi, padding=0.02)
