"""The engine thread: runs on its own loop, hands events over in batches."""

from __future__ import annotations

import time

from app.core.config import RunConfig
from app.core.engine.thread import EngineThread
from app.core.events import ErrorEvent, RunFinished, Sample
from app.core.targets import resolve
from tests.support.engines import Drained, drain_until, open_ended, samples_of, until_finished


def _wait_finished(
    engine: EngineThread, run_id: int, timeout_s: float = 15, got: Drained | None = None
) -> list:
    return [e for _, e in until_finished(engine, {run_id}, timeout_s, got=got)]


def test_runs_and_batches(mock_base: str) -> None:
    engine = EngineThread()
    try:
        run_id = engine.submit(
            RunConfig(target=resolve("realtime", "mock/echo", base_url=mock_base), count=50)
        )
        events = _wait_finished(engine, run_id)
        assert sum(isinstance(e, Sample) and e.outcome == "received" for e in events) == 50
    finally:
        engine.close()


def test_stop_ends_a_long_run(mock_base: str) -> None:
    engine = EngineThread()
    try:
        run_id = engine.submit(open_ended(mock_base, rate=100, duration_s=60))
        running = drain_until(
            engine, lambda got: samples_of(got, run_id) > 5, what="the run's first samples"
        )
        t0 = time.monotonic()
        engine.stop(run_id)
        events = _wait_finished(engine, run_id, timeout_s=10, got=running)
        assert time.monotonic() - t0 < 5
        samples = [e for e in events if isinstance(e, Sample)]
        assert 5 < len(samples) < 1000
    finally:
        engine.close()


def test_bad_config_finishes_the_run_with_its_reason() -> None:
    engine = EngineThread()
    try:
        run_id = engine.submit(RunConfig(target=resolve("realtime", "a/b"), count=None))
        events = _wait_finished(engine, run_id)
        assert events == [
            RunFinished(events[-1].t_ns, "failed", "give a message count or a duration")
        ]
    finally:
        engine.close()


def test_controls_go_through_the_run_and_come_back_as_its_errors(mock_base: str) -> None:
    engine = EngineThread()
    try:
        run_id = engine.submit(open_ended(mock_base, "realtime", rate=50, duration_s=30))
        running = drain_until(
            engine, lambda got: samples_of(got, run_id) > 0, what="the run's first sample"
        )
        engine.send_action(run_id, "w u").result(5)
        engine.stop(run_id)
        events = _wait_finished(engine, run_id, got=running)
        errors = [e for e in events if isinstance(e, ErrorEvent)]
        assert [(e.session, e.message) for e in errors] == [
            (None, "cannot send action: realtime sessions take no actions")
        ]
        assert events[-1].reason == "stopped"
        engine.pause(run_id, True).result(5)  # after the end: answered, never raised
        late = engine.drain()
        assert [e.message for _, e in late] == ["cannot send pause: no connected realtime session"]
    finally:
        engine.close()
