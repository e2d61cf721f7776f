"""The raw WebSocket session: the run's payload in its chosen format (`ws_format`), sent,
matched, reconnected and accounted as every message session (`sessions.messages`)."""

from __future__ import annotations

import asyncio

from app.core.config import RunConfig
from app.core.sessions.base import Emit
from app.core.sessions.messages import Connect, MessageSession
from app.core.transports.base import MessageClient
from app.core.transports.ws import WsClient


def connector(config: RunConfig) -> Connect:
    """Opens one raw WebSocket connection to the run's target."""

    async def connect() -> MessageClient:
        return await WsClient.connect(
            config.target, config.websocket_options(), config.ws_format, config.seq_field
        )

    return connect


class WsSession(MessageSession):
    def __init__(self, index: int, config: RunConfig, emit: Emit, stop: asyncio.Event) -> None:
        super().__init__(index, config, emit, stop, connector(config))
