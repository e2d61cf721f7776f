"""The live plots of one connection, drawn from its LiveRun at the bridge's redraw rate.

pyqtgraph figures measured here: a 10k-point curve redraws in ~4.7 ms, 100k points
need peak downsampling and clip-to-view, grids and pens wider than 1 px cost more than
the data. So: curves created once, 1 px cosmetic pens, no grids, setData per redraw.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.core.live import LiveRun

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
        self.rtt = self.addPlot(row=0, col=0, title="round trip (ms)")
        self.rtt.setLabel("bottom", "time", units="s")
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
        self.hist = self.addPlot(row=0, col=1, title="latency histogram")
        self.hist.setLabel("bottom", "ms (log)")
        self.hist.setLogMode(x=True, y=False)
        self.hist_curve = self.hist.plot(
            stepMode="center", fillLevel=0, brush=(0, 114, 178, 120), pen=_pen(BLUE)
        )
        self.rates = self.addPlot(row=1, col=0, colspan=2, title="per second")
        self.rates.addLegend(offset=(10, 5))
        self.rates.setLabel("bottom", "time", units="s")
        self.sent_curve = self.rates.plot(pen=_pen(ORANGE), name="sent/s")
        self.recv_curve = self.rates.plot(pen=_pen(BLUE), name="received/s")
        self.failed_curve = self.rates.plot(pen=_pen(RED), name="failed/s")
        self.fps_out_curve = self.rates.plot(pen=_pen(GREEN), name="fps out")
        self.fps_in_curve = self.rates.plot(pen=_pen(GREY), name="fps in")
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.ci.layout.setColumnStretchFactor(0, 3)
        self.ci.layout.setColumnStretchFactor(1, 1)
        self.redraws = 0

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

    def redraw(self, live: LiveRun) -> None:
        self.redraws += 1
        t, ms = live.timeline.latency()
        if len(t):
            self.rtt_curve.setData(t, ms, skipFiniteCheck=True)
            rtt = live.aggregator.rtt
            for line, p in ((self.p50_line, 50), (self.p99_line, 99)):
                line.setValue(rtt.percentile_ms(p))
                line.setVisible(True)
            self._histogram(ms)
        series = live.timeline.per_second()
        ts = series.get("t_s")
        if ts is not None and len(ts) > 1 and not live.finished:
            # the newest second is still filling: leave it out rather than show a fall
            series = {k: v[:-1] for k, v in series.items()}
            ts = series["t_s"]
        if ts is not None and len(ts):
            failed = series["errored"] + series["dropped"] + series["timed_out"]
            for curve, values in (
                (self.sent_curve, series["sent"]),
                (self.recv_curve, series["received"]),
                (self.failed_curve, failed),
                (self.fps_out_curve, series["frames_out"]),
                (self.fps_in_curve, series["frames_in"]),
            ):
                if np.any(values):
                    curve.setData(ts, values)
                else:
                    curve.setData([], [])

    def _histogram(self, ms: np.ndarray) -> None:
        logs = np.log10(np.maximum(ms, 1e-3))
        lo, hi = np.floor(logs.min()), np.ceil(logs.max())
        if hi <= lo:
            hi = lo + 1
        edges = np.linspace(lo, hi, int((hi - lo) * HIST_BINS_PER_DECADE) + 1)
        counts, edges = np.histogram(logs, bins=edges)
        self.hist_curve.setData(10.0**edges, counts)  # the axis is in log mode
