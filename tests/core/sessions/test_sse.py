"""The SSE session against an in-memory client: accounting and the shared reconnect
policy, with no socket (real sockets: tests/core/engine, tests/core/transports)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from app.core.config import RunConfig
from app.core.errors import AppError, AuthError, ConnectError, ProbeError, TargetError
from app.core.events import ErrorEvent, Event, Sample, now_ns
from app.core.sessions.sse import SseSession
from app.core.targets import resolve
from app.core.transports.sse import StreamResult
from tests.support.sessions import states

pytestmark = pytest.mark.timeout(20)


def result(error: ProbeError | None = None, status: int = 200) -> StreamResult:
    t = now_ns()
    return StreamResult(status, 2, 20, t, t, t, t + 1000, [500], None, error)


UNREACHED = result(ConnectError("refused"), status=0)


class MemorySse:
    """Answers request k with `script(k)`; `async with` like the real client."""

    def __init__(self, script: Callable[[int], StreamResult]) -> None:
        self.script = script
        self.requests = 0
        self.cuts: list[int | None] = []  # the cut time each request was given

    async def __aenter__(self) -> MemorySse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def request(
        self,
        payload: dict[str, Any] | None = None,
        *,
        cut_at_ns: int | None = None,
        stop: asyncio.Event | None = None,
    ) -> StreamResult:
        self.cuts.append(cut_at_ns)
        self.requests += 1
        return self.script(self.requests - 1)


async def drive(script: Callable[[int], StreamResult], **kw: Any) -> tuple[list[Event], int]:
    kw.setdefault("count", 4)
    cfg = RunConfig(target=resolve("sse", "a/b"), payload={"k": 1}, **kw)
    events: list[Event] = []
    fake = MemorySse(script)
    session = SseSession(0, cfg, events.append, asyncio.Event())
    session.client = lambda: fake  # the in-memory double, for the real pooled client
    await asyncio.wait_for(session.run(), 10)
    return events, fake.requests


def outcomes(events: list[Event]) -> list[str]:
    return [e.outcome for e in events if isinstance(e, Sample)]


async def test_every_request_is_one_sample() -> None:
    events, requests = await drive(lambda k: result(AppError("X") if k == 1 else None))
    assert requests == 4 and outcomes(events) == ["received", "errored", "received", "received"]
    assert states(events) == ["connecting", "connected", "closed"]


async def test_unreachable_server_is_retried_then_given_up() -> None:
    events, requests = await drive(lambda k: UNREACHED, count=10, reconnects=2)
    assert requests == 3 and outcomes(events) == ["errored"] * 3
    assert states(events) == [  # never "connected": no request reached the server
        "connecting",
        "reconnecting",
        "connecting",
        "reconnecting",
        "connecting",
        "failed",
    ]


async def test_a_response_resets_the_count_and_reconnects() -> None:
    events, requests = await drive(
        lambda k: UNREACHED if k % 2 == 0 else result(), count=6, reconnects=1
    )
    assert requests == 6 and outcomes(events) == ["errored", "received"] * 3
    assert states(events)[-3:] == ["connecting", "connected", "closed"]
    assert states(events).count("reconnecting") == 3


async def test_auth_error_stops_the_run_at_once() -> None:
    events, requests = await drive(lambda k: result(AuthError("refused the key"), status=401))
    assert requests == 1 and outcomes(events) == ["errored"]
    assert [e.kind for e in events if isinstance(e, ErrorEvent)] == ["AuthError"]
    assert states(events) == ["connecting", "closed"]  # refused: the target was not reached


async def test_connected_at_the_first_response_that_was_not_refused() -> None:
    def script(k: int) -> StreamResult:
        return result(ConnectError("HTTP 503"), status=503) if k == 0 else result()

    events, _ = await drive(script, count=3)
    assert states(events) == ["connecting", "connected", "closed"]
    first_state = next(i for i, e in enumerate(events) if getattr(e, "state", "") == "connected")
    assert outcomes(events[:first_state]) == ["errored"]  # after the 503's sample


async def test_duration_runs_cut_streams_after_the_grace() -> None:
    from app.core.sessions.sse import END_GRACE_S

    fake = MemorySse(lambda k: result())
    cfg = RunConfig(
        target=resolve("sse", "a/b"), payload={}, count=None, duration_s=0.05, timeout_s=5
    )
    session = SseSession(0, cfg, lambda e: None, asyncio.Event())
    session.client = lambda: fake
    assert session.deadline is not None
    await asyncio.wait_for(session.run(), 10)
    assert fake.requests >= 1
    assert set(fake.cuts) == {session.deadline + int(END_GRACE_S * 1e9)}


async def test_an_sse_session_takes_no_actions() -> None:
    cfg = RunConfig(target=resolve("sse", "a/b"), count=1)
    with pytest.raises(TargetError, match="sse sessions take no actions"):
        await SseSession(0, cfg, lambda e: None, asyncio.Event()).act("pause", True)
