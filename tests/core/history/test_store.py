"""The history store on real files: exact round trips, filters, delete, migration, and
the one-line failures (corrupt, locked, unwritable) that never cost the run."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.core.errors import ProbeError
from app.core.history import HistoryError, HistoryStore, default_path
from app.core.history.schema import SCHEMA_V1, VERSION
from app.core.history.store import ENV_PATH
from app.core.report.jsonfile import dumps
from tests.core.history.runs import SECRET, record


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "h.sqlite3") as s:
        yield s


def test_tests_never_use_the_real_user_data_dir() -> None:
    assert os.environ.get(ENV_PATH)
    assert default_path() == Path(os.environ[ENV_PATH])


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME is the Linux data dir")
def test_without_the_variable_the_file_is_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_PATH)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # platformdirs on Linux
    assert default_path() == tmp_path / "rtprobe" / "history.sqlite3"
    monkeypatch.setenv(ENV_PATH, "  ")
    assert default_path() == tmp_path / "rtprobe" / "history.sqlite3"


def test_round_trip_is_exact(store: HistoryStore) -> None:
    run, agg = record(5000)
    run_id = store.add(run)
    for metric, original in (("rtt", agg.rtt), ("server", agg.server), ("network", agg.network)):
        loaded = store.histogram(run_id, metric)
        assert loaded.summary() == original.summary()
        for p in (1, 25, 50, 75, 90, 99, 99.9, 99.99, 100):
            assert loaded.percentile_ms(p) == original.percentile_ms(p)
        assert loaded.log_bins() == original.log_bins()
        values, counts = loaded.buckets()
        want_values, want_counts = original.buckets()
        assert np.array_equal(values, want_values) and np.array_equal(counts, want_counts)
    got = store.get(run_id)
    assert got.summary.to_json() == run.summary.to_json()
    assert dumps(got.summary) == dumps(run.summary)  # the --json report's bytes
    assert got.summary.rtt_histogram == agg.rtt.log_bins()
    assert got.metrics == ("rtt", "server", "network", "send_lag")
    assert got.state == "finished" and got.row.source == "cli"
    assert [v.expression for v in got.verdicts] == ["p99<1000ms", "errors==0"]
    assert got.passed
    assert got.settings["headers"] == {"Authorization": "", "X-Trace": "visible"}
    assert got.settings["redacted_headers"] == ["Authorization"]
    series = store.series(run_id)
    for name, values in run.series.items():
        assert np.array_equal(series[name], values), name
    assert series["sent"].sum() == 5000
    assert store.histogram(run_id, "frame").count == 0  # not measured: empty
    row = store.list()[0]
    assert row.id == run_id and row.sent == 5000 and row.errors == 0
    assert row.p99 == run.summary.rtt_ms.p99 and row.p50 == run.summary.rtt_ms.p50
    assert abs(row.started - run.started) < timedelta(milliseconds=1)


def test_failed_run_keeps_its_state_reason_and_verdicts(store: HistoryStore) -> None:
    run, _ = record(200, state="failed", errors=50, error_text="app error 500: boom")
    got = store.get(store.add(run))
    assert got.state == "failed" and got.row.reason == "ended: app error 500: boom"
    assert not got.passed
    failed = [v for v in got.verdicts if not v.passed]
    assert [v.expression for v in failed] == ["errors==0"]
    assert "errors was 50" in failed[0].detail
    assert got.row.errors == 51  # 50 errored messages + 1 error event


def test_filters_limit_and_newest_first(store: HistoryStore) -> None:
    a, _ = record(100, target="ws://a.example/echo")
    b, _ = record(100, target="ws://b.example/echo")
    c, _ = record(100, target="ws://b.example/other")
    base = datetime(2026, 1, 10, 12, tzinfo=UTC)
    ids = [
        store.add(r.__class__(**{**r.__dict__, "started": base + timedelta(days=i)}))
        for i, r in enumerate((a, b, c))
    ]
    assert [r.id for r in store.list()] == ids[::-1]
    assert [r.id for r in store.list(target="B.EXAMPLE")] == [ids[2], ids[1]]
    assert [r.id for r in store.list(target="other")] == [ids[2]]
    assert store.list(transport="sse") == []
    assert len(store.list(transport="ws")) == 3
    assert [r.id for r in store.list(since=base + timedelta(days=1))] == [ids[2], ids[1]]
    assert [r.id for r in store.list(until=base + timedelta(hours=1))] == [ids[0]]
    assert [r.id for r in store.list(limit=1)] == [ids[2]]
    assert store.ids() == ids[::-1]


def test_delete_removes_every_part(store: HistoryStore, tmp_path: Path) -> None:
    first = store.add(record(100)[0])
    second = store.add(record(100)[0])
    assert store.delete(first, 999) == 1
    assert [r.id for r in store.list()] == [second]
    with pytest.raises(KeyError):
        store.get(first)
    with pytest.raises(KeyError):
        store.histogram(first)
    with pytest.raises(KeyError):
        store.series(first)
    db = sqlite3.connect(tmp_path / "h.sqlite3")
    for table in ("histograms", "series"):
        assert (
            db.execute(f"SELECT count(*) FROM {table} WHERE run_id=?", (first,)).fetchone()[0] == 0
        )
    db.close()


def test_a_v1_database_is_migrated_with_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_V1)
    summary = {"sent": 7, "errors": 1, "error_events": 2, "rate_per_s": 3.5}
    summary |= {"rtt_ms": {"p50": 1.25, "p99": 9.5}}
    db.execute(
        "INSERT INTO runs (started, source, transport, target, state, reason, settings,"
        " summary, verdicts) VALUES (1700000000, 'cli', 'ws', 'ws://old/echo', 'finished',"
        " '', '{}', ?, '[]')",
        (json.dumps(summary),),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with HistoryStore(path) as store:
        assert store.version == VERSION == 3
        (row,) = store.list(target="old")
        assert (row.p50, row.p99, row.sent, row.errors, row.rate) == (1.25, 9.5, 7, 3, 3.5)
        assert row.started == datetime.fromtimestamp(1700000000, UTC)
        new_id = store.add(record(50)[0])
        assert store.list()[0].id == new_id
    indexes = sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='index'")
    assert {"runs_started", "runs_target", "runs_transport"} <= {r[0] for r in indexes}


def test_a_newer_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(HistoryError, match="schema version 99 is newer") as caught:
        HistoryStore(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_corrupt_file_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not sqlite at all\x00" * 200)
    with pytest.raises(HistoryError) as caught:
        HistoryStore(path)
    text = str(caught.value)
    assert isinstance(caught.value, ProbeError)
    assert str(path) in text and "not a valid rtprobe history" in text and "\n" not in text
    assert path.read_bytes().startswith(b"this is not sqlite")  # left as it was


def test_a_locked_database_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    HistoryStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = pytest.raises(HistoryError, match="locked by another process")
        with locked as caught, HistoryStore(path, busy_timeout_s=0.05) as store:
            store.add(record(50)[0])
        assert str(path) in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with HistoryStore(path) as store:  # free again: usable, nothing half written
        assert store.list() == []
        store.add(record(50)[0])
        assert len(store.list()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_directory_is_one_clear_line(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(HistoryError, match="not writable") as caught:
            HistoryStore(locked / "h.sqlite3")
        assert str(locked / "h.sqlite3") in str(caught.value)
        with pytest.raises(HistoryError, match="cannot create its directory"):
            HistoryStore(locked / "sub" / "h.sqlite3")
    finally:
        locked.chmod(0o700)


def test_a_file_in_place_of_the_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="cannot create its directory") as caught:
        HistoryStore(blocker / "h.sqlite3")
    assert str(blocker / "h.sqlite3") in str(caught.value) and "\n" not in str(caught.value)


def test_a_directory_in_place_of_the_file(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="is a directory"):
        HistoryStore(tmp_path)


def test_secrets_are_absent_from_the_raw_database_bytes(tmp_path: Path) -> None:
    path = tmp_path / "secret.sqlite3"
    echoed = f"401 unauthorized: header was 'Authorization: Key {SECRET}'"
    run, _ = record(300, state="failed", errors=10, error_text=echoed)
    assert SECRET in echoed
    with HistoryStore(path) as store:
        got = store.get(store.add(run))
    assert SECRET not in json.dumps(got.as_json())
    assert "***" in got.row.reason and any("***" in m for m in got.summary.errors_by_message)
    raw = path.read_bytes()
    journal = path.with_name(path.name + "-journal")
    if journal.exists():
        raw += journal.read_bytes()
    assert SECRET.encode() not in raw
    assert b"visible" in raw  # the non-secret header is kept: the check reads real bytes


def test_damaged_rows_are_one_line_and_the_rest_stays_readable(
    store: HistoryStore, tmp_path: Path
) -> None:
    good = store.add(record(100)[0])
    bad = store.add(record(100)[0])
    db = sqlite3.connect(tmp_path / "h.sqlite3")
    db.execute("UPDATE runs SET summary='{not json' WHERE id=?", (bad,))
    db.execute("UPDATE histograms SET counts=x'00ff' WHERE run_id=? AND metric='rtt'", (bad,))
    db.execute("UPDATE histograms SET count=count+1 WHERE run_id=? AND metric='server'", (bad,))
    db.commit()
    db.close()
    for read, says in (
        (lambda: store.get(bad), f"cannot read run {bad}: damaged data"),
        (lambda: store.histogram(bad, "rtt"), "do not decompress"),
        (lambda: store.histogram(bad, "server"), "add up to"),
    ):
        with pytest.raises(HistoryError, match=says) as caught:
            read()
        assert "\n" not in str(caught.value)
    assert [r.id for r in store.list()] == [bad, good]
    assert store.get(good).summary.sent == 100
    assert store.delete(bad) == 1


def test_a_video_run_lists_its_frames_not_zeros() -> None:
    """A WebRTC run without message round trips: the list's p50/p99/sent/rate are its
    frame latency, frames sent and fps out (they read "0" before)."""
    from app.core.history.schema import key_figures

    video = {
        "rtt_ms": {"count": 0, "p50": 0.0, "p99": 0.0},
        "sent": 0,
        "rate_per_s": 0.0,
        "errors": 0,
        "error_events": 1,
        "frames_out": 120,
        "fps_out": 30.0,
        "frame_latency_ms": {"count": 100, "p50": 75.0, "p99": 90.0},
    }
    assert key_figures(video) == (75.0, 90.0, 120, 1, 30.0)
    messages = video | {"rtt_ms": {"count": 5, "p50": 1.5, "p99": 2.0}, "sent": 5}
    assert key_figures(messages) == (1.5, 2.0, 5, 1, 0.0)  # round trips win


def test_the_mocks_reading_joins_a_stored_run(store: HistoryStore) -> None:
    """The GUI stores a run when it ends and reads the mock's /health after: the reading
    is added to that run's summary, the rest of the run untouched."""
    from app.core.health.figures import ServerHealth

    run, _ = record(200)
    run_id = store.add(run)
    before = store.get(run_id)
    assert before.summary.server_health is None
    reading = ServerHealth(4.0, 0.2, 1.5, 3.0, 41.0)
    store.set_server_health(run_id, reading)
    after = store.get(run_id)
    assert after.summary.server_health == reading
    assert after.row == before.row and after.verdicts == before.verdicts
    assert after.summary.to_json() == {**before.summary.to_json(), **{
        "server_health": after.summary.to_json()["server_health"]}}  # fmt: skip
    with pytest.raises(KeyError):
        store.set_server_health(run_id + 99, reading)
