"""The run's Sample backlog: Samples leave one pass of the loop later, behind the
callbacks queued meanwhile (the due sends), in order with the run's other events; a
sink's error raises at the next emit; and a real run through the engine still
delivers every Sample before its RunFinished."""

from __future__ import annotations

import asyncio

import pytest

from app.core.engine.sample_backlog import SampleBacklog
from app.core.events import Event, Sample, StateChange


def sample(seq: int) -> Sample:
    return Sample(0, seq, "received", 0, 1, 2)


def test_samples_leave_after_the_callbacks_queued_with_them_and_keep_their_order() -> None:
    """A pass of the loop with a reply's step and then a due send's step queued: the
    reply's Samples leave after the send, not in front of it."""

    async def main() -> list[object]:
        out: list[object] = []
        backlog = SampleBacklog(lambda e: out.append(e.seq if isinstance(e, Sample) else e))
        loop = asyncio.get_running_loop()

        def reply_step() -> None:
            backlog.emit(sample(0))
            backlog.emit(sample(1))
            assert len(backlog) == 2

        loop.call_soon(reply_step)
        loop.call_soon(out.append, "send due")
        for _ in range(3):  # bounded: one more pass hands them on
            await asyncio.sleep(0)
        return out

    assert asyncio.run(main()) == ["send due", 0, 1]


def test_another_event_takes_the_queued_samples_first_and_flush_empties_the_queue() -> None:
    async def main() -> list[Event]:
        out: list[Event] = []
        backlog = SampleBacklog(out.append)
        backlog.emit(sample(0))
        backlog.emit(StateChange(0, 5, "closed"))
        backlog.emit(sample(1))
        backlog.flush()
        assert len(backlog) == 0
        return out

    out = asyncio.run(main())
    assert [type(e).__name__ for e in out] == ["Sample", "StateChange", "Sample"]


def test_a_sink_that_raises_in_the_loops_callback_raises_at_the_end_of_the_next_emit() -> None:
    """The error reaches the next caller, after that call's own event and the Samples
    queued behind the failed one were handed on: nothing is lost to it."""

    async def main() -> None:
        seen: list[object] = []

        def sink(e: Event) -> None:
            if isinstance(e, Sample) and e.seq == 1:
                raise OSError("disk full")
            seen.append(e.seq if isinstance(e, Sample) else type(e).__name__)

        backlog = SampleBacklog(sink)
        backlog.emit(sample(0))
        backlog.emit(sample(1))
        backlog.emit(sample(2))
        for _ in range(3):
            await asyncio.sleep(0)
        assert seen == [0]
        with pytest.raises(OSError, match="disk full"):
            backlog.emit(StateChange(0, 5, "closed"))
        assert seen == [0, 2, "StateChange"]
        backlog.emit(StateChange(0, 6, "closed"))  # raised once only
        assert seen == [0, 2, "StateChange", "StateChange"] and len(backlog) == 0

    asyncio.run(main())


async def test_a_real_open_loop_run_keeps_each_sessions_order_and_ends_with_every_sample(
    mock_base: str,
) -> None:
    from app.core.config import RunConfig
    from app.core.engine.run import run
    from app.core.events import RunFinished
    from app.core.targets import resolve

    events: list[Event] = []
    cfg = RunConfig(
        target=resolve("realtime", "mock/echo", base_url=mock_base),
        count=120,
        concurrency=4,
        rate=400,
    )
    await run(cfg, events.append)
    assert isinstance(events[-1], RunFinished)
    samples = [e for e in events if isinstance(e, Sample)]
    assert sorted((e.session, e.seq) for e in samples) == sorted(
        (i, q) for i in range(4) for q in range(30)
    )
    for i in range(4):  # each session: connected, its Samples in seq order, then closed
        mine = [e for e in events if getattr(e, "session", None) == i]
        kinds = [e.state if isinstance(e, StateChange) else type(e).__name__ for e in mine]
        first, closed = kinds.index("connected"), kinds.index("closed")
        seqs = [e.seq for e in mine if isinstance(e, Sample)]
        assert seqs == sorted(seqs)
        assert all(first < k < closed for k, x in enumerate(kinds) if x == "Sample")
