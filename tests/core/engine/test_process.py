"""The GUI's engine process: same behaviour as the thread, across a process boundary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import RunConfig
from app.core.engine.process import EngineProcess
from app.core.events import RunFinished, Sample
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
