"""The realtime session: fal's realtime framing (msgpack over a WebSocket), sent,
matched, reconnected and accounted as every message session (`sessions.messages`)."""

from __future__ import annotations

import asyncio

from app.core.config import RunConfig
from app.core.sessions.base import Emit
from app.core.sessions.messages import Connect, MessageSession
from app.core.transports.base import MessageClient
from app.core.transports.realtime import RealtimeClient


def connector(config: RunConfig) -> Connect:
    """Opens one realtime connection to the run's target."""

    async def connect() -> MessageClient:
        return await RealtimeClient.connect(
            config.target, config.websocket_options(), config.seq_field
        )

    return connect


class RealtimeSession(MessageSession):
    def __init__(self, index: int, config: RunConfig, emit: Emit, stop: asyncio.Event) -> None:
        super().__init__(index, config, emit, stop, connector(config))
