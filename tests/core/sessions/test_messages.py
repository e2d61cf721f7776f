"""The real message session against an in-memory client: matching, accounting,
reconnects and stop, with no socket (real sockets: tests/core/engine, tests/core/transports)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from app.core.config import RunConfig
from app.core.errors import AuthError, ConnectError, ProbeError, TargetError
from app.core.events import ErrorEvent, Event, Sample, StateChange
from app.core.sessions.messages import MessageSession
from app.core.targets import resolve
from tests.core.sessions.memory import CLOSE, Item, MemoryServer, app_error, reply
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
    server = MemoryServer(lambda seq: [reply(seq), reply(seq)])
    events, session = await drive(server, config(count=4, rate=2000))
    assert outcomes(events) == dict.fromkeys(range(4), "received")
    assert session.matcher.unmatched == 4
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
