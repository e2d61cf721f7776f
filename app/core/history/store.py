"""The run history: one SQLite file (stdlib `sqlite3`) under the user's data directory.

Where: an explicit path, else `$RTPROBE_HISTORY`, else `platformdirs.user_data_dir
("rtprobe")/history.sqlite3`. The schema is versioned with `PRAGMA user_version`;
opening a file of an older version runs the steps in `MIGRATIONS` from its version
up, in one transaction, so a file is never half migrated.

Failure is one line: a file that is not a database, one another process holds locked
(a short busy timeout, then give up), a directory that cannot be written all raise
`HistoryError` naming the file and what was wrong. Callers (`rtprobe run`, the GUI)
treat it as a warning: the run itself and its reports never depend on the history.
"""

from __future__ import annotations

import builtins
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import ProbeError
from app.core.findmax import Result
from app.core.health.figures import ServerHealth
from app.core.history import findmax
from app.core.history.codec import (
    CodecError,
    histogram_bytes,
    histogram_from,
    histogram_state,
    series_bytes,
    series_from,
)
from app.core.history.record import NewRun, Verdict
from app.core.history.schema import MIGRATIONS, VERSION, key_figures
from app.core.metrics import LatencyHistogram
from app.core.report.model import Summary

ENV_PATH = "RTPROBE_HISTORY"
FILE_NAME = "history.sqlite3"
BUSY_TIMEOUT_S = 0.5  # a database another process holds longer is reported, not waited on


class HistoryError(ProbeError):
    """The history file could not be used; `str()` names the file and why, in one line."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"run history {str(path)!r}: {problem}")


def default_path() -> Path:
    """`$RTPROBE_HISTORY`, else the history file in the user's data directory."""
    env = os.environ.get(ENV_PATH, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rtprobe", appauthor=False)) / FILE_NAME


# -- rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    """One line of the list: enough to choose a run without reading it."""

    id: int
    started: datetime  # aware, UTC
    source: str
    transport: str
    target: str
    state: str
    reason: str
    p50: float  # round trip, ms
    p99: float
    sent: int
    errors: int  # errored messages + error events
    rate: float  # messages sent per second
    kind: str = findmax.KIND_RUN  # or findmax.KIND_FIND_MAX: a `run --find-max` search

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "started": self.started.isoformat(),
            "source": self.source,
            "transport": self.transport,
            "target": self.target,
            "state": self.state,
            "reason": self.reason,
            "p50_ms": self.p50,
            "p99_ms": self.p99,
            "sent": self.sent,
            "errors": self.errors,
            "rate_per_s": self.rate,
        }


@dataclass(frozen=True)
class StoredRun:
    """Everything stored of one run but its histograms and series (read those apart)."""

    row: RunRow
    settings: dict[str, Any]
    summary: Summary
    verdicts: tuple[Verdict, ...]
    metrics: tuple[str, ...] = ()  # histograms stored, e.g. ("rtt", "server", "network")
    series_names: tuple[str, ...] = field(default=())
    find_max: Result | None = None  # the search's answer and steps, for a find-max run

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def state(self) -> str:
        return self.row.state

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.row.as_json(),
            "settings": self.settings,
            "summary": self.summary.to_json(),
            "verdicts": [
                {"expression": v.expression, "passed": v.passed, "detail": v.detail}
                for v in self.verdicts
            ],
            "metrics": list(self.metrics),
            "series": list(self.series_names),
            **({} if self.find_max is None else _find_max_json(self.find_max)),
        }


def _find_max_json(result: Result) -> dict[str, Any]:
    from app.core.report.knee import result_json

    return result_json(result)


_ROW_COLUMNS = (
    "id, started, source, transport, target, state, reason, p50, p99, sent, errors, rate, kind"
)


def _row(values: Sequence[Any]) -> RunRow:
    (run_id, started, source, transport, target, state, reason, p50, p99, sent, errors, rate) = (
        values[:12]
    )
    return RunRow(
        int(run_id),
        datetime.fromtimestamp(float(started), UTC),
        source,
        transport,
        target,
        state,
        reason,
        float(p50),
        float(p99),
        int(sent),
        int(errors),
        float(rate),
        str(values[12]),
    )


def _timestamp(when: datetime) -> float:
    """Naive datetimes are local time, as a user types them."""
    return when.timestamp() if when.tzinfo is not None else when.astimezone().timestamp()


# -- the store ---------------------------------------------------------------------------


