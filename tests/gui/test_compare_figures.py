"""Percent changes as the compare table writes them (figures are `fmt_sig`), CDF points."""

from __future__ import annotations

import math

from app.core.metrics import LatencyHistogram
from app.gui.compare_figures import cdf_points, change_text


def test_change_texts() -> None:
    assert change_text(12.345) == "+12.3 %"
    assert change_text(0.0) == "±0 %"
    assert change_text(math.inf) == "+∞ %"  # from 0 to anything
    assert change_text(-0.5) == "−0.500 %"
    assert change_text(None) == "–"


def test_cdf_points_reach_every_sample() -> None:
    h = LatencyHistogram()
    for us in (100, 200, 200, 400):
        h.record_ns(us * 1000)
    x, y = cdf_points(h)
    assert list(x) == [0.1, 0.2, 0.4] and list(y) == [25.0, 75.0, 100.0]
    assert [len(a) for a in cdf_points(LatencyHistogram())] == [0, 0]
