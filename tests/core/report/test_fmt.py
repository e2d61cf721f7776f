"""Three significant figures for every measured number people read."""

from __future__ import annotations

import pytest

from app.core.report.fmt import fmt_bytes, fmt_duration, fmt_ms, fmt_sig, ms_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (178.431, "178 ms"),
        (2.3456, "2.35 ms"),
        (0.41234, "0.412 ms"),
        (0.041234, "0.0412 ms"),
        (17.849, "17.8 ms"),
        (99.96, "100 ms"),  # rounding never leaves four figures behind
        (9.996, "10.0 ms"),
        (0.9996, "1.00 ms"),
        (1234.5, "1,234 ms"),  # integer digits are never dropped
        (123_456.0, "123,456 ms"),
        (0.0, "0 ms"),
        (-2.3456, "-2.35 ms"),
        (2.0, "2.00 ms"),
    ],
)
def test_ms_text_has_three_significant_figures(value: float, text: str) -> None:
    assert ms_text(value) == text
    assert fmt_ms(value) + " ms" == text


def test_other_units_read_the_same_way() -> None:
    assert fmt_sig(float("nan")) == "–"
    assert fmt_sig(None) == "–"  # no value (a compare table's empty cell)
    assert fmt_sig(float("inf")) == "∞" and fmt_sig(float("-inf")) == "−∞"
    assert fmt_bytes(47_733) == "47.7 kB"
    assert fmt_bytes(1_234_567, "/s") == "1.23 MB/s"
    assert fmt_bytes(512) == "512 B"
    assert fmt_duration(10.0023) == "10.0 s"
    assert fmt_duration(0.5234) == "0.523 s"
    assert fmt_duration(3_725) == "1 h 02 m 05 s"
