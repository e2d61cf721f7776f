"""Compare runs (A/B): latency CDFs and histograms overlaid, rates side by side, and a
table of the figures with their change against the first run.

A run to compare is a `CompareRun` (label, HDR histogram, per-second series, summary),
whether it was read back from the history store or is a live connection's `LiveRun`, so
the view never cares where a run came from. Curves are made once per slot and fed with
`setData`; the colours are the Okabe-Ito palette, told apart with colour blindness.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.live import LiveRun
from app.core.report.fmt import fmt_sig
from app.gui import compare_figures, compare_marks
from app.gui.compare_figures import CompareRun
from app.gui.connection_panel import ConnectionPanel
from app.gui.log_axis import LogTickAxis

# Okabe-Ito, yellow last: it is faint on white
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
HIST_BINS_PER_DECADE = 20
LEGEND_COLUMNS = 4
STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)
EMPTY_TEXT = "Pick two or more runs (History) or connections to compare them here."

__all__ = ["PALETTE", "CompareRun", "CompareView", "colour", "panel_runs", "run_from_live"]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def panel_runs(panels: Iterable[ConnectionPanel]) -> list[CompareRun]:
    """The connections that have run (or are running), labelled by their titles; two
    with the same title numbered in the window's order ("ws · mock/echo/ws (2)")."""
    ran = [p for p in panels if p.live is not None]
    titles = [p.title.text() for p in ran]
    seen: dict[str, int] = {}
    runs = []
    for panel, title in zip(ran, titles, strict=True):
        seen[title] = seen.get(title, 0) + 1
        label = f"{title} ({seen[title]})" if titles.count(title) > 1 else title
        assert panel.live is not None
        runs.append(run_from_live(label, panel.live))
    return runs


def run_from_live(label: str, live: LiveRun) -> CompareRun:
    """A live connection as a run to compare: what it has measured so far."""
    agg = live.aggregator
    histogram = agg.rtt if agg.rtt.count or not agg.frame_latency.count else agg.frame_latency
    return CompareRun(label, histogram, live.timeline.per_second(), live.summary())


