"""The live plots of one connection, drawn from its LiveRun at the bridge's redraw rate.

pyqtgraph figures measured here: a 10k-point curve redraws in ~4.7 ms, 100k points
need peak downsampling and clip-to-view, grids and pens wider than 1 px cost more than
the data. So: curves created once, 1 px cosmetic pens, no grids, setData per redraw,
ranges that move in coarse steps (app/gui/robust_range.py) and axis labels that change
only when their text does (app/gui/log_axis.py).

What the latency plots show depends on the run: the round trip of each message, or,
for a run that measures video frames (WebRTC), each frame's end-to-end latency; the
axis titles say which. The y range goes to p99 x 1.2 of what is shown, so one spike
does not flatten the rest; the points above are counted in the corner, and "Show all"
(the plot's context menu, or `show_all = True`) includes them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import QGraphicsSimpleTextItem

from app.core.live import LiveRun
from app.core.metrics import LatencyHistogram
from app.core.report.fmt import fmt_sig
from app.gui.decimate import min_max
from app.gui.log_axis import FittingLabelAxis, LogTickAxis, Marker, MarkerAxis
from app.gui.robust_range import StickyRange, data_top, nice_ceiling, robust_top

BLUE, ORANGE, GREEN, RED, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#888888"
# text colours of the p50/p99 tags: the lines' hues, dark enough to read on white
GREEN_TEXT, RED_TEXT = "#00674C", "#A34700"
HIST_BINS_PER_DECADE = 20
# redraws between updates of what people read rather than watch (at the bridge's 30 Hz):
# the p50/p99 lines and tags (~5 Hz: each new tag text regenerates the marker axis, the
# costliest part of a frame when done every frame) and the histogram (~3 Hz)
MARKER_EVERY = 6
HIST_EVERY = 10
MIN_CURVE_POINTS = 400  # a curve keeps at least this many points, whatever the width
POINTS_PER_PX = 2  # min and max per pixel column: the same picture as every point

RTT_TITLES = ("round trip (ms)", "RTT (ms)", "ms")
FRAME_TITLES = ("frame latency (ms)", "latency (ms)", "ms")
RTT_HIST_TITLES = ("round trip, ms (log)", "RTT, ms (log)", "ms (log)", "ms")
FRAME_HIST_TITLES = ("frame latency, ms (log)", "latency, ms (log)", "ms (log)", "ms")
TIME_TITLES = ("time (s)", "s")
_nice_ceiling = nice_ceiling  # the name this module had for it

__all__ = ["LivePlots", "StickyRange", "latency_source"]


def _pen(colour: str, style: object = None) -> object:
    pen = pg.mkPen(colour, width=1)
    pen.setCosmetic(True)
    if style is not None:
        pen.setStyle(style)
    return pen


def latency_source(live: LiveRun) -> tuple[str, int, LatencyHistogram]:
    """("frame" | "rtt", samples so far, their histogram): per-frame latency for a run
    that has measured frames, else each message's round trip (also a generated-video
    run's actions)."""
    agg = live.aggregator
    if agg.frame_latency.count:
        return "frame", live.timeline.frames_total, agg.frame_latency
    return "rtt", live.timeline.received_total, agg.rtt


def fitting_axes(plot_kind: str, **more: pg.AxisItem) -> dict[str, pg.AxisItem]:
    axes: dict[str, pg.AxisItem] = {
        "left": FittingLabelAxis("left"),
        "bottom": LogTickAxis("bottom") if plot_kind == "log" else FittingLabelAxis("bottom"),
    }
    return axes | more


def quiet_axes(plot: pg.PlotItem) -> pg.PlotItem:
    """No auto SI prefix on any of the plot's four axes, the hidden top and right ones
    included: its check re-sets an axis title's HTML on every range change (thousands
    of times while a new panel is laid out). Our titles carry the units."""
    for side in ("left", "bottom", "top", "right"):
        plot.getAxis(side).enableAutoSIPrefix(False)
    return plot


