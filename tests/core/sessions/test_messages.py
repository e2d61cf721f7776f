"""The real message session against an in-memory client: matching, accounting,
reconnects and stop, with no socket (real sockets: tests/core/engine, tests/core/transports)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from app.core.config import RunConfig
from app.core.errors import AuthError, ConnectError, ProbeError, TargetError
from app.core.events import ErrorEvent, Event, Sample, StateChange, Unmatched, now_ns
from app.core.report.model import Summary
from app.core.sessions.messages import MessageSession
from app.core.summary import Aggregator
from app.core.targets import resolve
from app.core.transports.base import Reply
from tests.core.sessions.memory import (
    CLOSE,
    Item,
    Later,
    MemoryServer,
    app_error,
    garbage,
    reply,
)
from tests.support.sessions import RECONNECTED_ONCE, states

pytestmark = pytest.mark.timeout(20)


def config(**kw: Any) -> RunConfig:
    kw.setdefault("count", 5)
    return RunConfig(target=resolve("realtime", "a/b"), payload={"k": 1}, **kw)


async def drive(
    server: MemoryServer,
    cfg: RunConfig,
    on_event: Callable[[Event, asyncio.Event], None] | None = None,
) -> tuple[list[Event], MessageSession]:
    events: list[Event] = []
    stop = asyncio.Event()

    def emit(event: Event) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event, stop)

    session = MessageSession(0, cfg, emit, stop, server.connect)
    await asyncio.wait_for(session.run(), 10)
    return events, session


def samples(events: list[Event]) -> list[Sample]:
    return [e for e in events if isinstance(e, Sample)]


def outcomes(events: list[Event]) -> dict[int, str]:
    return {s.seq: s.outcome for s in samples(events)}


def check_accounting(events: list[Event], server: MemoryServer) -> None:
    """Every frame that went out has exactly one fate, and nothing else has one."""
    sent = [seq for c in server.connections for seq in c.sent]
    fates = [s.seq for s in samples(events)]
    assert sorted(fates) == sorted(sent) and len(set(fates)) == len(fates)
    tally = Counter(s.outcome for s in samples(events))
    assert len(sent) == (
        tally["received"] + tally["errored"] + tally["dropped"] + tally["timed_out"]
    )


def summary_of(events: list[Event]) -> Summary:
    agg = Aggregator(transport="realtime", target="memory")
    for event in events:
        agg.feed(event)
    return agg.summary()


def unmatched_of(events: list[Event]) -> tuple[dict[str, int], int]:
    """The Unmatched events' reasons and bytes, summed."""
    reasons: Counter[str] = Counter()
    size = 0
    for e in events:
        if isinstance(e, Unmatched):
            assert all(e.reasons.values())  # only the reasons that occurred
            reasons.update(e.reasons)
            size += e.bytes_in
    return dict(reasons), size


async def test_in_order_replies_are_matched_by_id() -> None:
    server = MemoryServer()
    events, session = await drive(server, config())
    assert outcomes(events) == dict.fromkeys(range(5), "received")
    assert states(events) == ["connecting", "connected", "closed"]
    assert session.matcher.unmatched == 0
    check_accounting(events, server)


def _out_of_order(seq: int) -> list[Item]:
    if seq == 1:
        return []  # answered only after 2
    if seq == 2:
        return [reply(2), reply(1)]
    return [reply(seq)]


async def test_out_of_order_reply_proves_a_drop_when_the_app_answers_in_order() -> None:
    server = MemoryServer(_out_of_order)
    events, session = await drive(server, config(count=4, rate=2000, ordered=True))
    assert outcomes(events) == {0: "received", 1: "dropped", 2: "received", 3: "received"}
    assert session.matcher.unmatched == 1  # the late reply for 1 matches nothing
    check_accounting(events, server)


async def test_out_of_order_replies_all_count_when_order_is_not_promised() -> None:
    server = MemoryServer(_out_of_order)
    events, session = await drive(server, config(count=4, rate=2000, ordered=False))
    assert outcomes(events) == dict.fromkeys(range(4), "received")
    assert session.matcher.unmatched == 0
    check_accounting(events, server)


