"""A stored run written as the reports `rtprobe run` writes: JSON, HTML or CSV.

The history keeps the summary, the HDR histograms and the per-second series, not every
sample: the JSON file is the run's own `--json` summary byte for byte; the HTML report
is the run's report with its histograms and per-second plots (the latency-over-time
scatter needs the samples and is left out); the CSV holds the per-second series, one
row a second, since there are no samples to write one row each.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from app.core.errors import TargetError
from app.core.report.jsonfile import write_atomic, write_json
from app.core.report.model import Summary
from app.core.report.timeline import BUCKETS, Timeline

FORMATS = (".json", ".html", ".csv")


class SeriesTimeline(Timeline):
    """A `Timeline` that has no samples, only stored per-second series: what the HTML
    report of a stored run plots."""

    def __init__(self, series: Mapping[str, np.ndarray]) -> None:
        super().__init__(capacity=1, seconds=1)
        self._stored = {name: np.asarray(v, dtype=np.float64) for name, v in series.items()}

    def per_second(self) -> dict[str, np.ndarray]:
        t = self._stored.get("t_s", np.zeros(0))
        return {"t_s": t.copy()} | {
            name: self._stored.get(name, np.zeros(len(t))).copy() for name in BUCKETS
        }


def series_csv(series: Mapping[str, np.ndarray]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("t_s", *BUCKETS))
    t = series.get("t_s", np.zeros(0))
    columns = [series.get(name, np.zeros(len(t))) for name in BUCKETS]
    for i in range(len(t)):
        w.writerow((f"{t[i]:g}", *(f"{c[i]:g}" for c in columns)))
    return out.getvalue()


def export(path: str | os.PathLike[str], summary: Summary, series: Mapping[str, np.ndarray]) -> str:
    """Write the report its suffix names; the format written. TargetError for a suffix
    that is none of `FORMATS`; OSError from writing is the caller's to report."""
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        write_json(path, summary)
    elif suffix == ".html":
        from app.core.report.html import write_html

        write_html(path, summary, SeriesTimeline(series))
    elif suffix == ".csv":
        write_atomic(path, series_csv(series))
    else:
        raise TargetError(f"cannot export to {str(path)!r}: name a .json, .html or .csv file")
    return suffix[1:]
