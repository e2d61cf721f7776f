"""Stored runs as the GUI uses them, without Qt: a run to compare read back from the
store, a run's title, how the list sorts a run by each column, and a stored run written
out as a report file."""

from __future__ import annotations

import math
from pathlib import Path

from app.core.history import HistoryStore, RunRow
from app.core.history.export import export
from app.gui.compare_figures import CompareRun

EXPORT_FILTER = "HTML report (*.html);;JSON summary (*.json);;CSV per second (*.csv)"


def run_title(row: RunRow) -> str:
    """ "#12 ws mock/echo/ws, 2026-12-01 21:04": what the legend and the window say."""
    when = row.started.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"#{row.id} {row.transport} {row.target}, {when}"


def sort_keys(row: RunRow) -> tuple[float | str, ...]:
    """What each column of the history list sorts by: the start time as a timestamp,
    figures as numbers (a missing one, NaN, below every other), words by their
    lower case; in the list's column order."""

    def number(v: float) -> float:
        return -math.inf if math.isnan(v) else float(v)

    state = row.state + (f": {row.reason}" if row.reason else "")
    words = (row.source, row.transport, row.target, state)
    figures = (row.p50, row.p99, row.sent, row.errors, row.rate)
    return (row.started.timestamp(), *(w.casefold() for w in words), *map(number, figures))


def compare_run(store: HistoryStore, run_id: int) -> CompareRun:
    """Run `run_id` as the compare view reads it: its round-trip histogram (its frame
    latency for a run that measured only frames), per-second series and summary."""
    stored = store.get(run_id)
    histogram = store.histogram(run_id, "rtt")
    if not histogram.count and "frame" in stored.metrics:
        histogram = store.histogram(run_id, "frame")
    return CompareRun(run_title(stored.row), histogram, store.series(run_id), stored.summary)


def export_run(store: HistoryStore, run_id: int, path: Path) -> str:
    """The report `rtprobe runs export` writes, by extension (.html, .json, .csv); the
    format written."""
    return export(path, store.get(run_id).summary, store.series(run_id))
