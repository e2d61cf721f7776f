"""The WebRTC stats tab's control round-trip plot (wma's ping/pong, docs/protocols.md
4c): its panel, and a rule that shows it only for runs that have the figure, so WebSocket
signaling runs keep the tab as it was."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

KEY = "control"
SERIES = "control_rtt_median_ms"
TITLES = ("control RTT (ms)", "ctl RTT", "ms")


def show_if_measured(plot: pg.PlotItem, series: dict[str, np.ndarray]) -> None:
    """Hide the control plot until a snapshot carried a control round trip."""
    values = series.get(SERIES)
    plot.setVisible(values is not None and bool(np.isfinite(values).any()))