async def test_duplicates_count_once() -> None:
    server = MemoryServer(lambda seq: [reply(seq), reply(seq, size=11)])
    events, session = await drive(server, config(count=4, rate=2000))
    assert outcomes(events) == dict.fromkeys(range(4), "received")
    assert session.matcher.unmatched == 4
    assert unmatched_of(events) == ({"duplicate": 4}, 44)
    assert {s.bytes_in for s in samples(events)} == {10}  # the first copy is the reply
    s = summary_of(events)
    assert (s.unmatched, s.unmatched_by_reason["duplicate"], s.bytes_in) == (4, 4, 84)
    check_accounting(events, server)


def _flood(seq: int) -> list[Item]:
    """Input 0 is echoed (so the app is known to echo ids); after that two id-less
    frames of 999 bytes arrive before each reply."""
    return [reply(seq)] if seq == 0 else [reply(None, 999), reply(None, 999), reply(seq)]


@pytest.mark.parametrize("rate", [None, 2000])
async def test_a_flood_of_unsolicited_frames_is_counted_never_matched(rate: float) -> None:
    server = MemoryServer(_flood)
    events, session = await drive(server, config(count=6, rate=rate))
    assert outcomes(events) == dict.fromkeys(range(6), "received")
    assert {s.bytes_in for s in samples(events)} == {10}  # no flood frame took a reply's place
    assert unmatched_of(events) == ({"unsolicited": 10}, 9990)
    assert session.matcher.echoes_ids and session.matcher.unmatched == 10
    s = summary_of(events)
    assert (s.received, s.unmatched, s.bytes_in) == (6, 10, 60 + 9990)
    assert s.sent == s.received + s.errors + s.dropped + s.timeouts
    assert s.flood_warning() is not None  # more frames nobody asked for than replies
    check_accounting(events, server)


async def test_late_and_unknown_replies_are_unmatched() -> None:
    def rule(seq: int) -> list[Item]:
        if seq == 0:
            return [Later(0.3, reply(0))]  # long after its timeout
        return [reply(seq), reply(seq + 1000)] if seq % 2 else [reply(seq)]

    server = MemoryServer(rule)
    events, _ = await drive(server, config(count=10, rate=20, timeout_s=0.05, ordered=False))
    assert outcomes(events) == {0: "timed_out", **dict.fromkeys(range(1, 10), "received")}
    assert unmatched_of(events) == ({"late": 1, "unknown": 5}, 60)
    assert summary_of(events).flood_warning() is None
    check_accounting(events, server)


async def test_a_garbage_reply_errors_the_oldest_input_at_once() -> None:
    server = MemoryServer(lambda seq: [garbage()] if seq == 1 else [reply(seq)])
    events, _ = await drive(server, config(count=3, timeout_s=5))
    assert outcomes(events) == {0: "received", 1: "errored", 2: "received"}
    bad = samples(events)[1]
    assert bad.done_ns - bad.sent_ns < 1e9  # not waiting out --timeout
    assert bad.error.startswith("server sent a binary frame that is not msgpack")
    assert bad.bytes_in == 7
    assert [e.kind for e in events if isinstance(e, ErrorEvent)] == ["ProtocolError"]
    assert summary_of(events).bytes_in == 27
    check_accounting(events, server)


async def test_frames_that_are_no_reply_still_count_in_bytes_in() -> None:
    notice = Reply("x-fal-message", 30, {"timing": 0.5})
    server = MemoryServer(lambda seq: [notice, reply(seq)])
    events, _ = await drive(server, config(count=3))
    s = summary_of(events)
    assert (s.received, s.unmatched, s.bytes_in) == (3, 0, 3 * 40)
    check_accounting(events, server)


async def test_replies_without_an_id_match_first_in_first_out() -> None:
    server = MemoryServer(lambda seq: [reply(None)])
    events, _ = await drive(server, config(count=3))
    assert outcomes(events) == dict.fromkeys(range(3), "received")
    check_accounting(events, server)


async def test_drops_are_detected_and_a_trailing_one_times_out() -> None:
    server = MemoryServer(lambda seq: [] if seq % 3 == 1 else [reply(seq)])
    events, _ = await drive(server, config(count=5, rate=2000, timeout_s=0.2))
    assert outcomes(events) == {
        0: "received",
        1: "dropped",
        2: "received",
        3: "received",
        4: "timed_out",
    }
    check_accounting(events, server)


async def test_no_reply_in_closed_loop_times_out_each() -> None:
    server = MemoryServer(lambda seq: [])
    events, _ = await drive(server, config(count=2, timeout_s=0.05))
    assert outcomes(events) == {0: "timed_out", 1: "timed_out"}
    assert all(s.error == "no reply within 0.05 s" for s in samples(events))
    check_accounting(events, server)