class LivePlots(pg.GraphicsLayoutWidget):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        # axis labels, not titles: every pixel of height goes to the data
        self.markers = MarkerAxis("right")
        self.rtt = quiet_axes(
            self.addPlot(row=0, col=0, axisItems=fitting_axes("lin", right=self.markers))
        )
        self.rtt.showAxis("right")
        self.rtt_left: FittingLabelAxis = self.rtt.getAxis("left")
        self.rtt_left.set_titles(*RTT_TITLES)
        self.rtt.getAxis("bottom").set_titles(*TIME_TITLES)
        self.rtt.setDownsampling(mode="peak")
        self.rtt.setClipToView(True)
        self.rtt_curve = self.rtt.plot(pen=_pen(BLUE), skipFiniteCheck=True)
        self.p50_line = pg.InfiniteLine(angle=0, pen=_pen(GREEN, Qt.PenStyle.DashLine))
        self.p99_line = pg.InfiniteLine(angle=0, pen=_pen(RED, Qt.PenStyle.DashLine))
        for line in (self.p50_line, self.p99_line):
            line.setVisible(False)
            self.rtt.addItem(line, ignoreBounds=True)
        self._hidden = 0  # points above the y range (robust range, not "show all")
        self.above = QGraphicsSimpleTextItem(self.rtt.vb)  # in the view's pixels, not data
        font = QFont()
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        self.above.setFont(font)
        self.above.setBrush(QColor(RED_TEXT))
        self.above.setZValue(10)
        self.above.setVisible(False)
        self.rtt.vb.sigResized.connect(self._place_above)
        self.show_all_action = QAction("Show all (include spikes)", self)
        self.show_all_action.setCheckable(True)
        self.show_all_action.setToolTip("Fit the y axis to every point, not to p99 × 1.2")
        self.show_all_action.toggled.connect(self._show_all_toggled)
        menu = self.rtt.vb.menu
        menu.addSeparator()
        menu.addAction(self.show_all_action)

        self.hist = quiet_axes(self.addPlot(row=0, col=1, axisItems=fitting_axes("log")))
        self.hist_bottom: LogTickAxis = self.hist.getAxis("bottom")
        self.hist.getAxis("left").set_titles("samples", "n")
        self.hist_bottom.set_titles(*RTT_HIST_TITLES)
        self.hist.setLogMode(x=True, y=False)
        self.hist_curve = self.hist.plot(
            stepMode="center", fillLevel=0, brush=(0, 114, 178, 120), pen=_pen(BLUE)
        )
        self.rates = quiet_axes(
            self.addPlot(row=1, col=0, colspan=2, axisItems=fitting_axes("lin"))
        )
        self.rates_legend = self.rates.addLegend(offset=(-10, 5), colCount=5, labelTextSize="8pt")
        self.rates.getAxis("left").set_titles("per second", "/s")
        self.rates.getAxis("bottom").set_titles(*TIME_TITLES)
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
        self.kind = "rtt"  # what the latency plots show: "rtt" or "frame"
        self._show_all = False
        self._last_n = -1
        self._p99: float | None = None  # the run's p99 as the markers show it
        self._marker_key: tuple[str, int] = ("", -1)
        self._hist_key: tuple[str, int] = ("", -1)
        self._last_seconds = -1
        self._live: LiveRun | None = None
        self._rtt_x = StickyRange(self.rtt, "x")
        self._rtt_y = StickyRange(self.rtt, "y")
        self._hist_x = StickyRange(self.hist, "x")
        self._hist_y = StickyRange(self.hist, "y")
        self._rates_x = StickyRange(self.rates, "x")
        self._rates_y = StickyRange(self.rates, "y")
        self._ranges = (
            self._rtt_x,
            self._rtt_y,
            self._hist_x,
            self._hist_y,
            self._rates_x,
            self._rates_y,
        )

    # -- show all ------------------------------------------------------------------
    @property
    def show_all(self) -> bool:
        """True: the y range includes every point; False: p99 x 1.2 of what is shown."""
        return self._show_all

    @show_all.setter
    def show_all(self, on: bool) -> None:
        self.show_all_action.setChecked(on)  # toggled -> _show_all_toggled

    def _show_all_toggled(self, on: bool) -> None:
        self._show_all = on
        self._rtt_y.reset()
        self._last_n = -1
        if self._live is not None:
            self._draw_latency(self._live)

    def _place_above(self) -> None:
        """Top right of the view; the short text where the long one would not fit."""
        rect = self.rtt.vb.boundingRect()
        self._hidden_text(rect.width())
        width = self.above.boundingRect().width()
        self.above.setPos(rect.right() - width - 4, rect.top() + 2)

    def _hidden_text(self, room: float) -> None:
        n = self._hidden
        long, short = f"▲ {n:,} above · right-click › Show all", f"▲ {n:,} above"
        self.above.setText(long if n else "")
        if self.above.boundingRect().width() > room * 0.6:
            self.above.setText(short)

    def _set_above(self, hidden: int) -> None:
        if hidden != self._hidden:
            self._hidden = hidden
            self.above.setVisible(bool(hidden))
            self._place_above()

    # -- data ----------------------------------------------------------------------
    def clear_data(self) -> None:
        for curve in (self.rtt_curve, self.hist_curve, *self._rate_curves):
            curve.setData([], [])
        self.p50_line.setVisible(False)
        self.p99_line.setVisible(False)
        self.markers.set_markers([])
        self._set_above(0)
        for curve in self._rate_curves:
            self._legend(curve, False)
        self._last_n = self._last_seconds = -1
        self._p99 = None
        self._hist_key = self._marker_key = ("", -1)
        self._live = None
        self._set_kind("rtt")
        for sticky in self._ranges:
            sticky.reset()

    def _set_kind(self, kind: str) -> None:
        if kind == self.kind:
            return
        self.kind = kind
        frames = kind == "frame"
        self.rtt_left.set_titles(*(FRAME_TITLES if frames else RTT_TITLES))
        self.hist_bottom.set_titles(*(FRAME_HIST_TITLES if frames else RTT_HIST_TITLES))

    def redraw(self, live: LiveRun) -> None:
        """Update from the run; ranges move in coarse steps so axes (the costliest part
        of a pyqtgraph repaint) are regenerated only now and then, not every frame."""
        self.redraws += 1
        self._live = live
        self._draw_markers(live)
        self._draw_latency(live)
        self._draw_histogram(live)
        self._draw_rates(live)

    def _draw_histogram(self, live: LiveRun) -> None:
        """At ~3 Hz (every `HIST_EVERY`th redraw, from the first) and at the run's end:
        it costs about a quarter of a redraw, and a distribution changes slowly."""
        kind, n, hist = latency_source(live)
        if (kind, n) != self._hist_key and (self.redraws % HIST_EVERY == 1 or live.finished):
            self._hist_key = (kind, n)
            self._histogram(hist)

    def _draw_markers(self, live: LiveRun) -> None:
        """At ~5 Hz (every `MARKER_EVERY`th redraw, the first at once) and at the end."""
        kind, n, hist = latency_source(live)
        due = self._p99 is None or self.redraws % MARKER_EVERY == 1 or live.finished
        if n and (kind, n) != self._marker_key and due:
            self._marker_key = (kind, n)
            self._set_markers(hist.percentile_ms(50), hist.percentile_ms(99))

    def _draw_latency(self, live: LiveRun) -> None:
        kind, n, _ = latency_source(live)
        if n == self._last_n and kind == self.kind:
            return
        self._last_n = n
        self._set_kind(kind)
        t, ms = live.timeline.frame_latency() if kind == "frame" else live.timeline.latency()
        if not len(t):
            return
        self.rtt_curve.setData(*min_max(t, ms, self._curve_points()), skipFiniteCheck=True)
        p99 = self._p99 or 0.0
        self._rtt_x.follow(float(t[-1]))
        if self._show_all:
            top = data_top(ms)
        else:  # p99 of what is shown, and room for the run's p99 line
            top = max(robust_top(ms), p99 * 1.1)
        self._rtt_y.fit(top, top)
        shown_top = self._rtt_y.top or top
        self._set_above(0 if self._show_all else int(np.count_nonzero(ms > shown_top * 1.02)))

    def _curve_points(self) -> int:
        """Points the round-trip curve needs at the plot's width (min and max a column)."""
        return max(MIN_CURVE_POINTS, POINTS_PER_PX * int(self.rtt.vb.width()))

    def _set_markers(self, p50: float, p99: float) -> None:
        """The p50/p99 lines and their tags; the axis is redrawn only when a tag's text
        changed (three significant figures), the lines only when they moved."""
        self._p99 = p99
        self.markers.set_markers(
            [
                Marker(p50, f"p50 {fmt_sig(p50)}", GREEN_TEXT),
                Marker(p99, f"p99 {fmt_sig(p99)}", RED_TEXT),
            ]
        )
        for line, value in ((self.p50_line, p50), (self.p99_line, p99)):
            if line.value() != value:  # each setValue lays its label out again
                line.setValue(value)
            line.setVisible(True)

    def _draw_rates(self, live: LiveRun) -> None:
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
            self._rates_x.follow(float(ts[-1]) + 1)
            self._rates_y.fit(peak * 1.1, peak * 1.1)

    def _legend(self, curve: pg.PlotDataItem, shown: bool) -> None:
        """Only series with data are named: fps has no place in a WebSocket's legend."""
        name = curve.name()
        listed = self.rates_legend.getLabel(curve) is not None
        if shown and not listed:
            self.rates_legend.addItem(curve, name)
        elif not shown and listed:
            self.rates_legend.removeItem(curve)

    def _histogram(self, latency: LatencyHistogram) -> None:
        """The HDR histogram's own counters on log bins: the bars hold every sample of the
        run and agree with the p50/p99 read from the same histogram."""
        bins = latency.log_bins(HIST_BINS_PER_DECADE)
        if not bins.counts:
            return
        counts = np.asarray(bins.counts)
        self.hist_curve.setData(np.asarray(bins.edges_ms), counts)  # the axis is in log mode
        lo, hi = np.log10(bins.edges_ms[0]), np.log10(bins.edges_ms[-1])
        # half decades with room at both ends: an edge's label would not fit the axis
        self._hist_x.fit_span(float(np.floor(lo * 2 - 0.2) / 2), float(np.ceil(hi * 2 + 0.2) / 2))
        self._hist_y.fit(float(counts.max()) * 1.1, float(counts.max()))
