"""Ranges that ignore one spike, follow time and change rarely."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.gui.robust_range import StickyRange, data_top, nice_ceiling, robust_top


def test_one_spike_does_not_set_the_top() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate(([200.0, 180.0], rng.uniform(0.2, 0.6, 5_000)))
    top = robust_top(values)
    assert 0.6 < top < 0.75  # p99 of the sub-ms traffic x 1.2, not 200
    assert data_top(values) >= 200.0
    assert robust_top(np.array([])) == 0.0 and data_top(np.array([np.nan])) == 0.0
    big = rng.uniform(0, 1, 1_000_000)  # a strided sample stands in for a huge window
    assert abs(robust_top(big) - 0.99 * 1.2) < 0.02


def test_nice_ceilings() -> None:
    assert [nice_ceiling(v) for v in (0.7, 1.0, 1.2, 3.0, 7.0, 180.0)] == [
        1.0,
        1.0,
        2.0,
        5.0,
        10.0,
        200.0,
    ]
    assert nice_ceiling(0) == 1.0 and nice_ceiling(float("nan")) == 1.0


def test_a_time_axis_follows_the_data_in_coarse_steps(qtbot) -> None:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    x = StickyRange(widget.getPlotItem(), "x")
    for i in range(1, 6001):  # ten minutes of redraws at 10 Hz
        last = i / 10
        x.follow(last)
        assert x.top is not None and last <= x.top <= last + max(1.0, 0.13 * last)
    assert x.changes < 120  # every ~5 % of the span, not every redraw
    hi = widget.getPlotItem().viewRange()[0][1]
    assert hi <= 600 * 1.15
