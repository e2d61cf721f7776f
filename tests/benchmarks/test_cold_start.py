"""benchmarks/cold_start.py reads the start-up report's figures back."""

from __future__ import annotations

from benchmarks.cold_start import parse_report


def test_the_reports_figures_are_read_back() -> None:
    line = (
        "rtprobe start-up: python 0.20 s, cli 0.02 s, imports 0.51 s, qt 0.03 s, window 0.04 s, "
        "session 0.30 s, paint 0.08 s = window painted at 1.18 s; engine ready at 2.32 s, "
        "mock up: not ready"
    )
    assert parse_report(line) == {
        "python": 0.20,
        "cli": 0.02,
        "imports": 0.51,
        "qt": 0.03,
        "window": 0.04,
        "session": 0.30,
        "paint": 0.08,
        "painted": 1.18,
        "engine ready": 2.32,
    }
