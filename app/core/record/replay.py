"""Running a replay plan (`app.core.record.plan`) as a run: the engine's own message and
SSE sessions (so matching, accounting, reconnects, timeouts and every event are those of
`rtprobe run`), fed the recorded inputs instead of one payload, at the recorded times
divided by `speed` (None: as fast as replies come, one in flight per connection).

A recorded WebRTC session (`MediaRun`) is run again as the engine's own WebRTC session
with the recorded settings (size, fps, mode, signaling, duration or frame count) and the
recorded actions at their recorded times after the first received frame; media is paced
by its source, so it runs in real time whatever `speed` (only its start is scaled).

`replay` emits the same event stream as `app.core.engine.run.run`, through a `Redactor`
of the replay's key and secret headers, ending with one `RunFinished`; `Replies`
collects what each connection got back (and each WebRTC session's frames and actions),
for the diff against the recording.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.codecs.ws import PayloadError, PayloadFormat, encode_payload
from app.core.config import RunConfig
from app.core.engine.build import RunSettings, webrtc_params
from app.core.errors import ProbeError, TargetError
from app.core.events import (
    RAW_CAP,
    ErrorEvent,
    Event,
    FrameSample,
    Message,
    RunFinished,
    Sample,
    now_ns,
)
from app.core.record.diff import SseValue, decode_frame
from app.core.record.plan import (
    MAX_MEDIA_S,
    Connection,
    Input,
    MediaFigures,
    MediaRun,
    Plan,
    body_json,
    is_notice,
)
from app.core.redact import Redactor, active
from app.core.sessions import realtime as realtime_session
from app.core.sessions import registry
from app.core.sessions import ws as ws_session
from app.core.sessions.base import Emit, sleep_until, wait_stopped
from app.core.sessions.messages import MessageSession
from app.core.sessions.sse import SseSession
from app.core.targets import Target
from app.core.transports.base import MessageClient
from app.core.transports.sse import SseClient


@dataclass
class Pace:
    """When input k is due: the replay's start plus its recorded offset over `speed`."""

    start_ns: int
    speed: float | None  # None: no waiting (closed loop)

    def due(self, offset_s: float) -> int | None:
        if self.speed is None:
            return None
        return self.start_ns + int(offset_s * 1e9 / self.speed)

    async def wait(self, offset_s: float, stop: asyncio.Event) -> bool:
        """Until due; False when stopped first."""
        due = self.due(offset_s)
        if due is None:
            return not stop.is_set()
        ahead_s = (due - now_ns()) / 1e9 - 0.002
        if ahead_s > 0 and await wait_stopped(stop, ahead_s):
            return False
        await sleep_until(due)
        return not stop.is_set()


def frame_for(item: Input, seq: int, seq_field: str | None) -> bytes | str:
    """The frame to send: as recorded, or with its sequence field renumbered."""
    if not seq_field or not isinstance(item.value, dict):
        return item.data
    fmt: PayloadFormat = "json" if isinstance(item.data, str) else "msgpack"
    try:
        return encode_payload(item.value, fmt, seq, seq_field)
    except PayloadError as exc:
        raise TargetError(str(exc)) from None


class ReplayMessageSession(MessageSession):
    """A realtime or raw WebSocket session that sends the recorded inputs."""

    def __init__(
        self,
        index: int,
        config: RunConfig,
        emit: Emit,
        stop: asyncio.Event,
        conn: Connection,
        pace: Pace,
    ) -> None:
        msgpack_frames = registry.fact(conn.transport, "speaks_msgpack")
        make = realtime_session.connector if msgpack_frames else ws_session.connector
        super().__init__(index, config, emit, stop, make(config))
        self.plan = conn
        self.pace = pace
        self.count, self.rate = len(conn.inputs), None

    async def run(self) -> None:
        if await self.pace.wait(self.plan.offset_s, self.stop):
            await super().run()

    async def _send_all(
        self, client: MessageClient, start: int, deadline: int | None, receiver: asyncio.Task[None]
    ) -> bool:
        while self._more(deadline):
            if receiver.done() or self.ending:
                return True
            seq = self.seq
            item = self.plan.inputs[seq]
            frame = frame_for(item, seq, self.config.seq_field)
            due = self.pace.due(item.offset_s)
            if due is not None:
                if not await self.pace.wait(item.offset_s, self.stop):
                    return False
            elif self.matcher.in_flight:
                await self._wait_idle()
                if receiver.done() or self.ending:
                    return True
                if not self._more(deadline):
                    break
            if await self._send_step(client, frame, due, item.value, False, True):
                return True
        return False