class HistoryStore:
    """The history file, opened (created, migrated) at construction.

    Every method raises `HistoryError` (one line) for anything the database refuses;
    a `KeyError` for a run id that is not there. Safe to share between threads.
    """

    def __init__(self, path: Path | str | None = None, *, busy_timeout_s: float = BUSY_TIMEOUT_S):
        self.path = Path(path).expanduser() if path is not None else default_path()
        self._lock = threading.Lock()
        self._db = self._open(busy_timeout_s)
        try:
            with self._errors("cannot read its schema"):
                self._migrate()
        except BaseException:
            self._db.close()
            raise

    def _open(self, busy_timeout_s: float) -> sqlite3.Connection:
        parent = self.path.parent
        if self.path.is_dir():
            raise HistoryError(self.path, "is a directory, not a database file")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(
                self.path, f"cannot create its directory: {exc.strerror or exc}"
            ) from None
        if not self.path.exists() and not os.access(parent, os.W_OK):
            raise HistoryError(self.path, f"the directory {str(parent)!r} is not writable")
        try:
            db = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise HistoryError(self.path, _why(exc)) from None
        return db

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise HistoryError(self.path, f"{doing}: {_why(exc)}") from None
        except (CodecError, ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], int):
                raise  # a run id that is not there: the caller's to report
            raise HistoryError(self.path, f"{doing}: damaged data ({exc})") from None

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        with self._lock, self._errors(doing):
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > VERSION:
            raise HistoryError(
                self.path,
                f"schema version {version} is newer than this rtprobe's ({VERSION}); "
                "upgrade rtprobe or use another file (--history / $RTPROBE_HISTORY)",
            )
        if version == VERSION:
            return
        with self._transaction("cannot migrate it") as db:
            for step in MIGRATIONS[version:]:
                step(db)
            db.execute(f"PRAGMA user_version = {VERSION}")

    @property
    def version(self) -> int:
        with self._lock, self._errors("cannot read its schema version"):
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- writing -----------------------------------------------------------------------
    def add(self, run: NewRun) -> int:
        """Store `run`; its id."""
        summary = run.summary.to_json()
        figures = key_figures(summary)
        verdicts = [
            {"expression": v.expression, "passed": v.passed, "detail": v.detail}
            for v in run.verdicts
        ]
        with self._transaction("cannot store the run") as db:
            cur = db.execute(
                "INSERT INTO runs (started, source, transport, target, state, reason, settings,"
                " summary, verdicts, p50, p99, sent, errors, rate, kind)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.started.timestamp(),
                    run.source,
                    run.transport,
                    run.target,
                    run.state,
                    run.reason,
                    _dumps(run.settings),
                    _dumps(summary),
                    _dumps(verdicts),
                    *figures,
                    run.kind,
                ),
            )
            run_id = int(cur.lastrowid or 0)
            if run.find_max is not None:
                findmax.write(db, run_id, run.find_max)
            for metric, h in run.histograms.items():
                db.execute(
                    "INSERT INTO histograms VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, metric, *histogram_state(h), histogram_bytes(h)),
                )
            for name, values in run.series.items():
                db.execute(
                    "INSERT INTO series VALUES (?, ?, ?)", (run_id, name, series_bytes(values))
                )
        return run_id

    def set_server_health(self, run_id: int, reading: ServerHealth) -> None:
        """Add the mock's reading to a stored run's summary: the GUI reads the mock's
        `/health` after a run ended, when the run is already stored. KeyError if absent."""
        with self._transaction(f"cannot update run {run_id}") as db:
            found = db.execute("SELECT summary FROM runs WHERE id=?", (run_id,)).fetchone()
            if found is None:
                raise KeyError(run_id)
            summary = Summary.from_json(json.loads(found[0]))
            amended = replace(summary, server_health=reading).to_json()
            db.execute("UPDATE runs SET summary=? WHERE id=?", (_dumps(amended), run_id))

    def delete(self, *ids: int) -> int:
        """Remove these runs; how many were there."""
        removed = 0
        with self._transaction("cannot delete runs") as db:
            for run_id in ids:
                db.execute("DELETE FROM histograms WHERE run_id=?", (run_id,))
                db.execute("DELETE FROM series WHERE run_id=?", (run_id,))
                findmax.delete(db, run_id)
                removed += db.execute("DELETE FROM runs WHERE id=?", (run_id,)).rowcount
        return removed

    # -- reading -----------------------------------------------------------------------
    def list(
        self,
        *,
        target: str | None = None,
        transport: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[RunRow]:
        """Runs newest first. `target` matches a part of the target (case-insensitive);
        `since`/`until` bound the start time (naive datetimes are local time)."""
        where: list[str] = []
        params: list[Any] = []
        if target:
            where.append("instr(lower(target), lower(?)) > 0")
            params.append(target)
        if transport:
            where.append("transport = ?")
            params.append(transport)
        if since is not None:
            where.append("started >= ?")
            params.append(_timestamp(since))
        if until is not None:
            where.append("started <= ?")
            params.append(_timestamp(until))
        sql = f"SELECT {_ROW_COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        with self._lock, self._errors("cannot list runs"):
            return [_row(r) for r in self._db.execute(sql, params).fetchall()]

    def ids(self) -> builtins.list[int]:
        """Every run id, newest run first (for `last`, `last~1`)."""
        with self._lock, self._errors("cannot list runs"):
            rows = self._db.execute("SELECT id FROM runs ORDER BY started DESC, id DESC")
            return [int(r[0]) for r in rows.fetchall()]

    def get(self, run_id: int) -> StoredRun:
        """Everything of run `run_id` but its histograms and series; KeyError if absent."""
        with self._lock, self._errors(f"cannot read run {run_id}"):
            db = self._db
            found = db.execute(
                f"SELECT {_ROW_COLUMNS}, settings, summary, verdicts FROM runs WHERE id=?",
                (run_id,),
            ).fetchone()
            if found is None:
                raise KeyError(run_id)
            metrics = tuple(
                r[0]
                for r in db.execute(
                    "SELECT metric FROM histograms WHERE run_id=? ORDER BY rowid", (run_id,)
                )
            )
            names = tuple(
                r[0]
                for r in db.execute(
                    "SELECT name FROM series WHERE run_id=? ORDER BY rowid", (run_id,)
                )
            )
            settings, summary_text, verdicts_text = found[-3:]
            summary = Summary.from_json(json.loads(summary_text))
            verdicts = tuple(
                Verdict(str(v["expression"]), bool(v["passed"]), str(v.get("detail", "")))
                for v in json.loads(verdicts_text)
            )
            row = _row(found[:-3])
            settings_obj = json.loads(settings)
            searched = findmax.read(db, run_id)
        if "rtt" in metrics:  # the plots' bins, as the run itself had them
            summary = replace(summary, rtt_histogram=self.histogram(run_id, "rtt").log_bins())
        if "frame" in metrics and summary.frames is not None:
            bins = self.histogram(run_id, "frame").log_bins()
            summary = replace(summary, frames=replace(summary.frames, latency_histogram=bins))
        return StoredRun(row, settings_obj, summary, verdicts, metrics, names, searched)

    def histogram(self, run_id: int, metric: str = "rtt") -> LatencyHistogram:
        """The run's HDR histogram of `metric` (see `METRICS`), exact; an empty one when
        the run measured none of it; KeyError when there is no such run."""
        with self._lock, self._errors(f"cannot read run {run_id}'s {metric} histogram"):
            found = self._db.execute(
                "SELECT count, sum_us, min_us, max_us, clamped, counts FROM histograms"
                " WHERE run_id=? AND metric=?",
                (run_id, metric),
            ).fetchone()
            if found is None:
                if self._db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is None:
                    raise KeyError(run_id)
                return LatencyHistogram()
            count, sum_us, min_us, max_us, clamped, data = found
            return histogram_from(bytes(data), count, sum_us, min_us, max_us, clamped)

    def series(self, run_id: int) -> dict[str, np.ndarray]:
        """The run's per-second series (`Timeline.per_second()` keys: "t_s", "sent", …);
        empty when none were stored; KeyError when there is no such run."""
        with self._lock, self._errors(f"cannot read run {run_id}'s series"):
            if self._db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is None:
                raise KeyError(run_id)
            rows = self._db.execute(
                "SELECT name, data FROM series WHERE run_id=? ORDER BY rowid", (run_id,)
            ).fetchall()
            return {name: series_from(bytes(data)) for name, data in rows}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _why(exc: sqlite3.Error) -> str:
    """sqlite's message in words a user acts on."""
    text = str(exc)
    low = text.lower()
    if "locked" in low or "busy" in low:
        return "the database is locked by another process (try again when it is done)"
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return f"the file is not a valid rtprobe history ({text}); move it away to start a new one"
    if "readonly" in low or "read-only" in low:
        return "the file is read-only"
    if "unable to open" in low:
        return "cannot open the file (is its directory writable?)"
    return text
