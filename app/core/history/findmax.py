"""A `rtprobe run --find-max` search in the run history: the answer (highest rate, what
stopped it, the limits) in `find_max`, each step in `find_max_steps` (schema v3), so
`rtprobe runs show` prints the knee table and the GUI's history view plots it.

The run's own row (and summary, histograms) is the step at the highest passing rate,
else the last step measured: what the list's p50/p99 columns then say of the search."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, fields
from typing import Any, cast

from app.core.findmax import Limits, Phase, Result, Step, answer_text

KIND_RUN = "run"
KIND_FIND_MAX = "find-max"

SCHEMA_V3 = """
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'run';
CREATE TABLE find_max (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    best_rate REAL NOT NULL,        -- msg/s, 0 when no step passed
    stopped_by TEXT NOT NULL,
    limits TEXT NOT NULL            -- JSON of app.core.findmax.Limits
);
CREATE TABLE find_max_steps (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,          -- 0-based, in the order measured
    phase TEXT NOT NULL,            -- ramp | bisect
    rate REAL NOT NULL,             -- msg/s asked
    achieved REAL NOT NULL,         -- replies/s
    p50_ms REAL NOT NULL,
    p99_ms REAL NOT NULL,
    send_lag_p99_ms REAL NOT NULL,
    client_lag_p99_ms REAL NOT NULL,
    client_saturated INTEGER NOT NULL,
    server_saturated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    failure TEXT NOT NULL,          -- '' when the step passed
    PRIMARY KEY (run_id, step)
);
"""

_STEP_COLUMNS = (
    "phase, rate, achieved, p50_ms, p99_ms, send_lag_p99_ms, client_lag_p99_ms,"
    " client_saturated, server_saturated, failed, failure"
)


def write(db: sqlite3.Connection, run_id: int, result: Result) -> None:
    """The search of run `run_id`, inside the caller's transaction."""
    db.execute(
        "INSERT INTO find_max VALUES (?, ?, ?, ?)",
        (run_id, result.best_rate, result.stopped_by, json.dumps(asdict(result.limits))),
    )
    for i, s in enumerate(result.steps):
        db.execute(
            f"INSERT INTO find_max_steps (run_id, step, {_STEP_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                i,
                s.phase,
                s.rate,
                s.achieved,
                s.p50_ms,
                s.p99_ms,
                s.send_lag_p99_ms,
                s.client_lag_p99_ms,
                int(s.client_saturated),
                int(s.server_saturated),
                s.failed,
                s.failure,
            ),
        )


def read(db: sqlite3.Connection, run_id: int) -> Result | None:
    """The search stored with run `run_id`; None for an ordinary run."""
    found = db.execute(
        "SELECT best_rate, stopped_by, limits FROM find_max WHERE run_id=?", (run_id,)
    ).fetchone()
    if found is None:
        return None
    best_rate, stopped_by, limits_text = found
    known = {f.name for f in fields(Limits)}
    limits = Limits(**{k: v for k, v in json.loads(limits_text).items() if k in known})
    rows = db.execute(
        f"SELECT {_STEP_COLUMNS} FROM find_max_steps WHERE run_id=? ORDER BY step", (run_id,)
    ).fetchall()
    steps = tuple(_step(row) for row in rows)
    return Result(float(best_rate), str(stopped_by), steps, limits)


def delete(db: sqlite3.Connection, run_id: int) -> None:
    db.execute("DELETE FROM find_max_steps WHERE run_id=?", (run_id,))
    db.execute("DELETE FROM find_max WHERE run_id=?", (run_id,))


def _step(row: Any) -> Step:
    (phase, rate, achieved, p50, p99, send_lag, lag, client, server, failed, failure) = row
    return Step(
        rate=float(rate),
        achieved=float(achieved),
        p50_ms=float(p50),
        p99_ms=float(p99),
        failed=int(failed),
        client_saturated=bool(client),
        server_saturated=bool(server),
        client_lag_p99_ms=float(lag),
        send_lag_p99_ms=float(send_lag),
        phase=cast(Phase, phase),
        failure=str(failure),
    )


def steps_table(result: Result) -> list[str]:
    """The knee as text lines: one a step, then the answer (for `rtprobe runs show`)."""
    lines = [
        answer_text(result),
        f"  {'step':>4}  {'phase':<6} {'rate':>10} {'achieved':>10} {'p50 ms':>9} "
        f"{'p99 ms':>9} {'send lag':>9} {'loop lag':>9}  verdict",
    ]
    for i, s in enumerate(result.steps):
        lines.append(
            f"  {i + 1:>4}  {s.phase:<6} {s.rate:>10,.1f} {s.achieved:>10,.1f} "
            f"{s.p50_ms:>9.3f} {s.p99_ms:>9.3f} {s.send_lag_p99_ms:>9.2f} "
            f"{s.client_lag_p99_ms:>9.2f}  {s.failure or 'pass'}"
        )
    return lines
