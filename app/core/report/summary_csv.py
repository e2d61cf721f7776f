"""The run's summary as a CSV beside the samples' (`FILE.csv` -> `FILE.summary.csv`):
one header row and one row of values, with the health figures (rtprobe's CPU, its
event-loop lag p50/p99/max, its GC pauses, send lag, the saturation verdict, and the
mock's `/health` reading when the target was the mock it started).

Why a file of its own and not trailer rows in the samples' CSV: every row of that file
is a sample with the same columns, which `csv.DictReader`, pandas and a spreadsheet's
filters rely on; a trailer would read as a broken sample. One row with named columns
here opens in a spreadsheet as it is, and the summaries of many runs concatenate into
one table (same header). Written at the end of the run (the summary exists only then):
a killed run leaves the samples and the `--json` checkpoint, not this file. Empty cells
mean "not measured" (no `--mock`: no mock columns)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.report.csv import _cell
from app.core.report.model import Summary

Column = tuple[str, Callable[[Summary], Any]]


def _client(name: str) -> Callable[[Summary], Any]:
    return lambda s: "" if s.health is None else getattr(s.health, name)


def _mock(name: str) -> Callable[[Summary], Any]:
    return lambda s: "" if s.server_health is None else getattr(s.server_health, name)


def _flag(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


COLUMNS: tuple[Column, ...] = (
    ("transport", lambda s: s.transport),
    ("target", lambda s: s.target),
    ("started", lambda s: s.started),
    ("duration_s", lambda s: s.duration_s),
    ("sessions", lambda s: s.sessions),
    ("sent", lambda s: s.sent),
    ("received", lambda s: s.received),
    ("errors", lambda s: s.errors),
    ("dropped", lambda s: s.dropped),
    ("timeouts", lambda s: s.timeouts),
    ("rtt_p50_ms", lambda s: s.rtt_ms.p50),
    ("rtt_p99_ms", lambda s: s.rtt_ms.p99),
    ("client_cpu_one_core_pct", _client("cpu_one_core")),
    ("client_cpu_per_core_pct", _client("cpu_per_core")),
    ("client_loop_cpu_pct", _client("loop_cpu")),
    ("client_cores", _client("cores")),
    ("client_loop_lag_p50_ms", _client("loop_lag_p50_ms")),
    ("client_loop_lag_p99_ms", _client("loop_lag_p99_ms")),
    ("client_loop_lag_max_ms", _client("loop_lag_max_ms")),
    ("client_gc_count", _client("gc_count")),
    ("client_gc_total_ms", _client("gc_total_ms")),
    ("client_gc_max_ms", _client("gc_max_ms")),
    ("client_send_lag_p99_ms", _client("send_lag_p99_ms")),
    ("client_saturated", _client("saturated")),
    ("client_verdict", _client("verdict")),
    ("mock_window_s", _mock("window_s")),
    ("mock_loop_lag_p50_ms", _mock("loop_lag_p50_ms")),
    ("mock_loop_lag_p99_ms", _mock("loop_lag_p99_ms")),
    ("mock_loop_lag_max_ms", _mock("loop_lag_max_ms")),
    ("mock_loop_cpu_pct", _mock("cpu")),
    ("mock_saturated", _mock("saturated")),
    ("mock_verdict", _mock("verdict")),
)
HEADER = tuple(name for name, _ in COLUMNS)


def summary_path(samples_path: str | os.PathLike[str]) -> Path:
    """`run.csv` -> `run.summary.csv`; a name without `.csv` gets `.summary.csv` added."""
    p = Path(samples_path)
    stem = p.name[:-4] if p.name.lower().endswith(".csv") else p.name
    return p.with_name(stem + ".summary.csv")


def summary_row(summary: Summary) -> list[str]:
    """The values, as text (booleans 1/0, server text defused as in the samples' CSV)."""
    out = []
    for _, get in COLUMNS:
        value = _flag(get(summary))
        out.append(_cell(value) if isinstance(value, str) else str(value))
    return out


def write_summary_csv(path: str | os.PathLike[str], summary: Summary) -> None:
    """Header and one row, written to `NAME.tmp` and renamed: never half a file."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    writer.writerow(summary_row(summary))
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8", newline="")
    os.replace(tmp, target)