async def test_app_errors_answer_the_oldest_input() -> None:
    server = MemoryServer(lambda seq: [app_error()] if seq == 2 else [reply(seq)])
    events, _ = await drive(server, config(count=4))
    assert outcomes(events) == {0: "received", 1: "received", 2: "errored", 3: "received"}
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert [e.message for e in errors] == ["app error INTERNAL_ERROR: nope"]
    assert samples(events)[2].bytes_in == 20  # the error frame was its answer
    check_accounting(events, server)


async def test_a_close_mid_run_loses_what_was_in_flight_and_reconnects() -> None:
    server = MemoryServer(lambda seq: [CLOSE] if seq == 3 else [reply(seq)])
    events, _ = await drive(server, config(count=6, reconnects=1))
    assert outcomes(events) == {
        0: "received",
        1: "received",
        2: "received",
        3: "errored",
        4: "received",
        5: "received",
    }
    assert states(events) == RECONNECTED_ONCE
    assert len(server.connections) == 2
    check_accounting(events, server)


async def test_connections_without_progress_give_up_after_the_limit() -> None:
    server = MemoryServer(lambda seq: [CLOSE])
    events, _ = await drive(server, config(count=10, reconnects=2))
    assert len(server.connections) == 3  # the first, then two reconnects
    assert states(events)[-1] == "failed"
    gave_up = [e for e in events if isinstance(e, ErrorEvent)][-1]
    assert gave_up.message == "gave up after 2 reconnects"
    assert set(outcomes(events).values()) == {"errored"}
    check_accounting(events, server)


async def test_a_connection_that_made_progress_resets_the_count() -> None:
    server = MemoryServer(lambda seq: [reply(seq), CLOSE])
    events, _ = await drive(server, config(count=5, reconnects=1))
    assert len(server.connections) == 5  # one message each, never giving up
    assert outcomes(events) == dict.fromkeys(range(5), "received")
    assert states(events)[-1] == "closed"
    check_accounting(events, server)


async def test_refused_connects_are_retried_with_backoff() -> None:
    server = MemoryServer(refuse=[ConnectError("refused"), ConnectError("refused")])
    events, _ = await drive(server, config(count=2, reconnects=3))
    assert server.attempts == 3
    assert states(events) == [
        "connecting",
        "reconnecting",
        "connecting",
        "reconnecting",
        "connecting",
        "connected",
        "closed",
    ]
    assert [e.message for e in events if isinstance(e, ErrorEvent)] == ["refused", "refused"]
    check_accounting(events, server)


@pytest.mark.parametrize("error", [AuthError("refused the key"), TargetError("bad url")])
async def test_auth_and_target_errors_are_final_at_once(error: ProbeError) -> None:
    server = MemoryServer(refuse=[error])
    events, _ = await drive(server, config(count=2, reconnects=5))
    assert server.attempts == 1
    assert states(events) == ["connecting", "failed"]
    assert samples(events) == []


async def test_stop_ends_an_open_loop_run_with_every_message_accounted() -> None:
    def stop_after_five(event: Event, stop: asyncio.Event) -> None:
        if isinstance(event, Sample) and event.seq == 4:
            stop.set()

    server = MemoryServer()
    events, _ = await drive(
        server, config(count=None, duration_s=60, rate=500), on_event=stop_after_five
    )
    assert 5 <= len(samples(events)) < 100
    assert states(events)[-1] == "closed"
    check_accounting(events, server)


async def test_stop_while_waiting_for_a_reply_accounts_for_it_at_once() -> None:
    """A server that never answers, closed loop, a 60 s timeout: stop ends the run now,
    with the message in flight timed out and saying why (not cancelled and lost)."""
    silent = MemoryServer(rule=lambda seq: [])
    loop = asyncio.get_running_loop()

    def stop_once_sent(event: Event, stop: asyncio.Event) -> None:
        if isinstance(event, StateChange) and event.state == "connected":
            loop.call_later(0.05, stop.set)

    events, _ = await drive(silent, config(count=3, timeout_s=60), on_event=stop_once_sent)
    (sample,) = samples(events)
    assert sample.outcome == "timed_out" and sample.error == "the run was stopped before a reply"
    assert states(events)[-1] == "closed"
    check_accounting(events, silent)


