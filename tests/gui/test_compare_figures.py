"""Three significant figures and percent changes, as the compare table writes them."""

from __future__ import annotations

import math

import pytest

from app.core.metrics import LatencyHistogram
from app.gui.compare_figures import cdf_points, change_text, three_sig


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (178.431, "178"),
        (2.345678, "2.35"),
        (0.0123456, "0.0123"),
        (12345.0, "12,345"),
        (0.0, "0"),
        (-4.56789, "-4.57"),
        (math.nan, "–"),
        (None, "–"),
    ],
)
def test_three_significant_figures(value: float, text: str) -> None:
    assert three_sig(value) == text


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
