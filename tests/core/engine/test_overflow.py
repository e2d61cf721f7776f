"""Events the consumer cannot take in time are counted, in the thread and in the engine
process's loop (driven here on a thread, with real pipes and the real mock)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import threading

import pytest

from app.core.config import RunConfig
from app.core.engine.process import Child, Unframer
from app.core.engine.thread import EngineThread
from app.core.events import Event, EventsDropped, RunFinished
from app.core.health import monitor
from app.core.targets import resolve
from tests.support.waiting import wait_until

COUNT = 20
# connecting, connected, info, closed; out, in, sample per message; the final Health
EVENTS = 5 + 3 * COUNT


@pytest.fixture(autouse=True)
def _one_health_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the final Health event: the periodic ones depend on how long the run took."""
    monkeypatch.setattr(monitor, "EVERY_S", 3600.0)


def _config(mock_base: str, blob: int = 64) -> RunConfig:
    return RunConfig(
        target=resolve("realtime", "mock/echo", base_url=mock_base),
        payload={"blob": "x" * blob},
        count=COUNT,
        record_messages=True,
    )


def _tally(events: list[Event]) -> tuple[int, int]:
    kept = sum(not isinstance(e, EventsDropped | RunFinished) for e in events)
    dropped = sum(e.count for e in events if isinstance(e, EventsDropped))
    return kept, dropped


def test_thread_counts_what_the_gui_did_not_drain(mock_base: str) -> None:
    engine = EngineThread(max_queued=10)
    try:
        engine.submit(_config(mock_base))
        wait_until(
            lambda: engine._outbox.finished == 1, 20, what="the run to end"
        )  # the run ended, nothing drained yet
        events = [e for _, e in engine.drain()]
        kept, dropped = _tally(events)
        assert kept == 10 and dropped == engine.overflowed == EVENTS - 10
        assert isinstance(events[-1], RunFinished) and events[-1].reason == "done"
    finally:
        engine.close()


def test_process_loop_counts_what_the_pipe_could_not_take(mock_base: str) -> None:
    commands_in, commands_out = multiprocessing.Pipe(duplex=False)
    events_in, events_out = multiprocessing.Pipe(duplex=False)
    child = Child(commands_in, events_out, max_queued=5)
    thread = threading.Thread(target=lambda: asyncio.run(child.serve()), daemon=True)
    thread.start()
    try:
        # big frames: the pipe fills after a few, and nobody reads it until the run ended
        commands_out.send(("submit", 7, _config(mock_base, blob=40_000)))
        wait_until(lambda: child.outbox.finished == 1, 20, what="the run to end")
        assert child.outbox.overflowed > 0
        unframer, got = Unframer(), []

        def read_to_the_end() -> bool:
            if select.select([events_in], [], [], 0.1)[0]:
                for batch in unframer.feed(os.read(events_in.fileno(), 1 << 16)):
                    got.extend(batch if isinstance(batch, list) else [])
            return any(isinstance(e, RunFinished) for _, e in got)

        wait_until(read_to_the_end, 20, what="RunFinished through the pipe", interval_s=0)
        assert {run_id for run_id, _ in got} == {7}
        kept, dropped = _tally([e for _, e in got])
        assert dropped == child.outbox.overflowed and kept + dropped == EVENTS
    finally:
        commands_out.send(("close",))
        thread.join(10)
    assert not thread.is_alive()


def test_the_bound_is_read_when_the_engine_starts(monkeypatch) -> None:
    import app.core.engine.thread as engine_thread

    monkeypatch.setattr(engine_thread, "MAX_QUEUED", 3)  # a GUI that falls far behind
    engine = EngineThread()
    try:
        assert engine._outbox.limit == 3
    finally:
        engine.close()
