"""Windows of a worker's results: msgpack-safe, and merged exactly on the master."""

from __future__ import annotations

import random

import msgpack
import pytest

from app.core.events import ErrorEvent, Sample, StateChange, Unmatched
from app.core.summary import Aggregator
from app.load import wire


def _events(seed: int, session: int, n: int) -> list:
    rng = random.Random(seed)
    out: list = [StateChange(session, 0, "connected")]
    t = 1_000_000_000
    for seq in range(n):
        t += rng.randrange(100_000, 2_000_000)
        outcome = rng.choice(["received"] * 17 + ["errored", "dropped", "timed_out"])
        rtt = int(rng.lognormvariate(14, 1))
        server = rtt // 3 if seq % 2 else None
        out.append(
            Sample(
                session,
                seq,
                outcome,
                t,
                t + rng.randrange(0, 50_000),
                t + rtt,
                20,
                30,
                server_ns=server,
                error="boom" if outcome == "errored" else "",
            )
        )
    out.append(ErrorEvent(session, t, "AppError", "boom"))
    out.append(Unmatched(session, t, {"late": 2}, 40))
    out.append(StateChange(session, t, "closed"))
    return out


def _encode_in_windows(events: list, every: int) -> list[dict]:
    """A worker: windows taken every `every` events, through msgpack as Locust sends."""
    windows, window, states = [], Aggregator("ws", "ws://x"), {}
    for i, e in enumerate(events, 1):
        window.feed(e)
        if isinstance(e, StateChange):
            states[e.session] = e.state
        if i % every == 0 or i == len(events):
            data = wire.encode(window, states, offset_ns=0)
            windows.append(msgpack.unpackb(msgpack.packb(data), strict_map_key=False))
            window, states = Aggregator("ws", "ws://x"), {}
    return windows


def test_merged_windows_of_two_workers_give_the_summary_of_one_aggregator_fed_everything() -> None:
    a, b = _events(1, 0, 700), _events(2, 0, 500)
    merged, numbers = Aggregator("ws", "ws://x"), wire.SessionNumbers()
    for worker, events in (("w1", a), ("w2", b)):
        for window in _encode_in_windows(events, every=97):
            wire.merge_into(merged, worker, window, numbers)
    one = Aggregator("ws", "ws://x")
    for e in a:
        one.feed(e)
    for e in b:  # the second worker's session is another session of the merged run
        one.feed(e.__class__(**{**{f: getattr(e, f) for f in e.__slots__}, "session": 1}))
    got, want = merged.summary(), one.summary()
    for name in (
        "sent",
        "received",
        "errors",
        "dropped",
        "timeouts",
        "error_events",
        "unmatched",
        "bytes_in",
        "bytes_out",
        "sessions",
        "duration_s",
    ):
        assert getattr(got, name) == getattr(want, name), name
    for name, block in want.latencies():
        assert got.latency(name) == block, name
    assert got.sent == got.received + got.errors + got.dropped + got.timeouts == 1200
    assert [line.state for line in got.per_session] == ["closed", "closed"]
    assert got.errors_by_message == want.errors_by_message


def test_a_window_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not an rtprobe window"):
        wire.merge_into(Aggregator(), "w", {"v": 999}, wire.SessionNumbers())
    with pytest.raises(ValueError, match="unknown histogram"):
        wire.merge_into(
            Aggregator(), "w", {"v": wire.VERSION, "hist": {"x": {}}}, wire.SessionNumbers()
        )


def test_engine_times_travel_as_wall_clock_times() -> None:
    window = Aggregator()
    window.feed(Sample(0, 0, "received", 5, 6, 9))
    data = wire.encode(window, {}, offset_ns=1_000)
    assert (data["first_ns"], data["last_ns"]) == (1_005, 1_009)
    assert wire.samples_in(data) == 1
