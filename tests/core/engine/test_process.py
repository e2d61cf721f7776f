"""The GUI's engine process: same behaviour as the thread, across a process boundary."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import RunConfig
from app.core.engine.process import PIPE_BYTES, EngineProcess, Unframer, frame
from app.core.events import (
    ErrorEvent,
    EventsDropped,
    FrameSample,
    Message,
    RunFinished,
    Sample,
    StateChange,
    StatsSnapshot,
    Unmatched,
    VideoFrame,
)
from app.core.targets import resolve
from tests.support.engines import drain_until, open_ended, samples_of, until_finished


def test_runs_in_a_child_process(mock_base: str) -> None:
    engine = EngineProcess()
    try:
        a = engine.submit(
            RunConfig(
                target=resolve("realtime", "mock/echo", base_url=mock_base),
                count=30,
                record_messages=True,
            )
        )
        b = engine.submit(open_ended(mock_base, rate=50, duration_s=30))
        running = drain_until(engine, lambda got: samples_of(got, b) > 0, what="run b's samples")
        engine.stop(b)
        events = until_finished(engine, {a, b}, got=running)
        received_a = [e for r, e in events if r == a and isinstance(e, Sample)]
        assert len(received_a) == 30 and all(s.outcome == "received" for s in received_a)
        assert any(r == b and isinstance(e, Sample) for r, e in events)
    finally:
        engine.close()


def test_spawned_without_waiting_it_takes_runs_sent_before_it_is_ready(mock_base: str) -> None:
    """`wait=False` (the GUI, after its first paint): the constructor returns at once,
    a run submitted meanwhile waits in the pipe, and `ready` turns True on a drain."""
    engine = EngineProcess(wait=False)
    try:
        run_id = engine.submit(
            RunConfig(target=resolve("realtime", "mock/echo", base_url=mock_base), count=5)
        )
        events = until_finished(engine, {run_id})
        assert engine.ready
        assert sum(isinstance(e, Sample) for _, e in events) == 5
    finally:
        engine.close()


def test_an_engine_that_never_started_fails_its_runs_saying_so(mock_base: str) -> None:
    engine = EngineProcess(wait=False)
    try:
        run_id = engine.submit(open_ended(mock_base, rate=10, duration_s=60))
        engine._proc.kill()  # long before a fresh interpreter could say "ready"
        engine._proc.join(5)
        events = until_finished(engine, {run_id})
        finished = events[-1][1]
        assert isinstance(finished, RunFinished) and finished.reason == "failed"
        assert finished.error == "the engine process did not start"
        assert not engine.ready
    finally:
        engine.close()


def test_dead_engine_finishes_open_runs_with_an_error(mock_base: str) -> None:
    engine = EngineProcess()
    try:
        run_id = engine.submit(open_ended(mock_base, rate=10, duration_s=60))
        running = drain_until(engine, lambda got: samples_of(got, run_id) > 0, what="samples")
        engine._proc.kill()
        engine._proc.join(5)
        events = until_finished(engine, {run_id}, got=running)
        finished = events[-1][1]
        assert isinstance(finished, RunFinished) and finished.reason == "failed"
        assert finished.error == "the engine process ended unexpectedly"
    finally:
        engine.close()


def _threads(pid: int | str) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_the_child_runs_its_loop_on_its_main_thread_alone() -> None:
    # native libraries start threads of their own (OpenBLAS, for numpy): count those
    # in a bare interpreter with the same imports, and expect nothing more
    code = "import os, app.core.engine.process; print(len(os.listdir('/proc/self/task')))"
    bare = int(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    )
    engine = EngineProcess()
    try:
        assert engine._proc.pid is not None
        assert _threads(engine._proc.pid) == bare
    finally:
        engine.close()


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="Linux pipes only")
def test_the_events_pipe_holds_a_megabyte() -> None:
    """The child writes at most one pipe-full between two drains of the GUI: 64 KiB at
    30 Hz (~2 MB/s) held a WebRTC run's thumbnails (~7 MB/s) and every other run's
    events back for seconds (tests/gui/test_panel_clock.py)."""
    engine = EngineProcess()
    try:
        assert fcntl.fcntl(engine._fd, fcntl.F_GETPIPE_SZ) >= min(PIPE_BYTES, _pipe_max())
    finally:
        engine.close()


def _pipe_max() -> int:
    return int(Path("/proc/sys/fs/pipe-max-size").read_text())


def test_every_kind_of_event_crosses_the_pipe_whole() -> None:
    """Events are pickled by position (cheaper than the dataclass default): each kind,
    with its optional and container fields set, comes back equal, of its own class."""
    events = [
        Sample(1, 2, "received", 3, 4, 5, 6, 7, server_ns=8, warmup=True, first_ns=9, events=2),
        Message(1, "in", 2, "output", 6, {"n": 1, "blob": b"\x81\xa1n\x01"}, seq=3),
        Unmatched(1, 2, {"late": 3}, bytes_in=4),
        StateChange(1, 2, "connected"),
        ErrorEvent(1, 2, "ProbeError", "boom"),
        FrameSample(1, "in", 2, frame_id=4, latency_ns=5, hold_ns=6, width=7, height=8),
        StatsSnapshot(1, 2, {"rtt_ms": 1.5, "nested": {"a": [1, 2]}}),
        VideoFrame(1, "out", 2, 3, 4, b"rgb", frame_id=5, source_width=6, source_height=7),
        RunFinished(1, "failed", "bad target"),
        EventsDropped(1, 2),
    ]
    batch = [(i, e) for i, e in enumerate(events)]
    data = frame(batch)
    unframer = Unframer()
    assert unframer.feed(data[:7]) == []  # a frame may come in pieces
    (back,) = unframer.feed(data[7:])
    assert back == batch
    assert [type(e) for _, e in back] == [type(e) for e in events]
