"""A WebRTC run's transport figures over time, as chrome://webrtc-internals plots them:
bitrate in/out, the received frame size (width and height, `Timeline.resolution_steps`,
beside the bitrate: a browser's encoder scales down under a cap, aiortc's does not),
packet loss, round-trip time, jitter and the jitter-buffer hold, one small plot each,
stacked, on one shared time axis (the network-change marks are drawn on each).

The figures are getStats snapshots (about one a second, `Timeline.stats_series`) and
each received frame's hold (`Timeline.frame_hold`) of one session: session 0 (the one
whose video the Video tab shows) until the user picks another, or all of them overlaid,
one colour each, in the picker above the plots (shown once a run has two sessions,
`--concurrency` > 1). As in `LivePlots`: curves created once, setData per redraw,
and only when a new snapshot or frame came; y ranges to p99 x 1.2 (`show_all` for
every point), time following the data. While the widget is hidden (another tab is
shown) a redraw only notes the run; showing it draws at once. The plots themselves
are made when the tab is first shown (or `plots`/`curves` are asked for): most panels
never show WebRTC stats, and the plots were a third of a new panel's start-up cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core.live import LiveRun
from app.gui import stats_control
from app.gui.log_axis import FittingLabelAxis
from app.gui.plots import BLUE, ORANGE, RED, TIME_TITLES, _pen, quiet_axes
from app.gui.robust_range import StickyRange, data_top, robust_top

PURPLE, GREEN = "#CC79A7", "#009E73"
ALL = -1  # the picker's "all sessions" entry
# one colour per session when all are overlaid (Okabe-Ito, as the compare view)
SESSION_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")


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
    Panel(
        "resolution",
        ("frame size in (px)", "size (px)", "px"),
        (("width_in", "width", BLUE), ("height_in", "height", GREEN)),
    ),
    Panel("loss", ("packet loss (%)", "loss %", "%"), (("loss_pct", "lost", RED),)),
    Panel("rtt", ("RTT (ms)", "ms"), (("rtt_ms", "RTT", PURPLE),)),
    Panel("jitter", ("jitter (ms)", "ms"), (("jitter_ms", "jitter", GREEN),)),
    Panel(stats_control.KEY, stats_control.TITLES, ((stats_control.SERIES, "RTT", ORANGE),)),
    Panel("hold", ("jitter-buffer hold (ms)", "hold (ms)", "ms"), (("hold_ms", "hold", BLUE),)),
)


RESOLUTION = {"width_in": "width", "height_in": "height"}  # series -> resolution_steps


def session_colour(session: int) -> str:
    return SESSION_COLOURS[session % len(SESSION_COLOURS)]


class StatsPlots(QWidget):
    """`redraw(live)` at the bridge's redraw rate; `clear_data()` for a new run.

    `curves` hold the chosen session's figures (in "all", the first session's); the
    other sessions' curves, drawn only in "all", are in `overlay` by (series, session)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plots: dict[str, pg.PlotItem] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._built = False
        self.overlay: dict[tuple[str, int], pg.PlotDataItem] = {}
        self._y: dict[str, StickyRange] = {}
        self._show_all = False
        self.redraws = 0
        self._seen: tuple[int, ...] = (-1, -1, -1, -1)
        self._live: LiveRun | None = None
        self.sessions: list[int] = []  # in the picker
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.picker_row = QWidget()
        row = QHBoxLayout(self.picker_row)
        row.setContentsMargins(4, 2, 4, 0)
        row.addWidget(QLabel("session"))
        self.session_picker = QComboBox()
        self.session_picker.setToolTip(
            "Whose getStats to plot: one session of the run, or all of them overlaid"
        )
        self.session_picker.addItem("0", 0)
        self.session_picker.currentIndexChanged.connect(self._session_changed)
        row.addWidget(self.session_picker)
        self.key_label = QLabel()  # in "all": which colour is which session
        self.key_label.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.key_label, 1)
        layout.addWidget(self.picker_row)
        self.picker_row.setVisible(False)  # until a run has a second session
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        layout.addWidget(self.graphics, 1)
        self.show_all_action = QAction("Show all (include spikes)", self)
        self.show_all_action.setCheckable(True)
        self.show_all_action.setToolTip("Fit each y axis to every point, not to p99 × 1.2")
        self.show_all_action.toggled.connect(self._show_all_toggled)

    # -- the plots, made when first needed -----------------------------------------
    @property
    def built(self) -> bool:
        """Whether the plots exist: they are made when first shown or asked for, so a
        panel that never shows WebRTC stats never pays for the plots (a third of a new
        panel's construction and first layout)."""
        return self._built

    @property
    def plots(self) -> dict[str, pg.PlotItem]:
        self._build()
        return self._plots

    @property
    def curves(self) -> dict[str, pg.PlotDataItem]:
        self._build()
        return self._curves

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        first: pg.PlotItem | None = None
        for row_index, panel in enumerate(PANELS):
            axes = {"left": FittingLabelAxis("left"), "bottom": FittingLabelAxis("bottom")}
            plot = quiet_axes(self.graphics.addPlot(row=row_index, col=0, axisItems=axes))
            plot.getAxis("left").set_titles(*panel.titles)
            plot.getAxis("left").setWidth(56)  # one width: the stacked plots line up
            last = row_index == len(PANELS) - 1
            if last:
                plot.getAxis("bottom").set_titles(*TIME_TITLES)
            else:
                plot.getAxis("bottom").setStyle(showValues=False)
                plot.getAxis("bottom").setHeight(4)
            if len(panel.series) > 1:
                plot.addLegend(offset=(-10, 2), colCount=len(panel.series), labelTextSize="8pt")
            for key, name, colour in panel.series:
                self._curves[key] = plot.plot(
                    pen=_pen(colour), name=name if len(panel.series) > 1 else None
                )
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self._plots[panel.key] = plot
            self._y[panel.key] = StickyRange(plot, "y")
        assert first is not None
        self._x = StickyRange(first, "x")
        for plot in self._plots.values():
            plot.vb.menu.addSeparator()
            plot.vb.menu.addAction(self.show_all_action)
        stats_control.show_if_measured(self._plots[stats_control.KEY], {})  # wma runs only
        self._restyle()

    @property
    def show_all(self) -> bool:
        """True: each y range includes every point; False: p99 x 1.2 of what is shown."""
        return self._show_all

    @show_all.setter
    def show_all(self, on: bool) -> None:
        self.show_all_action.setChecked(on)

    @property
    def session(self) -> int:
        """The session plotted, or `ALL`."""
        chosen = self.session_picker.currentData()
        return 0 if chosen is None else int(chosen)

    def choose_session(self, session: int) -> None:
        """Plot one session (or `ALL`), as picking it in the list does."""
        index = self.session_picker.findData(session)
        if index >= 0:
            self.session_picker.setCurrentIndex(index)

    def _session_changed(self, _index: int) -> None:
        self._restyle()
        self._replot()

    def _show_all_toggled(self, on: bool) -> None:
        self._show_all = on
        self._replot()

    def _replot(self) -> None:
        self._seen = (-1, -1, -1, -1)
        if not self._built:
            return
        for sticky in self._y.values():
            sticky.reset()
        if self._live is not None:
            self.redraw(self._live)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._build()
        if self._live is not None:
            self.redraw(self._live)

    def clear_data(self) -> None:
        self._seen = (-1, -1, -1, -1)
        self._live = None
        if not self._built:
            return
        for curve in [*self._curves.values(), *self.overlay.values()]:
            curve.setData([], [])
        self._x.reset()
        for sticky in self._y.values():
            sticky.reset()
        self._set_sessions([])

    # -- sessions ------------------------------------------------------------------
    def _set_sessions(self, sessions: list[int]) -> None:
        """The picker lists each session that sent figures, then "all" (two or more)."""
        if sessions == self.sessions:
            return
        chosen = self.session if self.sessions else 0
        self.sessions = sessions
        self.session_picker.blockSignals(True)
        self.session_picker.clear()
        for s in sessions or [0]:
            self.session_picker.addItem(str(s), s)
        if len(sessions) > 1:
            self.session_picker.addItem(f"all {len(sessions)}, overlaid", ALL)
        index = self.session_picker.findData(chosen)
        self.session_picker.setCurrentIndex(max(0, index))
        self.session_picker.blockSignals(False)
        self.picker_row.setVisible(len(sessions) > 1)
        if self._built:
            self._restyle()

    def _shown_sessions(self) -> list[int]:
        if self.session == ALL:
            return list(self.sessions)
        return [self.session]

    def _restyle(self) -> None:
        """Series colours for one session; session colours (out dashed) for all."""
        overlaid = self.session == ALL
        first = self._shown_sessions()[0] if self.sessions else 0
        for panel in PANELS:
            for i, (key, _name, colour) in enumerate(panel.series):
                style = Qt.PenStyle.DashLine if overlaid and i else None
                shade = session_colour(first) if overlaid else colour
                self.curves[key].setPen(_pen(shade, style))
        for curve in self.overlay.values():
            if not overlaid:
                curve.setData([], [])
        self.key_label.setText(
            "  ".join(
                f'<span style="color:{session_colour(s)}">■</span> {s}' for s in self.sessions
            )
            + ("  (dashed: out)" if len(self.sessions) > 1 else "")
            if overlaid
            else ""
        )

    def _curve(self, key: str, session: int, index: int) -> pg.PlotDataItem:
        """The curve of `key` for the index-th shown session (made on first use)."""
        if index == 0:
            return self.curves[key]
        curve = self.overlay.get((key, session))
        if curve is None:
            panel = next(p for p in PANELS if any(k == key for k, _n, _c in p.series))
            dashed = [k for k, _n, _c in panel.series].index(key) > 0
            pen = _pen(session_colour(session), Qt.PenStyle.DashLine if dashed else None)
            curve = self.plots[panel.key].plot(pen=pen)
            self.overlay[(key, session)] = curve
        return curve

    # -- drawing -------------------------------------------------------------------
    def redraw(self, live: LiveRun) -> None:
        """Draw the newest figures; nothing to do until a snapshot or frame came, or
        while hidden."""
        self._live = live
        if not self.isVisible():
            return
        self._build()
        self.redraws += 1
        tl = live.timeline
        seen = (
            tl.stats_total,
            live.aggregator.frame_hold.count,
            tl.resolution_points,
            self.session,
        )
        if seen == self._seen:
            return
        self._seen = seen
        self._set_sessions(tl.stats_sessions())
        control: list[np.ndarray] = []  # wma's control RTT, from any shown session
        last = 0.0
        peaks = dict.fromkeys(self.plots, 0.0)
        for index, session in enumerate(self._shown_sessions()):
            hold_t, hold_ms = tl.frame_hold(session)
            series = tl.stats_series(session)
            series["hold_ms"] = hold_ms
            ends = [float(t[-1]) for t in (hold_t, series["t_s"]) if len(t)]
            steps = tl.resolution_steps("in", session, max(ends, default=None))
            series.update({key: steps[field] for key, field in RESOLUTION.items()})
            control.append(series.get(stats_control.SERIES, np.empty(0)))
            for panel in PANELS:
                for key, _name, _colour in panel.series:
                    if key == "hold_ms":
                        t = hold_t
                    elif key in RESOLUTION:
                        t = steps["t_s"]
                    else:
                        t = series["t_s"]
                    values = series[key]
                    keep = np.isfinite(values)
                    t, values = t[keep], values[keep]
                    self._curve(key, session, index).setData(t, values)
                    if len(t):
                        last = max(last, float(t[-1]))
                        top = data_top(values) if self._show_all else robust_top(values)
                        peaks[panel.key] = max(peaks[panel.key], top)
        stats_control.show_if_measured(
            self.plots[stats_control.KEY],
            {stats_control.SERIES: np.concatenate(control or [np.empty(0)])},
        )
        for key, peak in peaks.items():
            if peak > 0:
                self._y[key].fit(peak, peak)
        if last > 0:
            self._x.follow(last)
