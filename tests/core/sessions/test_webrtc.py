"""The WebRTC session against an in-memory client: the shared reconnect policy, counts
over several connections, and steering; no aiortc (the real-socket tests are in
tests/core/transports/test_webrtc.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from app.core.config import RunConfig
from app.core.errors import ClosedError, ConnectError, ProbeError
from app.core.events import ErrorEvent, Event, FrameSample, StatsSnapshot, now_ns
from app.core.sessions.webrtc import WebRtcSession
from app.core.targets import resolve
from app.core.transports.webrtc import FrameInfo, Hooks
from tests.support.sessions import RECONNECTED_ONCE, states

pytestmark = pytest.mark.timeout(20)


@dataclass
class Script:
    """What each connection does: `frames[i]` frames, then the server ends it (or it
    streams until closed, for None); `refuse` connect failures come first."""

    frames: list[int | None]
    refuse: list[ProbeError] = field(default_factory=list)
    clients: list[MemoryRtc] = field(default_factory=list)


class MemoryRtc:
    def __init__(self, hooks: Hooks, frames: int | None) -> None:
        self.hooks = hooks
        self.frames = frames
        self.source = None
        self.ended = asyncio.Event()
        self.error: ProbeError | None = None
        self.end_reason = ""
        self.timings = SimpleNamespace(values=lambda: {"time_to_first_frame_ms": 1.0})
        self.counters = SimpleNamespace(fresh=1)
        self.pending_actions = 0
        self.actions: list[str] = []
        self.paused: bool | None = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self._task = asyncio.create_task(self._stream())

    async def _stream(self) -> None:
        n = 0
        while self.frames is None or n < self.frames:
            await asyncio.sleep(0.002)
            assert self.hooks.on_frame is not None
            self.hooks.on_frame(FrameInfo(now_ns(), n, 1000, 100, 10, 64, 48))
            n += 1
        self.end_reason = "stream_exhausted"
        self.ended.set()

    def info(self) -> dict[str, Any]:
        return {"signaling": "memory"}

    async def stats(self) -> dict[str, Any]:
        return {}

    def frames_in_flight_lost(self, grace_ns: int) -> int:
        return 0

    def expire_actions(self, older_than_ns: int) -> list[Any]:
        return []

    async def send_action(self, action: str) -> int:
        self.actions.append(action)
        return len(self.actions)

    async def pause(self, paused: bool, timeout_s: float = 5.0) -> None:
        self.paused = paused

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.ended.set()


class MemorySession(WebRtcSession):
    def __init__(self, config: RunConfig, script: Script, emit: Any, stop: asyncio.Event) -> None:
        super().__init__(0, config, emit, stop, source_factory=None, mode="generated")
        self.script = script

    def new_client(self, source: Any) -> Any:
        if self.script.refuse:
            raise self.script.refuse.pop(0)
        frames = self.script.frames[min(len(self.script.clients), len(self.script.frames) - 1)]
        client = MemoryRtc(Hooks(on_frame=self._on_frame_in, on_action=self._on_action), frames)
        self.script.clients.append(client)
        return client


async def drive(script: Script, **kw: Any) -> list[Event]:
    kw.setdefault("count", 30)
    kw.setdefault("duration_s", 15.0)
    cfg = RunConfig(target=resolve("webrtc", "ws://127.0.0.1:9/x"), **kw)
    events: list[Event] = []
    session = MemorySession(cfg, script, events.append, asyncio.Event())
    await asyncio.wait_for(session.run(), 15)
    return events


def frames_in(events: list[Event]) -> int:
    return sum(isinstance(e, FrameSample) and e.direction == "in" for e in events)


async def test_an_early_end_reconnects_and_the_count_spans_connections() -> None:
    script = Script(frames=[12, None])
    events = await drive(script, reconnects=1)
    assert len(script.clients) == 2 and frames_in(events) == 30
    assert states(events) == RECONNECTED_ONCE
    finals = [e.values for e in events if isinstance(e, StatsSnapshot) and e.values.get("final")]
    assert [f["end_reason"] for f in finals] == ["stream_exhausted", "done"]


async def test_connections_without_frames_give_up_after_the_limit() -> None:
    script = Script(frames=[0])
    events = await drive(script, reconnects=2)
    assert len(script.clients) == 3
    assert states(events)[-1] == "failed"
    assert [e.message for e in events if isinstance(e, ErrorEvent)] == [
        "gave up after 2 reconnects"
    ]


async def test_connections_with_frames_reset_the_count() -> None:
    script = Script(frames=[5])
    events = await drive(script, count=20, reconnects=1)
    assert len(script.clients) == 4 and frames_in(events) == 20
    assert states(events)[-1] == "closed"


async def test_failed_connects_are_retried() -> None:
    script = Script(frames=[None], refuse=[ConnectError("refused")])
    events = await drive(script, count=5, reconnects=1)
    assert states(events)[:4] == ["connecting", "reconnecting", "connecting", "connected"]
    assert frames_in(events) == 5


async def test_act_reaches_the_connected_client_and_not_a_closed_one() -> None:
    script = Script(frames=[None])
    cfg = RunConfig(target=resolve("webrtc", "ws://127.0.0.1:9/x"), count=None, duration_s=10)
    stop = asyncio.Event()
    session = MemorySession(cfg, script, lambda e: None, stop)
    with pytest.raises(ClosedError, match="session 0 is not connected"):
        await session.act("action", "w u")
    task = asyncio.create_task(session.run())
    for _ in range(500):  # bounded: until connected
        if session.connected:
            break
        await asyncio.sleep(0.005)
    await session.act("action", "w u")
    await session.act("pause", True)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert script.clients[0].actions == ["w u"] and script.clients[0].paused is True
    with pytest.raises(ClosedError):
        await session.act("pause", False)