async def test_stop_cuts_a_reconnect_wait_short() -> None:
    def stop_when_reconnecting(event: Event, stop: asyncio.Event) -> None:
        if isinstance(event, StateChange) and event.state == "reconnecting":
            stop.set()

    server = MemoryServer(refuse=[ConnectError("refused")] * 5)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    events, _ = await drive(server, config(count=3), on_event=stop_when_reconnecting)
    assert server.attempts == 1 and loop.time() - t0 < 0.09  # less than the first backoff
    assert states(events) == ["connecting", "reconnecting", "closed"]


async def test_a_message_session_takes_no_actions() -> None:
    server = MemoryServer()
    session = MessageSession(0, config(), lambda e: None, asyncio.Event(), server.connect)
    with pytest.raises(TargetError, match="realtime sessions take no actions"):
        await session.act("action", "w u")


async def test_recorded_messages_carry_their_frames_bounded() -> None:
    """The inspector's Hex tab shows frames as they went: the frame sent, and the one
    received (a long one cut at RAW_CAP, with `size` still the whole frame's)."""
    from app.core.events import RAW_CAP, Message

    big = b"\x00" * (RAW_CAP + 100)
    server = MemoryServer(
        rule=lambda seq: [Reply("output", len(big), {"seq": seq}, seq=seq, raw=big)]
    )
    events, _ = await drive(server, config(count=2, record_messages=True))
    sent = [e for e in events if isinstance(e, Message) and e.direction == "out"]
    got = [e for e in events if isinstance(e, Message) and e.direction == "in"]
    assert [m.raw for m in sent] == [json.dumps({"seq": s, "payload": {"k": 1}}) for s in (0, 1)]
    assert [m.size for m in sent] == [len(str(m.raw).encode()) for m in sent]
    assert [(m.size, m.raw) for m in got] == [(len(big), big[:RAW_CAP])] * 2


async def test_the_send_schedule_starts_when_connected_not_while_connecting() -> None:
    """Set-up time is no send lag: a slow connect leaves every intended time after it."""
    server = MemoryServer()
    connected_at: list[int] = []

    async def slow_connect() -> Any:
        await asyncio.sleep(0.05)  # a handshake that takes 50 ms
        client = await server.connect()
        connected_at.append(now_ns())
        return client

    events: list[Event] = []
    session = MessageSession(
        0, config(count=3, rate=1000), events.append, asyncio.Event(), slow_connect
    )
    await asyncio.wait_for(session.run(), 10)
    got = samples(events)
    assert [s.seq for s in got] == [0, 1, 2]
    assert all(s.intended_ns >= connected_at[0] for s in got)
    assert all(s.sent_ns - s.intended_ns < 40_000_000 for s in got)  # not the 50 ms set-up


def test_sessions_of_an_open_loop_run_are_spread_over_each_interval() -> None:
    """Session k of C sends at k/C of the interval, not all C at once."""
    cfg = config(count=40, rate=4000, concurrency=4)  # 1,000 msg/s each: a 1 ms interval

    async def never() -> Any:
        raise AssertionError("not connected in this test")

    phases = [
        MessageSession(k, cfg, lambda e: None, asyncio.Event(), never)._phase_ns() for k in range(4)
    ]
    assert phases == [0, 250_000, 500_000, 750_000]
    closed = MessageSession(
        3, config(count=4, concurrency=4), lambda e: None, asyncio.Event(), never
    )
    assert closed._phase_ns() == 0  # closed loop: no schedule to spread


def test_sessions_that_connect_at_different_times_still_send_on_one_even_grid() -> None:
    """The first send is the first slot of the session's phase at or after its
    connection, on a grid shared by all sessions: whenever each connected, session k's
    sends stay k/C of an interval after session 0's, none before its connection."""
    cfg = config(count=40, rate=4000, concurrency=4)  # a 1 ms interval, 250 µs apart

    async def never() -> Any:
        raise AssertionError("not connected in this test")

    sessions = [MessageSession(k, cfg, lambda e: None, asyncio.Event(), never) for k in range(4)]
    connected = [10_000_123_456, 10_000_987_001, 10_003_000_000, 10_001_250_000]
    firsts = [s._first_send_ns(c) for s, c in zip(sessions, connected, strict=True)]
    for k, (first, c) in enumerate(zip(firsts, connected, strict=True)):
        assert c <= first < c + 1_000_000  # not before it connected, within an interval
        assert first % 1_000_000 == 250_000 * k  # its phase on the shared grid
