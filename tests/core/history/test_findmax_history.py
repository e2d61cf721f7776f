"""`run --find-max` searches in the history: schema v3 migrates an old file (its runs
stay, of kind "run"), a search round-trips with every step, lists as find-max, and
delete removes its steps."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from app.core.findmax import Limits, Result, Step
from app.core.history import HistoryStore
from app.core.history.findmax import steps_table
from app.core.history.schema import MIGRATIONS, VERSION
from tests.core.history.runs import record

RESULT = Result(
    best_rate=400.0,
    stopped_by="client saturated",
    steps=(
        Step(200.0, 199.5, 1.2, 4.5, send_lag_p99_ms=0.4, client_lag_p99_ms=1.1),
        Step(400.0, 398.0, 1.4, 6.0, send_lag_p99_ms=0.9, client_lag_p99_ms=2.0),
        Step(
            800.0, 610.0, 9.0, 80.0, failed=3, client_saturated=True,
            client_lag_p99_ms=31.5, send_lag_p99_ms=25.0, failure="client saturated",
        ),
        Step(600.0, 590.0, 3.0, 40.0, server_saturated=True, phase="bisect",
             failure="server (mock) saturated"),
    ),
    limits=Limits(p99_ms=50.0, start_rate=200.0, max_steps=4, min_rate=4.0),
)  # fmt: skip


def _v2_file(path: Path) -> None:
    """A history as rtprobe wrote it before find-max runs were stored (schema v2)."""
    db = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:2]:
        step(db)
    summary = record(20)[0].summary.to_json()
    db.execute(
        "INSERT INTO runs (started, source, transport, target, state, reason, settings,"
        " summary, verdicts) VALUES (1700000000, 'cli', 'ws', 'ws://old/echo', 'finished',"
        " '', '{}', ?, '[]')",
        (json.dumps(summary),),
    )
    db.execute("PRAGMA user_version = 2")
    db.close()


def test_a_v2_file_migrates_and_then_stores_a_search(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    _v2_file(path)
    with HistoryStore(path) as store:
        assert store.version == VERSION == 3
        (old,) = store.list()
        assert old.kind == "run" and store.get(old.id).find_max is None
        assert "find_max" not in store.get(old.id).as_json()
        new_id = store.add(replace(record(50)[0], find_max=RESULT))
        rows = {r.id: r for r in store.list()}
        assert rows[new_id].kind == "find-max" and rows[old.id].kind == "run"
        stored = store.get(new_id)
    assert stored.find_max == RESULT  # every step exactly, phases and verdicts included
    data = stored.as_json()
    assert data["kind"] == "find-max"
    assert data["find_max"]["best_rate_per_s"] == 400.0
    assert [s["rate"] for s in data["find_max"]["steps"]] == [200.0, 400.0, 800.0, 600.0]
    assert data["find_max"]["steps"][2]["send_lag_p99_ms"] == 25.0


def test_delete_removes_the_search_and_its_steps(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as store:
        run_id = store.add(replace(record(50)[0], find_max=RESULT))
        assert store.delete(run_id) == 1
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM find_max_steps").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM find_max").fetchone() == (0,)
    db.close()


def test_the_knee_table_has_a_line_per_step_and_the_answer() -> None:
    lines = steps_table(RESULT)
    assert lines[0].startswith("find-max: highest sustainable rate 400.0 msg/s (p99 6.000 ms")
    assert "; stopped by: client saturated" in lines[0]
    assert len(lines) == 2 + len(RESULT.steps)
    assert "800.0" in lines[4] and "client saturated" in lines[4] and "25.00" in lines[4]
    assert lines[3].rstrip().endswith("pass")
