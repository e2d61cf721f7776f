"""The GUI's engine process: same behaviour as the thread, across a process boundary."""

from __future__ import annotations

import time

from app.core.engine.config import RunConfig
from app.core.engine.process import EngineProcess
from app.core.events import RunFinished, Sample
from app.core.targets import resolve
from tests.integration.engines import until_finished


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
        b = engine.submit(
            RunConfig(
                target=resolve("ws", "mock/echo/ws", base_url=mock_base),
                count=None,
                duration_s=30,
                rate=50,
            )
        )
        time.sleep(0.5)
        engine.stop(b)
        events = until_finished(engine, {a, b})
        received_a = [e for r, e in events if r == a and isinstance(e, Sample)]
        assert len(received_a) == 30 and all(s.outcome == "received" for s in received_a)
        assert any(r == b and isinstance(e, Sample) for r, e in events)
    finally:
        engine.close()


def test_dead_engine_finishes_open_runs_with_an_error(mock_base: str) -> None:
    engine = EngineProcess()
    run_id = engine.submit(
        RunConfig(
            target=resolve("ws", "mock/echo/ws", base_url=mock_base),
            count=None,
            duration_s=60,
            rate=10,
        )
    )
    time.sleep(0.3)
    engine._proc.kill()
    engine._proc.join(5)
    events = until_finished(engine, {run_id})
    finished = events[-1][1]
    assert isinstance(finished, RunFinished) and finished.reason == "failed"
    assert finished.error == "the engine process ended unexpectedly"
    engine.close()
