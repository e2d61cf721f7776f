"""An in-memory `MessageClient` for driving the real message session without sockets,
as httpx's MockTransport does for its client.

A `MemoryServer` answers each frame the session sends with what its `rule(seq)`
returns, in that order: `reply(k)` (a reply echoing id k, or None for none), `app_error`,
`garbage` (a frame the transport could not decode), `CLOSE` (the connection ends under
the session), `Later(s, item)` (the item arrives `s` seconds later). Returning nothing
drops the frame; returning a reply for another id answers out of order. `refuse` lists
connect failures to raise before connecting.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import AppError, ClosedError, ProbeError, ProtocolError
from app.core.transports.base import MessageClient, Reply


@dataclass(frozen=True)
class Close:
    code: int | None = 1006


CLOSE = Close()


@dataclass(frozen=True)
class Later:
    delay_s: float
    item: Reply | Close


Item = Reply | Close | Later
Rule = Callable[[int], list[Item]]


def reply(seq: int | None, size: int = 10) -> Reply:
    return Reply("output", size, {"seq": seq}, seq=seq)


def app_error(reason: str = "nope", closes: bool = False) -> Reply:
    return Reply("x-fal-error", 20, None, error=AppError("INTERNAL_ERROR", reason), closes=closes)


def garbage(size: int = 7) -> Reply:
    """What the realtime client makes of a binary frame that is not msgpack."""
    error = ProtocolError("server sent a binary frame that is not msgpack: FormatError")
    return Reply("binary", size, None, error=error)


def echo(seq: int) -> list[Item]:
    return [reply(seq)]


class MemoryClient:
    def __init__(self, server: MemoryServer) -> None:
        self.server = server
        self.info: dict[str, Any] = {"memory": True}
        self.inbox: asyncio.Queue[Item] = asyncio.Queue()
        self.sent: list[int] = []
        self.closed = False

    def encode(self, payload: Any, seq: int) -> str:
        return json.dumps({"seq": seq, "payload": payload})

    async def send_frame(self, frame: bytes | str) -> None:
        if self.closed:
            raise ClosedError("connection closed", 1006)
        seq = json.loads(frame)["seq"]
        self.sent.append(seq)
        for item in self.server.rule(seq):
            if isinstance(item, Later):
                loop = asyncio.get_running_loop()
                loop.call_later(item.delay_s, self.inbox.put_nowait, item.item)
            else:
                self.inbox.put_nowait(item)

    async def receive(self) -> Reply:
        item = await self.inbox.get()
        if isinstance(item, Close):
            self.closed = True
            raise ClosedError(f"connection closed ({item.code})", item.code)
        return item

    async def close(self) -> None:
        self.closed = True


@dataclass
class MemoryServer:
    rule: Rule = echo
    refuse: list[ProbeError] = field(default_factory=list)
    connections: list[MemoryClient] = field(default_factory=list)
    attempts: int = 0

    async def connect(self) -> MessageClient:
        self.attempts += 1
        if self.refuse:
            raise self.refuse.pop(0)
        client = MemoryClient(self)
        self.connections.append(client)
        return client
