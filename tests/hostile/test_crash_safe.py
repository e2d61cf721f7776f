"""Crash-safe records: `kill -9` mid-run leaves a CSV with every sample until the last
second (whole rows only) and a readable `--json` checkpoint.

The run is killed with SIGKILL, so none of its clean-up runs: what is on disk is what it
had written while running.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.commands.checkpoint import Checkpoints
from app.core.events import Sample
from app.core.report import jsonfile
from app.core.report.csv import COLUMNS, CsvSampleWriter
from app.core.summary import Aggregator
from tests.hostile import procs
from tests.hostile.procs import RTPROBE, START_S
from tests.support.waiting import async_wait_until, wait_until

MS = 1_000_000
FLUSH_BOUND_S = 1.0 + 4.0  # the writer's second, plus slack for a loaded machine


@pytest.fixture
def marker() -> Iterator[str]:
    yield from procs.watched()


def _rows(path: Path) -> list[list[str]]:
    """The CSV's data rows; fails on any row that is not whole."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text:
        return []
    assert text.endswith("\n"), "the last row is cut"
    rows = list(csv.reader(text.splitlines()))
    assert tuple(rows[0]) == COLUMNS
    assert all(len(r) == len(COLUMNS) for r in rows[1:])
    return rows[1:]


def _checkpoint(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None  # a torn file would raise JSONDecodeError and fail the test


@procs.needs_proc
def test_kill_9_leaves_every_sample_and_a_readable_summary(
    marker: str, mock_base: str, tmp_path: Path
) -> None:
    samples, report = tmp_path / "run.csv", tmp_path / "run.json"
    url = mock_base.replace("http://", "ws://") + "/mock/echo/ws"
    run = procs.start(
        marker,
        [
            *RTPROBE,
            *("run", "ws", url, "--duration", "120", "--rate", "50", "--quiet"),
            *("--csv", str(samples), "--json", str(report), "--json-every", "0.3"),
        ],
    )
    # a checkpoint that has samples, then the CSV catching up with it while running
    first = wait_until(
        lambda: (c := _checkpoint(report)) and c["sent"] >= 20 and c,
        START_S,
        what="a JSON checkpoint with 20 samples",
    )
    assert first["partial"] is True and first["transport"] == "ws"
    later = wait_until(
        lambda: (c := _checkpoint(report)) and c["sent"] > first["sent"] and c,
        FLUSH_BOUND_S,
        what="a later checkpoint",
    )
    wait_until(
        lambda: len(_rows(samples)) >= later["sent"],
        FLUSH_BOUND_S,
        what=f"the CSV to hold the checkpoint's {later['sent']} samples",
    )
    procs.sigkill(run)
    assert run.returncode == -9
    rows = _rows(samples)
    summary = _checkpoint(report)
    assert summary is not None and summary["partial"] is True
    assert len(rows) >= later["sent"] and summary["sent"] >= later["sent"]
    assert all(r[2] == "received" for r in rows)
    procs.wait_gone(marker, "the killed run's processes to end")


# -- the pieces -------------------------------------------------------------------------
def _sample(seq: int) -> Sample:
    t = 1_000 * MS + seq * 10 * MS
    return Sample(0, seq, "received", t, t, t + 2 * MS)


def test_csv_rows_reach_the_file_within_a_second(tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "s.csv"
    with CsvSampleWriter(path, clock=lambda: now[0]) as w:
        w.write(_sample(0))
        assert _rows(path) == []  # held: the last flush (the header's) was just now
        now[0] = 0.5
        w.write(_sample(1))
        assert _rows(path) == []
        now[0] = 1.0
        w.write(_sample(2))  # a second since the last flush: all three, whole
        assert [r[1] for r in _rows(path)] == ["0", "1", "2"]
        now[0] = 1.2
        w.write(_sample(3))
        w.flush()  # the timer's flush, when rows stop coming
        assert len(_rows(path)) == 4
    assert len(_rows(path)) == 4


def test_csv_close_writes_what_waits(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    with CsvSampleWriter(path, flush_every_s=3600) as w:
        for seq in range(10):
            w.write(_sample(seq))
        assert _rows(path) == []
    assert len(_rows(path)) == 10


def test_json_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.json"
    agg = Aggregator(transport="ws", target="t")
    jsonfile.write_json(path, agg.summary(), partial=True)
    before = path.read_text(encoding="utf-8")
    assert json.loads(before)["partial"] is True

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt  # killed between writing the temporary file and the swap

    monkeypatch.setattr(jsonfile.os, "replace", interrupted)
    agg.feed(_sample(0))
    with pytest.raises(KeyboardInterrupt):
        jsonfile.write_json(path, agg.summary())
    assert path.read_text(encoding="utf-8") == before  # the old one, whole
    assert list(tmp_path.iterdir()) == [path]  # and no temporary file left
    monkeypatch.undo()
    jsonfile.write_json(path, agg.summary())
    final = json.loads(path.read_text(encoding="utf-8"))
    assert final["sent"] == 1 and "partial" not in final


def test_checkpoints_write_the_summary_and_flush_the_csv_while_running(tmp_path: Path) -> None:
    samples, report = tmp_path / "s.csv", tmp_path / "s.json"

    async def scenario() -> None:
        agg = Aggregator(transport="ws", target="t")
        with CsvSampleWriter(samples, flush_every_s=3600) as writer:
            keeper = Checkpoints(agg, writer, str(report), json_every_s=0.05)
            keeper.start()
            try:
                for seq in range(5):
                    agg.feed(_sample(seq))
                    writer.write(_sample(seq))
                await async_wait_until(
                    lambda: (c := _checkpoint(report)) and c["sent"] == 5,
                    FLUSH_BOUND_S,
                    what="a checkpoint of 5 samples",
                )
                # no row came after these: the keeper's timer writes them all the same
                await async_wait_until(
                    lambda: len(_rows(samples)) == 5, FLUSH_BOUND_S, what="the rows on disk"
                )
            finally:
                await keeper.stop()
            assert keeper.written >= 1

    asyncio.run(scenario())
    assert json.loads(report.read_text(encoding="utf-8"))["partial"] is True


def test_json_every_refuses_what_is_not_a_duration() -> None:
    import argparse

    from app.commands.checkpoint import checkpoint_every

    assert checkpoint_every("0") == 0.0 and checkpoint_every("2.5") == 2.5
    for bad in ("-1", "nan", "inf", "soon"):
        with pytest.raises(argparse.ArgumentTypeError):
            checkpoint_every(bad)
