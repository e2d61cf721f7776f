"""One WebRTC session for the engine: connect, stream, measure, emit, clean up.

What it emits (all on the engine's perf_counter clock):

- `StateChange`: connecting, connected, then closed (or failed, with the error);
- `FrameSample` per frame: "out" for every frame the source hands to aiortc (frame_id =
  the marker id), "in" for every decoded frame (frame_id = the marker value, latency_ns
  for fresh v2v frames matched by id, hold_ns = aiortc's receive jitter-buffer hold);
  the Aggregator turns these into fps_out/fps_in/frame_latency_ms/frame_hold_ms;
- `StatsSnapshot`: first the connection info (signaling flavour, mode, set-up times:
  time_to_connected_ms, ice_dtls_ms, …), then `{"time_to_first_frame_ms": …}` once, then
  getStats figures every second (bitrates, packets lost, jitter, RTT, frames decoded/
  lost/duplicate, fps, and `action_latency_ms` for actions resolved in that second),
  then a final snapshot with the totals (`final: True`, frames lost including frames
  still missing at the end);
- `Sample` per `action` (generated video): seq = action index, intended_ns = sent_ns =
  when it was sent, done_ns = receive time of the first frame whose marker carries it,
  outcome "received" or "timed_out" (none within `config.timeout_s`, or the run ended;
  when no frame carries a readable marker at all, e.g. a real world model, actions are
  counted as `actions_unmeasured` in the final snapshot instead).
  So the Aggregator's rtt_ms is the action -> frame latency of generated video; a v2v run
  without actions emits no Samples;
- `Message`: every signaling message (few; kind "signaling", data = the message) and,
  with `config.record_messages`, every data channel message (kind "datachannel");
- `ErrorEvent`: fatal errors and non-fatal ones (the server's `bad_message`).

The session ends at `config.duration_s`, after `count` received frames (this session's
share of `config.count`), on `stop`, or when the server ends it (`stream_exhausted`, the
realtime TIMEOUT, closed socket or peer connection). It does not reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

from app.core.engine.config import RunConfig
from app.core.engine.session import Emit, now_ns
from app.core.errors import ProbeError, TargetError
from app.core.events import (
    ErrorEvent,
    FrameSample,
    Message,
    Sample,
    StateChange,
    StatsSnapshot,
)
from app.core.media.sources import MarkedSource
from app.core.transports.webrtc import (
    ActionResult,
    DataMessage,
    FrameInfo,
    Hooks,
    Mode,
    WebRtcClient,
    WebRtcOptions,
    default_mode,
)

STATS_INTERVAL_S = 1.0
END_GRACE_S = 0.5  # v2v: frames sent this recently may still be on their way at the end
DEFAULT_ACTIONS = ("w u", "a u", "q l", "q u")

SourceFactory = Callable[[], MarkedSource]


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
        self.options = WebRtcOptions(
            mode=self.mode,
            flavour=base.flavour,
            data_channel=data_channel or base.data_channel,
            data_channel_label=base.data_channel_label,
            trickle=base.trickle,
            connect_timeout_s=config.timeout_s,
            ice_servers=base.ice_servers,
            use_server_ice=base.use_server_ice,
        )
        self.actions = sorted(actions or [])
        self.count, _ = config.share(index)
        self.client: WebRtcClient | None = None
        self.action_latencies_ms: list[float] = []  # since the last stats snapshot
        self.actions_unmeasured = 0  # sent while no frame had a readable marker
        self._first_frame = asyncio.Event()
        self._enough = asyncio.Event()
        self._frames_in = 0

    # -- hooks (event loop, per frame: keep cheap) -----------------------------------
    def _on_frame_out(self, frame_id: int, t_ns: int) -> None:
        src = self.client.source if self.client else None
        w, h = (src.width, src.height) if src else (0, 0)
        self.emit(FrameSample(self.index, "out", t_ns, frame_id, width=w, height=h))

    def _on_frame_in(self, f: FrameInfo) -> None:
        self._frames_in += 1
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
        outcome = "received" if a.done_ns is not None else "timed_out"
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

    def _on_signaling(self, direction: str, message: dict[str, Any], size: int) -> None:
        self.emit(Message(self.index, direction, now_ns(), "signaling", size, message))  # type: ignore[arg-type]

    def _on_data(self, m: DataMessage) -> None:
        if self.config.record_messages:
            self.emit(Message(self.index, "in", m.t_ns, "datachannel", m.size, m.data))

    def _on_problem(self, exc: ProbeError) -> None:
        self.emit(ErrorEvent(self.index, now_ns(), type(exc).__name__, str(exc)))

    # -- the run ---------------------------------------------------------------------
    async def run(self) -> None:
        cfg = self.config
        if self.count is None and not cfg.duration_s:
            raise TargetError("give a frame count or a duration")
        self.emit(StateChange(self.index, now_ns(), "connecting"))
        try:
            source = self.source_factory() if self.mode == "v2v" and self.source_factory else None
            client = WebRtcClient(
                cfg.target,
                ws_options=cfg.ws,
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
        except ProbeError as exc:
            self._fail(exc)
            return
        self.client = client
        if source is not None:
            source.on_frame = self._on_frame_out
        try:
            await client.connect()
        except ProbeError as exc:
            self._fail(exc)
            return
        self.emit(StateChange(self.index, now_ns(), "connected"))
        self.emit(StatsSnapshot(self.index, now_ns(), client.info()))
        tasks = [
            asyncio.create_task(self._stats_loop()),
            asyncio.create_task(self._first_frame_stats()),
            asyncio.create_task(self._send_actions()),
        ]
        try:
            await self._wait_end()
            await self._settle_actions()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            lost_tail = client.frames_in_flight_lost(int(END_GRACE_S * 1e9))
            final = await client.stats()
            final["frames_lost"] = final.get("frames_lost", 0) + lost_tail
            final.update(final=True, end_reason=client.end_reason or "done")
            if self.actions_unmeasured:
                final["actions_unmeasured"] = self.actions_unmeasured
            await client.close()
            self.emit(StatsSnapshot(self.index, now_ns(), final))
        if client.error is not None:
            self._fail(client.error)
        else:
            self.emit(StateChange(self.index, now_ns(), "closed", client.end_reason))

    def _fail(self, exc: ProbeError) -> None:
        t = now_ns()
        self.emit(ErrorEvent(self.index, t, type(exc).__name__, str(exc)))
        self.emit(StateChange(self.index, t, "failed", str(exc)))

    async def _wait_end(self) -> None:
        """Until the duration passes, enough frames came, `stop` is set or the server ends."""
        assert self.client is not None
        waits = [
            asyncio.ensure_future(self.stop.wait()),
            asyncio.ensure_future(self.client.ended.wait()),
            asyncio.ensure_future(self._enough.wait()),
        ]
        try:
            await asyncio.wait(
                waits, timeout=self.config.duration_s, return_when=asyncio.FIRST_COMPLETED
            )
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
        if not self.actions:
            return
        await self._first_frame.wait()
        start = now_ns()
        for offset_s, action in self.actions:
            wait = start + int(offset_s * 1e9) - now_ns()
            if wait > 0:
                await asyncio.sleep(wait / 1e9)
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


__all__ = ["DEFAULT_ACTIONS", "SourceFactory", "WebRtcSession", "cycle_actions"]
