"""Stored runs as the GUI uses them, without Qt: a run to compare read back from the
store, a run's title, and a stored run written out as a report file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from app.core.errors import TargetError
from app.core.history import HistoryStore, RunRow
from app.core.report.jsonfile import write_atomic
from app.gui.compare_figures import CompareRun

EXPORT_TYPES = (".json", ".csv")


def run_title(row: RunRow) -> str:
    """ "#12 ws mock/echo/ws, 2026-12-01 21:04": what the legend and the window say."""
    when = row.started.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"#{row.id} {row.transport} {row.target}, {when}"


def compare_run(store: HistoryStore, run_id: int) -> CompareRun:
    """Run `run_id` as the compare view reads it: its round-trip histogram (its frame
    latency for a run that measured only frames), per-second series and summary."""
    stored = store.get(run_id)
    histogram = store.histogram(run_id, "rtt")
    if not histogram.count and "frame" in stored.metrics:
        histogram = store.histogram(run_id, "frame")
    return CompareRun(run_title(stored.row), histogram, store.series(run_id), stored.summary)


def export_run(store: HistoryStore, run_id: int, path: Path) -> None:
    """By extension: .json is the whole stored record (settings, summary, verdicts),
    .csv the per-second series, one row a second."""
    suffix = path.suffix.lower()
    if suffix not in EXPORT_TYPES:
        raise TargetError(f"unknown export type {suffix!r}: use {' or '.join(EXPORT_TYPES)}")
    if suffix == ".json":
        text = json.dumps(store.get(run_id).as_json(), indent=2, sort_keys=True, default=str)
        write_atomic(path, text + "\n")
        return
    series = store.series(run_id)
    names = ["t_s", *(n for n in series if n != "t_s")] if series else ["t_s"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    length = len(series.get("t_s", ()))
    for i in range(length):
        writer.writerow([f"{series[n][i]:g}" for n in names])
    write_atomic(path, out.getvalue())
