"""The realtime session: fal's realtime framing (msgpack over a WebSocket), sent,
matched, reconnected and accounted as every message session (`sessions.messages`)."""

from __future__ import annotations

import asyncio
import dataclasses

from app.core.config import RunConfig
from app.core.sessions.base import Emit
from app.core.sessions.messages import Connect, MessageSession
from app.core.transports.base import MessageClient
from app.core.transports.realtime import RealtimeClient
from app.core.transports.tokens import TokenSource
from app.core.transports.wsbase import token_source


def connector(config: RunConfig, tokens: TokenSource | None = None) -> Connect:
    """Opens one realtime connection to the run's target (with `tokens`: the session's
    token, refreshed in the background, instead of a new one per connection)."""
    options = config.websocket_options()
    if tokens is not None:
        options = dataclasses.replace(options, tokens=tokens)

    async def connect() -> MessageClient:
        return await RealtimeClient.connect(config.target, options, config.seq_field)

    return connect


class RealtimeSession(MessageSession):
    def __init__(self, index: int, config: RunConfig, emit: Emit, stop: asyncio.Event) -> None:
        self.tokens = token_source(config.target, config.websocket_options())
        super().__init__(index, config, emit, stop, connector(config, self.tokens))

    async def run(self) -> None:
        try:
            await super().run()
        finally:  # the refresher stops with the session, the token is forgotten
            if self.tokens is not None:
                await self.tokens.close()
