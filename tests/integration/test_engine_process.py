"""The GUI's engine process: same behaviour as the thread, across a process boundary."""

from __future__ import annotations

from app.core.engine.config import RunConfig
from app.core.engine.process import EngineProcess
from app.core.events import ErrorEvent, Sample
from app.core.targets import resolve
from tests.integration.engines import drain_until, samples_of, until_finished


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
        run_id = engine.submit(
            RunConfig(
                target=resolve("ws", "mock/echo/ws", base_url=mock_base),
                count=None,
                duration_s=60,
                rate=10,
            )
        )
        running = drain_until(engine, lambda got: samples_of(got, run_id) > 0, what="samples")
        engine._proc.kill()
        engine._proc.join(5)
        events = until_finished(engine, {run_id}, got=running)
        errors = [e for _, e in events if isinstance(e, ErrorEvent)]
        assert errors[-1].message == "the engine process ended unexpectedly"
    finally:
        engine.close()
