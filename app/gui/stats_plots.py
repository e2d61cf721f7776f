"""A WebRTC run's transport figures over time, as chrome://webrtc-internals plots them:
bitrate in/out, packet loss, round-trip time, jitter and the jitter-buffer hold, one
small plot each, stacked, on one shared time axis.

The figures are getStats snapshots (about one a second, `Timeline.stats_series`) and
each received frame's hold (`Timeline.frame_hold`), of session 0 — the session whose
video the Video tab shows. As in `LivePlots`: curves created once, setData per redraw,
and only when a new snapshot or frame came; y ranges to p99 x 1.2 (`show_all` for
every point), time following the data. While the widget is hidden (another tab is
shown) a redraw only notes the run; showing it draws at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QAction, QShowEvent

from app.core.live import LiveRun
from app.gui import stats_control
from app.gui.log_axis import FittingLabelAxis
from app.gui.plots import BLUE, ORANGE, RED, TIME_TITLES, _pen
from app.gui.robust_range import StickyRange, data_top, robust_top

PURPLE, GREEN = "#CC79A7", "#009E73"


@dataclass(frozen=True)
class Panel:
    """One stacked plot: its titles (longest first) and its (series, legend, colour)."""

    key: str
    titles: tuple[str, ...]
    series: tuple[tuple[str, str, str], ...]


PANELS = (
    Panel(
        "bitrate",
        ("bitrate (kb/s)", "kb/s"),
        (("bitrate_in_kbps", "in", BLUE), ("bitrate_out_kbps", "out", ORANGE)),
    ),
    Panel("loss", ("packet loss (%)", "loss %", "%"), (("loss_pct", "lost", RED),)),
    Panel("rtt", ("RTT (ms)", "ms"), (("rtt_ms", "RTT", PURPLE),)),
    Panel("jitter", ("jitter (ms)", "ms"), (("jitter_ms", "jitter", GREEN),)),
    Panel(stats_control.KEY, stats_control.TITLES, ((stats_control.SERIES, "RTT", ORANGE),)),
    Panel("hold", ("jitter-buffer hold (ms)", "hold (ms)", "ms"), (("hold_ms", "hold", BLUE),)),
)


class StatsPlots(pg.GraphicsLayoutWidget):
    """`redraw(live)` at the bridge's redraw rate; `clear_data()` for a new run."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._y: dict[str, StickyRange] = {}
        self._show_all = False
        self.redraws = 0
        self._seen = (-1, -1)
        self._live: LiveRun | None = None
        first: pg.PlotItem | None = None
        for row, panel in enumerate(PANELS):
            axes = {"left": FittingLabelAxis("left"), "bottom": FittingLabelAxis("bottom")}
            plot = self.addPlot(row=row, col=0, axisItems=axes)
            plot.getAxis("left").set_titles(*panel.titles)
            plot.getAxis("left").setWidth(56)  # one width: the stacked plots line up
            last = row == len(PANELS) - 1
            if last:
                plot.getAxis("bottom").set_titles(*TIME_TITLES)
            else:
                plot.getAxis("bottom").setStyle(showValues=False)
                plot.getAxis("bottom").setHeight(4)
            if len(panel.series) > 1:
                plot.addLegend(offset=(-10, 2), colCount=len(panel.series), labelTextSize="8pt")
            for key, name, colour in panel.series:
                self.curves[key] = plot.plot(
                    pen=_pen(colour), name=name if len(panel.series) > 1 else None
                )
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[panel.key] = plot
            self._y[panel.key] = StickyRange(plot, "y")
        assert first is not None
        self._x = StickyRange(first, "x")
        self.show_all_action = QAction("Show all (include spikes)", self)
        self.show_all_action.setCheckable(True)
        self.show_all_action.setToolTip("Fit each y axis to every point, not to p99 × 1.2")
        self.show_all_action.toggled.connect(self._show_all_toggled)
        for plot in self.plots.values():
            plot.vb.menu.addSeparator()
            plot.vb.menu.addAction(self.show_all_action)
        stats_control.show_if_measured(self.plots[stats_control.KEY], {})  # wma runs only

    @property
    def show_all(self) -> bool:
        """True: each y range includes every point; False: p99 x 1.2 of what is shown."""
        return self._show_all

    @show_all.setter
    def show_all(self, on: bool) -> None:
        self.show_all_action.setChecked(on)

    def _show_all_toggled(self, on: bool) -> None:
        self._show_all = on
        self._seen = (-1, -1)
        for sticky in self._y.values():
            sticky.reset()
        if self._live is not None:
            self.redraw(self._live)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._live is not None:
            self.redraw(self._live)

    def clear_data(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        self._seen = (-1, -1)
        self._live = None
        self._x.reset()
        for sticky in self._y.values():
            sticky.reset()

    def redraw(self, live: LiveRun) -> None:
        """Draw the newest figures; nothing to do until a snapshot or frame came, or
        while hidden."""
        self._live = live
        if not self.isVisible():
            return
        self.redraws += 1
        tl = live.timeline
        seen = (tl.stats_total, live.aggregator.frame_hold.count)
        if seen == self._seen:
            return
        self._seen = seen
        hold_t, hold_ms = tl.frame_hold()
        series = tl.stats_series(0)
        series["hold_ms"] = hold_ms
        stats_control.show_if_measured(self.plots[stats_control.KEY], series)
        last = 0.0
        for panel in PANELS:
            peak = 0.0
            for key, _name, _colour in panel.series:
                t = hold_t if key == "hold_ms" else series["t_s"]
                values = series[key]
                keep = np.isfinite(values)
                t, values = t[keep], values[keep]
                self.curves[key].setData(t, values)
                if len(t):
                    last = max(last, float(t[-1]))
                    peak = max(peak, data_top(values) if self._show_all else robust_top(values))
            if peak > 0:
                self._y[panel.key].fit(peak, peak)
        if last > 0:
            self._x.follow(last)
