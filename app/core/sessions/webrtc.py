"""One WebRTC session for the engine: connect, stream, measure, emit, clean up.

What it emits (all on the engine's perf_counter clock):

- `StateChange`: connecting, connected, then closed (or failed, with the error), with
  reconnecting, connecting, connected again for each reconnect;
- `FrameSample` per frame: "out" for every frame the source hands to aiortc (frame_id =
  the marker id), "in" for every decoded frame (frame_id = the marker value, latency_ns
  for fresh v2v frames matched by id, hold_ns = aiortc's receive jitter-buffer hold);
  the Aggregator turns these into fps_out/fps_in/frame_latency_ms/frame_hold_ms;
- `StatsSnapshot`: first the connection info (signaling flavour, mode, set-up times:
  time_to_connected_ms, ice_dtls_ms, …), then `{"time_to_first_frame_ms": …}` once, then
  getStats figures every second (bitrates, packets lost, jitter, RTT, frames decoded/
  lost/duplicate, fps, and `action_latency_ms` for actions resolved in that second),
  then a final snapshot with the totals (`final: True`, frames lost including frames
  still missing at the end), one per connection;
- `Sample` per `action` (generated video): seq = action index, intended_ns = sent_ns =
  when it was sent, done_ns = receive time of the first frame whose marker carries it,
  outcome "received" or "timed_out" (none within `config.timeout_s`, or the run ended;
  when no frame carries a readable marker at all, e.g. a real world model, actions are
  counted as `actions_unmeasured` in the final snapshot instead).
  So the Aggregator's rtt_ms is the action -> frame latency of generated video; a v2v run
  without actions emits no Samples;
- `Message`: every signaling message (few; kind "signaling", data = the message) and,
  with `config.record_messages`, every data channel message (kind "datachannel");
- `ErrorEvent`: fatal errors and non-fatal ones (the server's `bad_message`);
- `VideoFrame`, only with `config.webrtc.video_preview` and only from session 0: a few
  RGB thumbnails a second (`sessions.webrtc_preview`, off the measuring path).

A running session is steered through `act("action", "w u")` / `act("pause", True)` (the
run's `RunControl` calls it for each of its sessions); it raises ClosedError while the
session is not connected.

The session ends at `config.duration_s`, after `count` received frames (this session's
share of `config.count`), or on `stop`. When the server ends it before that
(`stream_exhausted`, the realtime TIMEOUT, closed socket or peer connection) it connects
again under the shared reconnect policy (`sessions.base`; a connection that received a
frame made progress), with a new source; scheduled actions go on where they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
from collections.abc import Callable
from typing import Any, Literal, cast, get_args

from app.core.config import RunConfig
from app.core.errors import ClosedError, ProbeError, TargetError
from app.core.events import (
    ErrorEvent,
    FrameSample,
    Message,
    Outcome,
    Sample,
    StateChange,
    StatsSnapshot,
    capped_raw,
    now_ns,
)
from app.core.media.sources import MarkedSource, source_factory
from app.core.network.datagram import NetworkSetting
from app.core.network.profile import parse_profile
from app.core.sessions import network_control as net
from app.core.sessions import webrtc_flavour
from app.core.sessions.base import Emit, Reconnect, deadline_of
from app.core.sessions.webrtc_preview import PREVIEW_HZ, PixelTap, PreviewTap, thumbnail
from app.core.transports.jitter_release import RELEASES, Release
from app.core.transports.webrtc import (
    ActionResult,
    DataMessage,
    Flavour,
    FrameInfo,
    Hooks,
    Mode,
    WebRtcClient,
    WebRtcOptions,
    default_mode,
)
from app.core.transports.webrtc_network import FreezeCounter
from app.core.transports.webrtc_wma import WmaClient, probe_flavour
from app.core.transports.wsbase import token_source

STATS_INTERVAL_S = 1.0
END_GRACE_S = 0.5  # v2v: frames sent this recently may still be on their way at the end
DEFAULT_ACTIONS = ("w u", "a u", "q l", "q u")

SourceFactory = Callable[[], MarkedSource]
Direction = Literal["out", "in"]


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    """`value` when it is one of `allowed` (None: the default); else one line naming it."""
    if value is None or value in allowed:
        return value
    raise TargetError(f"unknown {what} {value!r} ({' or '.join(allowed)})")


def cycle_actions(
    every_s: float = 1.0, duration_s: float = 10.0, actions: tuple[str, ...] = DEFAULT_ACTIONS
) -> list[tuple[float, str]]:
    """(offset s, action) every `every_s` through `actions`, for `duration_s`."""
    if every_s <= 0:
        raise TargetError("the action interval must be positive")
    n = int(duration_s / every_s)
    cycle = itertools.cycle(actions)
    return [(round((i + 1) * every_s, 6), next(cycle)) for i in range(n)]


class WebRtcSession:
    """Runs one WebRtcClient under a RunConfig; see the module docstring for events.

    Actions are scheduled relative to the first received frame (so set-up time is not
    counted as action latency).
    """

    def __init__(
        self,
        index: int,
        config: RunConfig,
        emit: Emit,
        stop: asyncio.Event,
        *,
        source_factory: SourceFactory | None,
        mode: Mode | None = None,
        data_channel: bool = False,
        actions: list[tuple[float, str]] | None = None,
        options: WebRtcOptions | None = None,
    ) -> None:
        self.index = index
        self.config = config
        self.emit = emit
        self.stop = stop
        self.source_factory = source_factory
        self.mode: Mode = mode or (options.mode if options else None) or default_mode(config.target)
        base = options or WebRtcOptions()
        # the caller's options, with what this session decided on top (never rebuilt field
        # by field, so an option added to WebRtcOptions reaches the client by itself)
        self.options = dataclasses.replace(
            base,
            mode=self.mode,
            data_channel=data_channel or base.data_channel,
            connect_timeout_s=config.timeout_s,
            network=base.network or NetworkSetting(parse_profile(config.webrtc.network)),
        )
        self.freezes = FreezeCounter(config.webrtc.fps)
        self.actions = sorted(actions or [])
        self._next_action = 0  # index into `actions`: a reconnect goes on from here
        self._actions_start: int | None = None  # the first frame of the first connection
        self.count, _ = config.share(index)
        self.client: WebRtcClient | None = None
        self.connected = False  # `act` reaches the server only while this holds
        self.action_latencies_ms: list[float] = []  # since the last stats snapshot
        self.actions_unmeasured = 0  # sent while no frame had a readable marker
        self._first_frame = asyncio.Event()  # of the current connection
        self._enough = asyncio.Event()
        self._frames_in = 0
        self.previews = PreviewTap(index, emit, config.webrtc.video_preview and index == 0)
        self.pixels = PixelTap(index, emit, config.webrtc.record_pixels)
        self.tokens = token_source(config.target, config.websocket_options())
        self.probe = False  # ask the app's openapi.json for its flavour before connecting
        self._last_in_value: int | None = None

    @classmethod
    def from_config(
        cls, index: int, config: RunConfig, emit: Emit, stop: asyncio.Event
    ) -> WebRtcSession:
        """The session a run's `config.webrtc` describes (how the registry builds it)."""
        p = config.webrtc
        actions = None
        if p.action_every_s:
            actions = cycle_actions(p.action_every_s, config.duration_s or 3600)
        signaling = cast(
            "Flavour | None", _choice(p.signaling, get_args(Flavour), "signaling flavour")
        )
        framing, wma = webrtc_flavour.choose(p.flavour, signaling, config.target)
        session = cls(
            index,
            config,
            emit,
            stop,
            source_factory=source_factory(p.source, p.width, p.height, p.fps),
            mode=cast("Mode | None", _choice(p.mode, get_args(Mode), "WebRTC mode"))
            or ("generated" if wma else None),
            data_channel=p.data_channel,
            actions=actions,
            options=WebRtcOptions(
                flavour=framing,
                wma=wma,
                jitter_release=cast(
                    "Release", _choice(p.jitter_release, RELEASES, "jitter release") or "marker"
                ),
            ),
        )
        session.probe = webrtc_flavour.should_probe(p.flavour, signaling, config.target)
        return session

    # -- hooks (event loop, per frame: keep cheap) -----------------------------------
    def _on_frame_out(self, frame_id: int, t_ns: int) -> None:
        src = self.client.source if self.client else None
        w, h = (src.width, src.height) if src else (0, 0)
        self.emit(FrameSample(self.index, "out", t_ns, frame_id, width=w, height=h))

    def _on_frame_in(self, f: FrameInfo) -> None:
        self._frames_in += 1
        self._last_in_value = f.value
        self.freezes.frame(f.t_ns)
        if not self._first_frame.is_set():
            self._first_frame.set()
        self.emit(
            FrameSample(
                self.index, "in", f.t_ns, f.value, f.latency_ns, f.hold_ns, f.width, f.height
            )
        )
        if self.count is not None and self._frames_in >= self.count:
            self._enough.set()

    def _on_action(self, a: ActionResult) -> None:
        if a.done_ns is None and self.client is not None and not self.client.counters.fresh:
            # no frame carried a readable marker (a real world model, not the mock): the
            # action latency cannot be measured, which is not the same as a timeout
            self.actions_unmeasured += 1
            return
        outcome: Outcome = "received" if a.done_ns is not None else "timed_out"
        done = a.done_ns if a.done_ns is not None else now_ns()
        if a.latency_ns is not None:
            self.action_latencies_ms.append(round(a.latency_ns / 1e6, 3))
        self.emit(
            Sample(
                session=self.index,
                seq=a.index,
                outcome=outcome,
                intended_ns=a.sent_ns,
                sent_ns=a.sent_ns,
                done_ns=done,
                error="" if a.done_ns is not None else "no frame reflected the action",
            )
        )

    def _on_signaling(
        self, direction: str, message: dict[str, Any], size: int, raw: str | bytes | None
    ) -> None:
        """Each signaling message with its frame (capped) for the Hex view; the run's
        redactor withholds the frame when it holds a secret, as for every Message."""
        way: Direction = "out" if direction == "out" else "in"
        frame = capped_raw(raw)
        self.emit(Message(self.index, way, now_ns(), "signaling", size, message, raw=frame))

    def _on_data(self, m: DataMessage) -> None:
        if self.config.record_messages:
            raw = capped_raw(m.raw)
            self.emit(Message(self.index, "in", m.t_ns, "datachannel", m.size, m.data, raw=raw))

    def _on_problem(self, exc: ProbeError) -> None:
        self.emit(ErrorEvent(self.index, now_ns(), type(exc).__name__, str(exc)))

    # -- control (engine loop; errors become ErrorEvents) ---------------------------------
    async def act(self, what: str, value: object) -> None:
        """`("action", "w u")` now, resolved like scheduled ones (a Sample), or `("pause",
        bool)`, waiting for the server's acknowledgement (a signaling Message). A failure
        on the wire is emitted; raises ClosedError while not connected."""
        if what in net.NETWORK_ACTS:  # the client's or the mock's impairments (network_control)
            return await net.network_act(self, what, value)
        if what not in ("action", "pause", "prompt", "reset"):
            raise TargetError(
                f"unknown WebRTC control {what!r} "
                "(action, pause, prompt, reset, network, mock_network)"
            )
        client = self.client
        if what in ("prompt", "reset") and not isinstance(client, WmaClient):
            raise TargetError(f"cannot send {what}: only wma sessions take prompts and resets")
        if client is None or not self.connected:
            raise ClosedError(f"cannot send {what}: session {self.index} is not connected")
        try:
            if what == "action":
                await client.send_action(str(value))
            elif isinstance(client, WmaClient) and what != "pause":
                await (client.send_prompt(str(value)) if what == "prompt" else client.send_reset())
            else:
                await client.pause(bool(value), timeout_s=min(5.0, self.config.timeout_s))
        except ProbeError as exc:
            self._on_problem(exc)

    # -- the run ---------------------------------------------------------------------
    async def run(self) -> None:
        schedule = net.start_schedule(self)  # `network_at`: changes at set times
        try:
            await self._run()
        finally:  # the token refresher stops with the session
            await net.stop_schedule(schedule)
            if self.tokens is not None:
                await self.tokens.close()

    async def _run(self) -> None:
        cfg = self.config
        if self.count is None and not cfg.duration_s:
            raise TargetError("give a frame count or a duration")
        if self.probe and (found := await probe_flavour(cfg.target)) is not None:
            self.mode = "generated" if cfg.webrtc.mode is None else self.mode
            self.options = dataclasses.replace(self.options, wma=found, mode=self.mode)
        deadline = deadline_of(cfg)
        policy = Reconnect(self.index, cfg, self.emit, self.stop, deadline)
        self.emit(StateChange(self.index, now_ns(), "connecting"))
        while True:
            client, error = await self._open()
            if client is None:
                assert error is not None
                self.emit(ErrorEvent(self.index, now_ns(), type(error).__name__, str(error)))
                if not await policy.retry(error):
                    break
                self.emit(StateChange(self.index, now_ns(), "connecting"))
                continue
            frames = self._frames_in
            await self._stream(client, deadline)
            if client.error is not None:
                exc = client.error
                self.emit(ErrorEvent(self.index, now_ns(), type(exc).__name__, str(exc)))
            if self._frames_in > frames:
                policy.progress()
            if self._done(deadline):
                if client.error is not None:
                    self.emit(StateChange(self.index, now_ns(), "failed", str(client.error)))
                    return
                break
            if not await policy.retry(client.error):  # the server ended it early
                break
            self.emit(StateChange(self.index, now_ns(), "connecting"))
        if not policy.gave_up:
            reason = self.client.end_reason if self.client is not None else ""
            self.emit(StateChange(self.index, now_ns(), "closed", reason))

    def new_client(self, source: MarkedSource | None) -> WebRtcClient:
        """One connection's client, its hooks calling back into this session (tests
        swap in an in-memory one)."""
        cfg = self.config
        kind = WmaClient if self.options.wma else WebRtcClient
        return kind(
            cfg.target,
            ws_options=dataclasses.replace(cfg.websocket_options(), tokens=self.tokens),
            options=self.options,
            source=source,
            hooks=Hooks(
                on_frame=self._on_frame_in,
                on_action=self._on_action,
                on_signaling=self._on_signaling,
                on_data=self._on_data,
                on_problem=self._on_problem,
            ),
        )

    def _done(self, deadline: int | None) -> bool:
        if self.stop.is_set() or self._enough.is_set():
            return True
        return deadline is not None and now_ns() >= deadline

    async def _open(self) -> tuple[WebRtcClient | None, ProbeError | None]:
        """A new client (and source), connected; or the error that prevented it."""
        try:
            source = self.source_factory() if self.mode == "v2v" and self.source_factory else None
            client = self.new_client(source)
        except ProbeError as exc:
            return None, exc
        self.client = client
        self._first_frame = asyncio.Event()
        if source is not None:
            source.on_frame = self._on_frame_out
        self.previews.install(client, source, lambda: self._last_in_value)
        self.pixels.install(client, lambda: self._last_in_value)
        try:
            await client.connect()
        except ProbeError as exc:
            with contextlib.suppress(Exception):
                await client.close()
            return None, exc
        return client, None

    async def _stream(self, client: WebRtcClient, deadline: int | None) -> None:
        """One connection, from connected until it ends; its final snapshot last."""
        self.emit(StateChange(self.index, now_ns(), "connected"))
        self.emit(StatsSnapshot(self.index, now_ns(), client.info()))
        self.connected = True
        tasks = [
            asyncio.create_task(self._stats_loop()),
            asyncio.create_task(self._first_frame_stats()),
            asyncio.create_task(self._send_actions()),
        ]
        try:
            await self._wait_end(deadline)
            await self._settle_actions()
        finally:
            self.connected = False
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            lost_tail = client.frames_in_flight_lost(int(END_GRACE_S * 1e9))
            final = await client.stats()
            final["frames_lost"] = final.get("frames_lost", 0) + lost_tail
            final.update(final=True, end_reason=client.end_reason or "done")
            final.update(self.freezes.values())  # this connection's; the next starts afresh
            self.freezes = FreezeCounter(self.config.webrtc.fps)
            if self.actions_unmeasured:
                final["actions_unmeasured"] = self.actions_unmeasured
                self.actions_unmeasured = 0
            await client.close()
            self.emit(StatsSnapshot(self.index, now_ns(), final))

    async def _wait_end(self, deadline: int | None) -> None:
        """Until the duration passes, enough frames came, `stop` is set or the server ends."""
        assert self.client is not None
        waits = [
            asyncio.ensure_future(self.stop.wait()),
            asyncio.ensure_future(self.client.ended.wait()),
            asyncio.ensure_future(self._enough.wait()),
        ]
        timeout = None if deadline is None else max(0.0, (deadline - now_ns()) / 1e9)
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def _stats_loop(self) -> None:
        assert self.client is not None
        client = self.client
        await client.stats()  # baseline for the first interval's rates
        timeout_ns = int(self.config.timeout_s * 1e9)
        while True:
            await asyncio.sleep(STATS_INTERVAL_S)
            for expired in client.expire_actions(now_ns() - timeout_ns):
                self._on_action(expired)
            values = await client.stats()
            values.update(self.freezes.values())
            if self.action_latencies_ms:
                values["action_latency_ms"] = self.action_latencies_ms
                self.action_latencies_ms = []
            self.emit(StatsSnapshot(self.index, now_ns(), values))

    async def _first_frame_stats(self) -> None:
        assert self.client is not None
        await self._first_frame.wait()
        timings = self.client.timings.values()
        first = {k: v for k, v in timings.items() if k == "time_to_first_frame_ms"}
        self.emit(StatsSnapshot(self.index, now_ns(), first))

    async def _send_actions(self) -> None:
        """Scheduled actions, offsets from the first received frame."""
        assert self.client is not None
        if self._next_action >= len(self.actions):
            return
        await self._first_frame.wait()
        if self._actions_start is None:
            self._actions_start = now_ns()
        while self._next_action < len(self.actions):
            offset_s, action = self.actions[self._next_action]
            wait = self._actions_start + int(offset_s * 1e9) - now_ns()
            if wait > 0:
                await asyncio.sleep(wait / 1e9)
            self._next_action += 1
            try:
                await self.client.send_action(action)
            except ProbeError as exc:
                self._on_problem(exc)
                return

    async def _settle_actions(self) -> None:
        """Give actions sent just before the end a moment to show, then time them out."""
        client = self.client
        assert client is not None
        if client.pending_actions and not client.ended.is_set() and not self.stop.is_set():
            limit = min(self.config.timeout_s, 1.0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(limit):
                    while client.pending_actions and not client.ended.is_set():
                        await asyncio.sleep(0.02)
        for expired in client.expire_actions(now_ns() + 1):
            self._on_action(expired)


__all__ = [
    "DEFAULT_ACTIONS",
    "PREVIEW_HZ",
    "SourceFactory",
    "WebRtcSession",
    "cycle_actions",
    "thumbnail",
]