def _pen(index: int) -> object:
    """The index-th run's pen: its palette colour, dashed (then dotted) once the
    palette's colours are all taken, so a ninth run is not the first one again."""
    pen = pg.mkPen(colour(index), width=2)
    pen.setCosmetic(True)
    pen.setStyle(STYLES[(index // len(PALETTE)) % len(STYLES)])
    return pen


@dataclass
class _Slot:
    """The curves of one compared run, made once and reused for whatever run sits there."""

    cdf: pg.PlotDataItem
    hist: pg.PlotDataItem
    rate: pg.PlotDataItem
    fps: pg.PlotDataItem


class CompareView(QWidget):
    """Two or more runs overlaid; `set_runs` replaces what is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare runs")
        self.runs: list[CompareRun] = []
        self._slots: list[_Slot] = []
        self._fps_shown = True
        self._source: Callable[[], Sequence[CompareRun]] | None = None
        self._follow_timer = QTimer(self)
        self._follow_timer.timeout.connect(self._follow_tick)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.message = QLabel(EMPTY_TEXT)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        # 1-2-5 ticks while they fit side by side, else decades: pyqtgraph's own log
        # ticks run into each other
        self.cdf = self.plots.addPlot(row=0, col=0, axisItems={"bottom": LogTickAxis("bottom")})
        self.cdf.setLabel("left", "percentile")
        self.cdf.setLabel("bottom", "latency, ms (log)")
        self.cdf.setLogMode(x=True, y=False)
        self.cdf.setYRange(0, 100, padding=0.02)
        self.cdf.showGrid(x=True, y=True, alpha=0.2)
        # the runs' names in a row of their own under the plots: inside the CDF, a dozen
        # of them covered its curves
        # (offset None: placed by the layout, not anchored over a plot)
        self.legend = pg.LegendItem(offset=None, colCount=LEGEND_COLUMNS, labelTextSize="9pt")
        self.plots.addItem(self.legend, row=2, col=0, colspan=2)
        grid = self.plots.ci.layout
        for row, stretch in ((0, 3), (1, 2), (2, 0)):
            grid.setRowStretchFactor(row, stretch)
        self.hist = self.plots.addPlot(row=0, col=1, axisItems={"bottom": LogTickAxis("bottom")})
        self.hist.setLabel("left", "share of samples (%)")
        self.hist.setLabel("bottom", "latency, ms (log)")
        self.hist.setLogMode(x=True, y=False)
        self.rate = self.plots.addPlot(row=1, col=0)
        self.rate.setLabel("left", "received per second")
        self.rate.setLabel("bottom", "time since start (s)")
        self.fps = self.plots.addPlot(row=1, col=1)
        self.fps.setLabel("left", "frames in per second")
        self.fps.setLabel("bottom", "time since start (s)")
        for plot in (self.cdf, self.hist, self.rate, self.fps):
            for side in ("left", "bottom"):
                plot.getAxis(side).enableAutoSIPrefix(False)  # no "(x0.001)" on ms axes

        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Each run's figures; Δ columns: change against the first run")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plots)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])
        layout.addWidget(splitter, 1)
        self._show_fps(False)

    # -- feeding -------------------------------------------------------------------
    def follow(
        self, source: Callable[[], Sequence[CompareRun]] | None, interval_ms: int = 1000
    ) -> None:
        """Show `source()` now and again every `interval_ms` while the view is visible
        (live connections still running); None stops following."""
        self._source = source
        if source is None:
            self._follow_timer.stop()
            return
        self._follow_timer.setInterval(interval_ms)
        self._follow_timer.start()
        self.set_runs(source())

    def _follow_tick(self) -> None:
        if self._source is not None and self.isVisible():
            self.set_runs(self._source())

    def set_runs(self, runs: Sequence[CompareRun]) -> None:
        """Show these runs; the first is the baseline the changes are measured against."""
        self.runs = list(runs)
        while len(self._slots) < len(self.runs):
            self._slots.append(self._new_slot())
        for index, slot in enumerate(self._slots):
            run = self.runs[index] if index < len(self.runs) else None
            self._draw(slot, run, index)
        if len(self.runs) < 2:
            self.message.setText(EMPTY_TEXT)
        else:
            self.message.setText("Compared against " + self.runs[0].label)
        self._show_fps(any(np.any(r.per_second.get("frames_in", ())) for r in self.runs))
        self._rate_ranges()
        self.legend.setVisible(len(self.runs) > 1)  # one run: the title names it
        compare_marks.mark_runs(self, colour)  # each run's network changes
        self._fill_table()

    def _rate_ranges(self) -> None:
        """Rates from 0 and over the whole of the longest run, so a short run's one or
        two points are not blown up to fill the plot."""
        ends, peaks, fps_peaks = [1.0], [1.0], [1.0]
        for r in self.runs:
            t = np.asarray(r.per_second.get("t_s", ()), dtype=np.float64)
            if len(t):
                ends.append(float(t[-1]) + 1.0)
                peaks.append(float(np.max(r.per_second.get("received", [0.0]))))
                fps_peaks.append(float(np.max(r.per_second.get("frames_in", [0.0]))))
        for plot, peak in ((self.rate, max(peaks)), (self.fps, max(fps_peaks))):
            plot.setXRange(0.0, max(ends), padding=0.02)
            plot.setYRange(0.0, peak * 1.1, padding=0.0)

    def _show_fps(self, shown: bool) -> None:
        """The fps plot beside the rates when a run measured frames; else the rates
        take the whole row."""
        if shown == self._fps_shown:
            return
        self._fps_shown = shown
        self.plots.removeItem(self.rate)
        if shown:
            self.plots.addItem(self.rate, row=1, col=0)
            self.plots.addItem(self.fps, row=1, col=1)
        else:
            self.plots.removeItem(self.fps)
            self.plots.addItem(self.rate, row=1, col=0, colspan=2)
        self.fps.setVisible(shown)

    def _new_slot(self) -> _Slot:
        pen = _pen(len(self._slots))
        slot = _Slot(
            cdf=self.cdf.plot(pen=pen),
            hist=self.hist.plot(pen=pen, stepMode="center"),
            rate=self.rate.plot(pen=pen, symbol="o", symbolSize=4, symbolPen=pen),
            fps=self.fps.plot(pen=pen, symbol="o", symbolSize=4, symbolPen=pen),
        )
        self.legend.removeItem(slot.cdf)  # named when a run sits in the slot
        return slot

    def _draw(self, slot: _Slot, run: CompareRun | None, index: int) -> None:
        if self.legend.getLabel(slot.cdf) is not None:
            self.legend.removeItem(slot.cdf)
        if run is None:
            for curve in (slot.cdf, slot.hist, slot.rate, slot.fps):
                curve.setData([], [])
            return
        self.legend.addItem(slot.cdf, run.label)
        x, y = compare_figures.cdf_points(run.histogram)
        slot.cdf.setData(x, y)
        bins = run.histogram.log_bins(HIST_BINS_PER_DECADE)
        if bins.counts:
            share = np.asarray(bins.counts, dtype=np.float64) * 100.0 / bins.total
            slot.hist.setData(np.asarray(bins.edges_ms), share)
        else:
            slot.hist.setData([], [])
        t = np.asarray(run.per_second.get("t_s", ()), dtype=np.float64)
        slot.rate.setData(t, np.asarray(run.per_second.get("received", ()), dtype=np.float64))
        slot.fps.setData(t, np.asarray(run.per_second.get("frames_in", ()), dtype=np.float64))

    def _fill_table(self) -> None:
        rows = compare_figures.table_rows(self.runs)
        headers = ["figure"]
        for index, run in enumerate(self.runs):
            headers.append(run.label)
            if index:
                headers.append(f"Δ {run.label}")
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [row.label]
            for index, value in enumerate(row.values):
                cells.append(fmt_sig(value))
                if index:
                    cells.append(compare_figures.change_text(row.changes[index]))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)

    # -- reading (tests, export) ---------------------------------------------------
    def rows_text(self) -> list[list[str]]:
        """The table as text, header row first, as a user reads it."""
        t = self.table
        cols = range(t.columnCount())
        header = [_text(t.horizontalHeaderItem(c)) for c in cols]
        return [header] + [[_text(t.item(r, c)) for c in cols] for r in range(t.rowCount())]

    def cell(self, figure: str, column: str) -> str:
        """The table's text for a figure (row name) and a column header."""
        header, *rows = self.rows_text()
        for row in rows:
            if row[0] == figure:
                return row[header.index(column)]
        raise KeyError(figure)


def _text(item: QTableWidgetItem | None) -> str:
    return "" if item is None else item.text()