class ReplaySseSession(SseSession):
    """One session's SSE requests, each body as recorded, one after another (so each
    event belongs to the request before it), each no earlier than its recorded time."""

    def __init__(
        self,
        index: int,
        config: RunConfig,
        emit: Emit,
        stop: asyncio.Event,
        conn: Connection,
        pace: Pace,
    ) -> None:
        super().__init__(index, config, emit, stop)
        self.plan = conn
        self.pace = pace

    async def run(self) -> None:
        from app.core.events import StateChange

        self.emit(StateChange(self.index, now_ns(), "connecting"))
        client: SseClient = self.client()
        async with client:
            for seq, item in enumerate(self.plan.inputs):
                if not await self.pace.wait(item.offset_s, self.stop):
                    break
                await self._one(client, body_json(str(item.data)), seq, None)
        if not self.policy.gave_up:
            self.emit(StateChange(self.index, now_ns(), "closed"))


class ReplayMediaSession:
    """A recorded WebRTC session run again: the engine's WebRTC session with the recorded
    settings, and the recorded actions in place of a cycle, from its recorded start."""

    def __init__(
        self,
        index: int,
        config: RunConfig,
        emit: Emit,
        stop: asyncio.Event,
        run: MediaRun,
        pace: Pace,
    ) -> None:
        from app.core.sessions.webrtc import WebRtcSession  # aiortc: only when replayed

        self.session = WebRtcSession.from_config(index, config, emit, stop)
        if run.actions:
            self.session.actions = sorted(run.actions)
        self.plan = run
        self.pace = pace
        self.stop = stop

    async def run(self) -> None:
        if await self.pace.wait(self.plan.offset_s, self.stop):
            await self.session.run()


REPLAYED_SOURCES = ("synthetic", "sample")  # a file or camera is the recording machine's


def media_config(run: MediaRun, base: RunConfig) -> RunConfig:
    """The run settings of one recorded WebRTC session; TargetError (one line) for
    settings rtprobe would refuse on its command line."""
    st = run.settings

    def text(name: str, default: str | None = None) -> str | None:
        value = st.get(name, default)
        return value if isinstance(value, str) else default

    def number(name: str) -> float | None:
        value = st.get(name)
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    source = text("source", "synthetic") or "synthetic"
    settings = RunSettings(
        transport="webrtc",
        target=run.url,
        video_source=source if source in REPLAYED_SOURCES else "synthetic",
        video_size=text("size", "640x480") or "640x480",
        video_fps=number("fps") or 30.0,
        video_mode=text("mode"),
        signaling=text("signaling"),
        webrtc_flavour=text("flavour"),
        data_channel=st.get("dataChannel") is True,
        actions_every_s=None if run.actions else number("actionEveryS"),
        jitter_release=text("jitterRelease", "marker") or "marker",
        network=text("network", "") or "",
    )
    try:
        params = webrtc_params(settings)
    except TargetError as exc:
        raise TargetError(f"{run.source}: recorded WebRTC settings: {exc}") from None
    duration = number("durationS")
    if duration is not None and not 0 < duration <= MAX_MEDIA_S:
        duration = None
    count = number("count")
    frames = int(count) if duration is None and count is not None and count >= 1 else None
    if duration is None:  # the recorded span; with a frame count, a backstop to it
        duration = run.span_s if frames is None else min(MAX_MEDIA_S, 2 * run.span_s + 10)
    return replace(
        base,
        target=Target("webrtc", run.url),
        payload={},
        count=frames,
        duration_s=duration,
        rate=None,
        concurrency=1,
        warmup=0,
        webrtc=params,
    )


def config_for(conn: Connection, base: RunConfig) -> RunConfig:
    """The run settings of one connection: `base`'s (credentials, headers, limits,
    timeout) with this connection's target, count and matching."""
    return replace(
        base,
        target=Target(conn.transport, conn.url),
        payload={},
        count=len(conn.inputs),
        duration_s=None,
        rate=None,
        concurrency=1,
        warmup=0,
        seq_field=conn.seq_field,
        ordered=True,
        sse_method=conn.method if conn.method in ("POST", "GET") else "POST",
        record_messages=True,
    )


