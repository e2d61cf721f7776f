"""The run history's SQLite schema and its migrations, one step per version.

`PRAGMA user_version` holds the version; `MIGRATIONS[i]` brings a file from version i
to i + 1 inside the store's one transaction (`store.HistoryStore._migrate`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

SCHEMA_V1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,          -- Unix time, seconds
    source TEXT NOT NULL,
    transport TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL,         -- JSON
    summary TEXT NOT NULL,          -- JSON, as the --json report writes it
    verdicts TEXT NOT NULL          -- JSON list of {expression, passed, detail}
);
CREATE TABLE histograms (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    count INTEGER NOT NULL,
    sum_us INTEGER NOT NULL,
    min_us INTEGER NOT NULL,
    max_us INTEGER NOT NULL,
    clamped INTEGER NOT NULL,
    counts BLOB NOT NULL,           -- zlib of the non-zero (index int32, count int64) pairs
    PRIMARY KEY (run_id, metric)
);
CREATE TABLE series (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    data BLOB NOT NULL,             -- zlib of float64 values
    PRIMARY KEY (run_id, name)
);
"""


def _v2_key_figures(db: sqlite3.Connection) -> None:
    """v2: the list's key figures as columns (no JSON read per row), and indexes for
    the list's filters."""
    _script(
        db,
        """
        ALTER TABLE runs ADD COLUMN p50 REAL NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN p99 REAL NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN errors INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN rate REAL NOT NULL DEFAULT 0;
        CREATE INDEX runs_started ON runs(started);
        CREATE INDEX runs_target ON runs(target, started);
        CREATE INDEX runs_transport ON runs(transport, started);
        """,
    )
    rows = db.execute("SELECT id, summary FROM runs").fetchall()
    for run_id, text in rows:
        figures = key_figures(json.loads(text))
        db.execute(
            "UPDATE runs SET p50=?, p99=?, sent=?, errors=?, rate=? WHERE id=?",
            (*figures, run_id),
        )


def _v3_find_max(db: sqlite3.Connection) -> None:
    """v3: a run's kind ('run' or 'find-max') and a find-max search's answer and steps."""
    from app.core.history.findmax import SCHEMA_V3

    _script(db, SCHEMA_V3)


def _v1_create(db: sqlite3.Connection) -> None:
    _script(db, SCHEMA_V1)


def _script(db: sqlite3.Connection, sql: str) -> None:
    """Statements one by one: `executescript` would commit the migration's transaction."""
    for statement in sql.split(";"):
        lines = [line.split("--")[0] for line in statement.splitlines()]
        if "".join(lines).strip():
            db.execute("\n".join(lines))


# MIGRATIONS[i] brings a database from version i to i + 1
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_create,
    _v2_key_figures,
    _v3_find_max,
)
VERSION = len(MIGRATIONS)


def key_figures(summary: dict[str, Any]) -> tuple[float, float, int, int, float]:
    """The list's p50, p99, sent, errors and rate. A video run that measured no message
    round trip lists its frames instead (frame latency, frames sent, fps out): its
    zeros read as "0 ms", which nothing measured."""
    rtt = summary.get("rtt_ms") or {}
    errors = int(summary.get("errors", 0)) + int(summary.get("error_events", 0))
    sent, rate = int(summary.get("sent", 0)), float(summary.get("rate_per_s", 0.0))
    frames = summary.get("frame_latency_ms") or {}
    if not int(rtt.get("count", 0)) and int(summary.get("frames_out") or 0):
        rtt, sent, rate = frames, int(summary["frames_out"]), float(summary.get("fps_out") or 0)
    return (float(rtt.get("p50", 0.0)), float(rtt.get("p99", 0.0)), sent, errors, rate)
