"""Running a whole test: N concurrent sessions of one transport, events to one sink."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.core.engine.config import RunConfig
from app.core.errors import TargetError
from app.core.events import Event
from app.core.sessions.messages import Emit, MessageSession
from app.core.summary import Aggregator
from app.core.transports.base import MessageClient
from app.core.transports.realtime import RealtimeClient
from app.core.transports.ws import WsClient


def _connector(config: RunConfig) -> Callable[[], asyncio.Future[MessageClient]]:
    target, ws = config.target, config.ws
    if config.transport == "realtime":
        return lambda: RealtimeClient.connect(target, ws, config.seq_field)  # type: ignore[return-value]
    if config.transport == "ws":
        return lambda: WsClient.connect(target, ws, config.ws_format, config.seq_field)  # type: ignore[return-value]
    raise TargetError(f"the engine cannot run {config.transport!r} targets yet")


async def run(config: RunConfig, emit: Emit, stop: asyncio.Event | None = None) -> None:
    """Run to completion (or until `stop` is set), emitting every event to `emit`."""
    if config.concurrency < 1:
        raise TargetError("concurrency must be at least 1")
    if config.count is None and not config.duration_s:
        raise TargetError("give a message count or a duration")
    stop = stop or asyncio.Event()
    if config.transport == "sse":
        from app.core.sessions.sse import StreamSession

        streams = [StreamSession(i, config, emit, stop) for i in range(config.concurrency)]
        await asyncio.gather(*(s.run() for s in streams))
        return
    if config.transport == "webrtc":
        await _run_webrtc(config, emit, stop)
        return
    connect = _connector(config)
    sessions = [MessageSession(i, config, connect, emit, stop) for i in range(config.concurrency)]
    await asyncio.gather(*(s.run() for s in sessions))


async def _run_webrtc(config: RunConfig, emit: Emit, stop: asyncio.Event) -> None:
    from app.core.media import source_factory
    from app.core.sessions.webrtc import WebRtcSession, cycle_actions
    from app.core.transports.webrtc import WebRtcOptions

    p = config.webrtc
    factory = source_factory(p.source, p.width, p.height, p.fps)
    actions = (
        cycle_actions(p.action_every_s, config.duration_s or 3600) if p.action_every_s else None
    )
    sessions = [
        WebRtcSession(
            i,
            config,
            emit,
            stop,
            source_factory=factory,
            mode=p.mode,  # type: ignore[arg-type]  # checked by the config builder
            data_channel=p.data_channel,
            actions=actions,
            options=WebRtcOptions(flavour=p.signaling),  # type: ignore[arg-type]
        )
        for i in range(config.concurrency)
    ]
    await asyncio.gather(*(s.run() for s in sessions))


async def run_collect(
    config: RunConfig,
    also: Callable[[Event], None] | None = None,
    stop: asyncio.Event | None = None,
) -> Aggregator:
    """Run and fold every event into an Aggregator (the CLI and tests use this)."""
    agg = Aggregator(transport=config.transport, target=config.target.display)

    def emit(event: Event) -> None:
        agg.feed(event)
        if also is not None:
            also(event)

    await run(config, emit, stop)
    return agg
