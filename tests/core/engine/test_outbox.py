"""Outbox: bounded, counts what it drops, and never drops the end of a run."""

from __future__ import annotations

from app.core.engine.outbox import Outbox
from app.core.events import EventsDropped, RunFinished, Sample, StateChange


def sample(seq: int) -> Sample:
    return Sample(0, seq, "received", 0, 0, 1)


def test_events_beyond_the_limit_are_counted_per_run_and_reported_once() -> None:
    box = Outbox(limit=3)
    for seq in range(5):
        box.put(1, sample(seq))
    box.put(2, StateChange(0, 0, "connecting"))
    assert box.overflowed == 3 and len(box) == 3
    batch = box.take()
    assert [e for _, e in batch[:3]] == [sample(0), sample(1), sample(2)]
    dropped = {run_id: e.count for run_id, e in batch[3:] if isinstance(e, EventsDropped)}
    assert dropped == {1: 2, 2: 1} and len(batch) == 5
    assert box.take() == []  # reported once
    assert box.overflowed == 3  # the total stays


def test_run_finished_is_never_dropped_and_follows_its_drop_count() -> None:
    box = Outbox(limit=1)
    box.put(1, sample(0))
    box.put(1, sample(1))
    box.put(1, RunFinished(5, "done"))
    batch = [e for _, e in box.take()]
    assert batch[0] == sample(0)
    assert isinstance(batch[1], EventsDropped) and batch[1].count == 1
    assert batch[2] == RunFinished(5, "done") and box.finished == 1
