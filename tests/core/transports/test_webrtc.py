"""rtprobe's WebRTC client and session against the real mock server (127.0.0.1 only).

Video-to-video (yolo) over JSON text (4a) and msgpack (4b) signaling, generated video
(world) with actions and pause, errors, and the frame_drop fault. Each streaming test
runs 2-3 s at 320x240@30; every wait is bounded, timing checks are sanity bounds only.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.core.config import RunConfig
from app.core.errors import AppError, ConnectError, ProbeError
from app.core.events import (
    ErrorEvent,
    Event,
    FrameSample,
    Message,
    Sample,
    StateChange,
    StatsSnapshot,
)
from app.core.media import SyntheticSource
from app.core.sessions.webrtc import WebRtcSession, cycle_actions
from app.core.summary import Aggregator
from app.core.targets import resolve
from app.core.transports.loopback import loopback_candidates_active, sdp_candidate_addresses
from app.core.transports.webrtc import (
    ActionResult,
    DataMessage,
    FrameInfo,
    Hooks,
    WebRtcClient,
    WebRtcOptions,
)
from tests.support.sessions import RECONNECTED_ONCE
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.timeout(60)


@dataclass
class Seen:
    frames: list[FrameInfo] = field(default_factory=list)
    actions: list[ActionResult] = field(default_factory=list)
    data: list[DataMessage] = field(default_factory=list)
    signaling: list[tuple[str, str]] = field(default_factory=list)
    problems: list[ProbeError] = field(default_factory=list)

    def hooks(self) -> Hooks:
        return Hooks(
            on_frame=self.frames.append,
            on_action=self.actions.append,
            on_data=self.data.append,
            on_signaling=lambda d, m, _size, _raw: self.signaling.append((d, str(m.get("type")))),
            on_problem=self.problems.append,
        )


@contextlib.asynccontextmanager
async def client(
    mock_base: str, path: str, *, source: bool = True, **options: Any
) -> AsyncIterator[tuple[WebRtcClient, Seen]]:
    seen = Seen()
    c = WebRtcClient(
        resolve("webrtc", mock_base + path),
        options=WebRtcOptions(connect_timeout_s=10, **options),
        source=SyntheticSource(320, 240, 30) if source else None,
        hooks=seen.hooks(),
    )
    try:
        await asyncio.wait_for(c.connect(), 20)
        yield c, seen
    finally:
        await c.close()


async def stream_until(
    c: WebRtcClient, predicate: Callable[[], object], what: str, timeout_s: float = 20
) -> None:
    """Stream until `predicate()` holds (bounded), the session up all along: a count
    is awaited, not guessed from a fixed streaming time."""

    def ready() -> bool:
        assert c.error is None, c.error
        return bool(predicate())

    await async_wait_until(ready, timeout_s, what=what, interval_s=0.02)


def check_v2v(c: WebRtcClient, seen: Seen) -> None:
    assert c.source is not None
    counters = c.counters
    assert counters.received > 20
    assert c.source.frames_sent >= counters.received
    timed = [f for f in seen.frames if f.latency_ns is not None]
    assert len(timed) >= 0.8 * counters.received, counters
    assert all(0 < f.latency_ns < 2e9 for f in timed)  # type: ignore[operator]
    held = [f for f in seen.frames if f.hold_ns is not None]
    assert c.hold_measured and len(held) >= 0.8 * counters.received
    assert all(0 <= f.hold_ns < 1e9 for f in held), [f.hold_ns for f in held]  # type: ignore[operator]
    # the hold is part of the end-to-end latency of the same frame
    assert all(f.hold_ns <= f.latency_ns for f in timed if f.hold_ns is not None)  # type: ignore[operator]
    assert {(f.width, f.height) for f in seen.frames} == {(320, 240)}
    assert counters.lost + counters.duplicates + counters.unreadable < 0.2 * counters.received


@pytest.mark.parametrize(
    ("path", "flavour"),
    [("/mock/yolo/webrtc", "json"), ("/mock/yolo/realtime", "msgpack")],
    ids=["4a-json", "4b-msgpack"],
)
async def test_yolo_video_to_video(mock_base: str, path: str, flavour: str) -> None:
    async with client(mock_base, path, data_channel=True) as (c, seen):
        assert c.flavour == flavour and c.mode == "v2v"
        assert loopback_candidates_active()
        await stream_until(
            c,
            lambda: (
                c.counters.received > 30 and sum(m.latency_ns is not None for m in seen.data) > 20
            ),
            "30 frames back and 20 timed detections",
        )
        stats = await c.stats()
    check_v2v(c, seen)

    def no_leftover_tasks() -> bool:
        return not asyncio.all_tasks() - {asyncio.current_task()}

    await async_wait_until(no_leftover_tasks, 5, what="the session's tasks to end")
    assert sdp_candidate_addresses(c.offer_sdp) == {"127.0.0.1"}
    assert sdp_candidate_addresses(c.answer_sdp) == {"127.0.0.1"}
    assert seen.signaling[:3] == [("in", "ready"), ("out", "offer"), ("in", "answer")]
    # detections arrive on the data channel, timed by the frame id they name
    assert len(seen.data) > 20
    timed = [m for m in seen.data if m.latency_ns is not None]
    assert len(timed) > 20 and all(0 < m.latency_ns < 2e9 for m in timed)  # type: ignore[operator]
    assert all(isinstance(m.data, dict) and "boxes" in m.data for m in seen.data)
    for key in ("frames_decoded", "frames_lost", "packets_received", "jitter_ms", "bytes_in"):
        assert key in stats, key
    assert 0 < stats["frames_decoded"] <= c.counters.received
    times = c.timings.values()
    assert 0 < times["time_to_connected_ms"] < 10_000
    assert times["time_to_connected_ms"] < times["time_to_first_frame_ms"] < 10_000
    assert not seen.problems


async def test_explicit_flavour_and_trickled_candidates(mock_base: str) -> None:
    async with client(mock_base, "/mock/yolo/webrtc", flavour="json", trickle=True) as (c, seen):
        await stream_until(c, lambda: c.counters.received > 10, "10 frames back")
    assert c.counters.received > 10
    sent = [kind for direction, kind in seen.signaling if direction == "out"]
    assert sent[0] == "offer" and sent.count("icecandidate") >= 2
    assert not seen.problems


async def test_world_generated_video_actions_and_pause(mock_base: str) -> None:
    async with client(mock_base, "/mock/world/realtime", source=False) as (c, seen):
        assert c.mode == "generated" and c.flavour == "msgpack"
        assert c.ice_servers_offered == []
        await stream_until(c, lambda: c.counters.received > 10, "the first frames")
        for n, action in enumerate(("w u", "a u", "q l"), start=1):
            await c.send_action(action)
            await stream_until(c, lambda n=n: len(seen.actions) == n, f"action {n} on a frame")
        await stream_until(c, lambda: c.counters.received > 30, "30 frames")
        await c.pause(True)
        assert c.paused is True
        await c.pause(False)
        assert c.paused is False
        stats = await c.stats()
    assert {(f.width, f.height) for f in seen.frames} == {(640, 352)}
    assert c.counters.received > 30
    assert [a.index for a in seen.actions] == [0, 1, 2]
    assert [a.action for a in seen.actions] == ["w u", "a u", "q l"]
    assert all(0 < a.latency_ns < 2e9 for a in seen.actions)  # type: ignore[operator]
    assert [f.action_id for f in seen.frames if f.action_id is not None][-1] == 3
    assert sum(f.hold_ns is not None for f in seen.frames) >= 0.8 * c.counters.received
    assert ("in", "pause") in seen.signaling
    assert stats["frames_lost"] <= 3
    assert sdp_candidate_addresses(c.offer_sdp) == {"127.0.0.1"}
    assert sdp_candidate_addresses(c.answer_sdp) == {"127.0.0.1"}


async def test_bad_message_is_reported_and_the_session_goes_on(mock_base: str) -> None:
    async with client(mock_base, "/mock/yolo/realtime") as (c, seen):
        await stream_until(c, lambda: c.counters.received > 5, "the first frames")
        before = c.counters.received
        await c.send_message({"type": "no-such-message"})
        await stream_until(
            c,
            lambda: seen.problems and c.counters.received > before + 10,
            "the error report and 10 more frames",
        )
    assert len(seen.problems) == 1
    problem = seen.problems[0]
    assert isinstance(problem, AppError) and problem.code == "bad_message"
    assert "\n" not in str(problem) and "no-such-message" in str(problem)
    assert c.counters.received > before + 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_refused_port_is_a_one_line_connect_error() -> None:
    c = WebRtcClient(
        resolve("webrtc", f"ws://127.0.0.1:{free_port()}/mock/yolo/webrtc"),
        source=SyntheticSource(320, 240, 30),
    )
    with pytest.raises(ConnectError) as info:
        await asyncio.wait_for(c.connect(), 20)
    assert "refused" in str(info.value) and "\n" not in str(info.value)
    assert c.source is not None and c.source.readyState == "ended"


async def test_server_error_is_a_one_line_app_error(mock_base: str) -> None:
    # a receive-only offer to yolo: it has no video to process and fails the offer
    c = WebRtcClient(
        resolve("webrtc", mock_base + "/mock/yolo/webrtc"),
        options=WebRtcOptions(mode="generated"),
    )
    with pytest.raises(AppError) as info:
        await asyncio.wait_for(c.connect(), 20)
    assert info.value.code == "offer_failed" and "\n" not in str(info.value)


async def test_frame_drop_fault_gives_fewer_frames_in_than_out(mock_base: str) -> None:
    path = "/mock/yolo/webrtc?frame_drop=0.3&seed=1"
    async with client(mock_base, path) as (c, seen):
        await stream_until(
            c, lambda: c.counters.received > 30 and c.counters.lost > 5, "30 frames and 6 lost"
        )
    assert c.source is not None
    sent, received = c.source.frames_sent, c.counters.received
    assert 10 < received < 0.9 * sent, (received, sent)
    assert c.counters.lost > 5
    assert sum(f.lost_before for f in seen.frames) == c.counters.lost


# ------------------------------------------------------------------------ the session


def run_config(mock_base: str, path: str, seconds: float) -> RunConfig:
    return RunConfig(target=resolve("webrtc", mock_base + path), count=None, duration_s=seconds)


async def run_session(session_args: dict[str, Any], config: RunConfig) -> list[Event]:
    events: list[Event] = []
    session = WebRtcSession(0, config, events.append, asyncio.Event(), **session_args)
    await asyncio.wait_for(session.run(), 30)
    return events


async def test_session_v2v_events_feed_the_aggregator(mock_base: str) -> None:
    config = run_config(mock_base, "/mock/yolo/realtime", 2.0)
    events = await run_session(
        {
            "source_factory": lambda: SyntheticSource(320, 240, 30),
            "mode": None,
            "data_channel": False,
            "actions": None,
        },
        config,
    )
    states = [e.state for e in events if isinstance(e, StateChange)]
    assert states == ["connecting", "connected", "closed"]
    agg = Aggregator(transport="webrtc")
    for e in events:
        agg.feed(e)
    summary = agg.summary()
    assert summary["frames_in"] > 20 and summary["frames_out"] >= summary["frames_in"]
    assert 10 < summary["fps_in"] < 60 and 10 < summary["fps_out"] < 60
    assert summary["frame_latency_ms"]["count"] >= 0.8 * summary["frames_in"]
    assert summary["frame_hold_ms"]["count"] >= 0.8 * summary["frames_in"]
    assert summary["connection"]["signaling"] == "4b-msgpack"
    assert "time_to_connected_ms" in summary["connection"]
    # a video run's shape: its length from the frames, bytes from getStats, frames accounted
    assert summary.sent == 0 and summary.frames is not None
    assert 1.0 < summary.duration_s < 5.0
    assert summary.bytes_in > 10_000 and summary.bytes_out > 10_000
    (table,) = summary.outcome_tables()
    assert table.unit == "Frames" and table.accounted == table.total == summary.frames.frames_out
    snapshots = [e.values for e in events if isinstance(e, StatsSnapshot)]
    assert any("time_to_first_frame_ms" in v for v in snapshots)
    assert any("bitrate_in_kbps" in v for v in snapshots)
    assert snapshots[-1]["final"] is True
    assert any(isinstance(e, Message) and e.kind == "signaling" for e in events)


async def test_session_generated_actions_become_samples(mock_base: str) -> None:
    config = run_config(mock_base, "/mock/world/realtime", 2.5)
    events = await run_session(
        {
            "source_factory": None,
            "mode": "generated",
            "data_channel": False,
            "actions": cycle_actions(every_s=0.5, duration_s=2.0),
        },
        config,
    )
    samples = [e for e in events if isinstance(e, Sample)]
    assert [s.seq for s in samples] == sorted(s.seq for s in samples)
    received = [s for s in samples if s.outcome == "received"]
    assert len(received) >= 2
    assert all(0 < s.rtt_ns < 2e9 for s in received)
    frames = [e for e in events if isinstance(e, FrameSample)]
    assert all(f.direction == "in" and (f.width, f.height) == (640, 352) for f in frames)
    latencies = [
        v
        for e in events
        if isinstance(e, StatsSnapshot)
        for v in e.values.get("action_latency_ms", [])
    ]
    assert len(latencies) >= 1


async def test_session_stops_after_count_frames(mock_base: str) -> None:
    config = RunConfig(
        target=resolve("webrtc", mock_base + "/mock/yolo/webrtc"), count=15, duration_s=20.0
    )
    t0 = asyncio.get_running_loop().time()
    events = await run_session(
        {
            "source_factory": lambda: SyntheticSource(320, 240, 30),
            "mode": "v2v",
            "data_channel": False,
            "actions": None,
        },
        config,
    )
    assert asyncio.get_running_loop().time() - t0 < 15
    frames_in = [e for e in events if isinstance(e, FrameSample) and e.direction == "in"]
    assert 15 <= len(frames_in) < 30
    assert [e.state for e in events if isinstance(e, StateChange)][-1] == "closed"


V2V_ARGS: dict[str, Any] = {
    "source_factory": lambda: SyntheticSource(320, 240, 30),
    "mode": "v2v",
    "data_channel": False,
    "actions": None,
}


def _nobody_listening(duration_s: float, reconnects: int) -> RunConfig:
    """A WebRTC run whose signaling port has no server: every connect is refused."""
    return RunConfig(
        target=resolve("webrtc", f"ws://127.0.0.1:{free_port()}/mock/yolo/webrtc"),
        count=None,
        duration_s=duration_s,
        reconnects=reconnects,
    )


async def test_session_reports_a_failed_connect() -> None:
    config = _nobody_listening(duration_s=1.0, reconnects=0)
    events = await run_session(V2V_ARGS, config)
    assert [e.state for e in events if isinstance(e, StateChange)] == ["connecting", "failed"]
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == len(events) - 2 == 1 and errors[0].kind == "ConnectError"


async def test_session_retries_a_failed_connect_under_the_shared_policy() -> None:
    config = _nobody_listening(duration_s=20.0, reconnects=2)
    events = await run_session(V2V_ARGS, config)
    states = [e.state for e in events if isinstance(e, StateChange)]
    assert states == ["connecting", "reconnecting"] * 2 + ["connecting", "failed"]
    assert [e.kind for e in events if isinstance(e, ErrorEvent)] == ["ConnectError"] * 3


async def test_session_reconnects_when_the_server_ends_early(mock_base: str) -> None:
    config = RunConfig(
        target=resolve("webrtc", mock_base + "/mock/yolo/webrtc"), count=40, duration_s=20.0
    )
    events: list[Event] = []
    ended: list[int] = []

    def emit(event: Event) -> None:
        events.append(event)
        frames_in = sum(isinstance(e, FrameSample) and e.direction == "in" for e in events)
        if not ended and frames_in == 10 and session.client is not None:
            # the end a server causes when it closes the signaling socket, mid-run
            ended.append(frames_in)
            session.client._end(None, "the server closed the signaling socket")

    session = WebRtcSession(0, config, emit, asyncio.Event(), **V2V_ARGS)
    await asyncio.wait_for(session.run(), 30)
    states = [e.state for e in events if isinstance(e, StateChange)]
    assert states == RECONNECTED_ONCE
    frames_in = [e for e in events if isinstance(e, FrameSample) and e.direction == "in"]
    assert len(frames_in) >= 40  # the count is the session's, over both connections
    finals = [e for e in events if isinstance(e, StatsSnapshot) and e.values.get("final")]
    assert len(finals) == 2
