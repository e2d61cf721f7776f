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

    async def __aenter__(self) -> MemorySse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def request(self, payload: dict[str, Any] | None = None) -> StreamResult:
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
    assert states(events) == [
        "connecting",
        "connected",
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


async def test_an_sse_session_takes_no_actions() -> None:
    cfg = RunConfig(target=resolve("sse", "a/b"), count=1)
    with pytest.raises(TargetError, match="sse sessions take no actions"):
        await SseSession(0, cfg, lambda e: None, asyncio.Event()).act("pause", True)
