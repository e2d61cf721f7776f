"""Axis text that stays readable: log ticks that never overlap, titles never cut."""

from __future__ import annotations

import itertools
import math

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFontMetricsF

from app.gui.log_axis import (
    MINOR_TICK,
    FittingLabelAxis,
    LogTickAxis,
    log_tick_label,
    log_ticks,
    tick_font,
)


def _labels(axis: LogTickAxis, lo: float, hi: float, px: float) -> list[tuple[float, str]]:
    levels = axis.tickValues(lo, hi, px)
    (spacing, values), (minor_spacing, minor) = levels
    assert minor_spacing == MINOR_TICK
    assert all(s == "" for s in axis.tickStrings(minor, 1.0, minor_spacing))
    return list(zip(values, axis.tickStrings(values, 1.0, spacing), strict=True))


@pytest.mark.parametrize("px", [60, 120, 400])
@pytest.mark.parametrize(("lo", "hi"), [(-2.0, 3.0), (-1.0, 1.0), (0.0, 4.0), (-3.0, 0.0)])
def test_log_tick_labels_never_overlap(qtbot, lo: float, hi: float, px: float) -> None:
    axis = LogTickAxis("bottom")
    metrics = QFontMetricsF(tick_font(axis))
    labels = _labels(axis, lo, hi, px)
    assert labels, "at least one label on every axis"
    per_unit = px / (hi - lo)
    for (a, ta), (b, tb) in itertools.pairwise(labels):
        room = (b - a) * per_unit  # pixels between the two labels' centres
        assert room >= (metrics.horizontalAdvance(ta) + metrics.horizontalAdvance(tb)) / 2, (
            ta,
            tb,
            px,
        )


def test_wide_axes_label_1_2_5_and_narrow_ones_decades(qtbot) -> None:
    axis = LogTickAxis("bottom")
    wide = [text for _, text in _labels(axis, -1.0, 2.0, 900)]
    assert wide == ["0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50", "100"]
    narrow = [text for _, text in _labels(axis, -1.0, 3.0, 110)]
    assert set(narrow) <= {"0.1", "1", "10", "100", "1 s"} and len(narrow) >= 2
    assert log_tick_label(math.log10(2000)) == "2 s"


def test_minor_ticks_only_where_they_fit(qtbot) -> None:
    metrics = QFontMetricsF(tick_font(LogTickAxis("bottom")))
    _, minor = log_ticks(0.0, 2.0, 600, metrics)
    assert len(minor) > 10  # 2..9 of each decade, less the labelled ones
    _, crowded = log_ticks(-5.0, 5.0, 30, metrics)
    assert crowded == []
    assert log_ticks(1.0, 1.0, 100, metrics) == ([], [])


def test_a_title_is_the_longest_alternative_that_fits(qtbot) -> None:
    widget = pg.PlotWidget(axisItems={"left": FittingLabelAxis("left")})
    qtbot.addWidget(widget)
    axis = widget.getPlotItem().getAxis("left")
    axis.set_titles("round trip (ms)", "RTT (ms)", "ms")
    widget.resize(300, 400)
    widget.show()
    qtbot.waitUntil(lambda: axis.title == "round trip (ms)", timeout=2_000)
    widget.resize(300, 70)
    qtbot.waitUntil(lambda: axis.title != "round trip (ms)", timeout=2_000)
    width = QFontMetricsF(axis.label.font()).horizontalAdvance(axis.title)
    assert width <= axis.size().height()  # never cut: "round trip (m"
