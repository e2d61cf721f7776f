"""Run history: every run's settings, summary, HDR histograms, per-second series and
verdicts in one SQLite file, for `rtprobe runs` and the GUI's history and compare views.
"""

from __future__ import annotations

from app.core.history.record import METRICS, NewRun, Verdict, new_run, settings_of
from app.core.history.store import (
    HistoryError,
    HistoryStore,
    RunRow,
    StoredRun,
    default_path,
)

__all__ = [
    "METRICS",
    "HistoryError",
    "HistoryStore",
    "NewRun",
    "RunRow",
    "StoredRun",
    "Verdict",
    "default_path",
    "new_run",
    "settings_of",
]