async def replay(
    plan: Plan, base: RunConfig, emit: Emit, stop: asyncio.Event, speed: float | None
) -> None:
    """Replay every connection of `plan` at once (each from its recorded offset), emitting
    events as a run does; RunFinished last. `base` carries what every connection shares."""
    redactor = Redactor.for_run(base.credentials.key, base.headers)
    with active(redactor):
        out = redactor.emit(emit)
        reason: Any = "failed"
        error = ""
        try:
            pace = Pace(now_ns(), speed)
            sessions: list[ReplayMessageSession | ReplaySseSession | ReplayMediaSession] = []
            for i, conn in enumerate(plan.connections):
                cfg = config_for(conn, base)
                streams = registry.fact(conn.transport, "streams_events")
                kind = ReplaySseSession if streams else ReplayMessageSession
                sessions.append(kind(i, cfg, out, stop, conn, pace))
            for k, media in enumerate(plan.media):
                index = len(plan.connections) + k
                cfg = media_config(media, base)
                sessions.append(ReplayMediaSession(index, cfg, out, stop, media, pace))
            tasks = [asyncio.ensure_future(s.run()) for s in sessions]
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                stop.set()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
            reason = "stopped" if stop.is_set() else "done"
        except ProbeError as exc:
            error = str(redactor.exception(exc))
            out(ErrorEvent(None, now_ns(), type(exc).__name__, error))
            raise
        except asyncio.CancelledError:
            reason = "cancelled"
            raise
        finally:
            out(RunFinished(now_ns(), reason, error))


@dataclass
class Replies:
    """What each connection of a replay got back, decoded as the recording's replies
    are (`plan`): one value per frame; for SSE, one list of events (`SseValue`: data,
    type, id) per request."""

    by_session: dict[int, list[Any]] = field(default_factory=dict)
    sse: set[int] = field(default_factory=set)
    # WebRTC: per session, (time s, direction, latency ms, size) per frame, and (time s,
    # latency ms) per action
    frames: dict[int, list[tuple[float, str, float | None, str]]] = field(default_factory=dict)
    actions: dict[int, list[tuple[float, float | None]]] = field(default_factory=dict)
    media_from: int | None = None  # sessions from this index on are WebRTC (plan.media)

    def feed(self, event: Event) -> None:
        if isinstance(event, FrameSample):
            latency = None if event.latency_ns is None else event.latency_ns / 1e6
            size = f"{event.width}x{event.height}" if event.width else ""
            kept = self.frames.setdefault(event.session, [])
            kept.append((event.t_ns / 1e9, event.direction, latency, size))
            return
        if isinstance(event, Sample):
            if self.media_from is not None and event.session >= self.media_from:  # an action
                done = event.outcome == "received"
                latency = (event.done_ns - event.sent_ns) / 1e6 if done else None
                self.actions.setdefault(event.session, []).append((event.sent_ns / 1e9, latency))
            return
        if not isinstance(event, Message):
            return
        got = self.by_session.setdefault(event.session, [])
        if event.kind == "request":  # SSE: a new request's events start here
            self.sse.add(event.session)
            got.append([])
            return
        if event.direction != "in":
            return
        value = self.value(event)
        if event.kind == "event":
            if got and isinstance(got[-1], list):
                fields = event.sse_fields or {}
                got[-1].append(SseValue.of(value, fields.get("event", ""), fields.get("id", "")))
        elif event.kind != "x-fal-message" and not is_notice(value):
            got.append(value)

    def media(self, session: int) -> MediaFigures:
        """A replayed WebRTC session's figures, as the recording's are computed."""
        return MediaFigures.of(self.frames.get(session, []), self.actions.get(session, []))

    @staticmethod
    def value(m: Message) -> Any:
        raw = m.raw
        if raw is not None and len(raw) < RAW_CAP:
            return decode_frame(raw)
        data = m.data
        if isinstance(data, str | bytes):
            return decode_frame(data)
        try:
            return json.loads(json.dumps(data, default=str))
        except (TypeError, ValueError):
            return data
