"""The shape every message transport has, so the engine drives them all the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from app.core.errors import ProbeError

DEFAULT_SEQ_FIELD = "rtprobe_seq"

ReplyKind = Literal["output", "x-fal-error", "x-fal-message", "text", "binary"]


@dataclass(slots=True)
class Reply:
    """One frame received, decoded. Made per reply, so not `frozen` (whose `__init__`
    costs ~3x); nothing changes a Reply once made."""

    kind: ReplyKind
    size: int
    data: Any
    seq: int | None = None  # the sequence id the app echoed, when it did
    server_ns: int | None = None  # app time between its receive and send stamps
    error: ProbeError | None = None  # AppError for an x-fal-error (other than a stream end)
    end: bool = False  # the session ended normally (fal's TIMEOUT after a stream or idle)
    closes: bool = False  # the server closes the connection after this (fal's x-fal-error)
    raw: bytes | str | None = None  # the frame as received (for the inspector's Hex tab)
    # the engine's clock when the frame came off the socket, before it was decoded, as a
    # minimal client stamps it (0: not stamped, the session takes its own time)
    received_ns: int = 0


class MessageClient(Protocol):
    """A connected realtime or raw WebSocket session."""

    info: dict[str, Any]  # negotiated extensions, subprotocol, … (for summaries)

    def encode(self, payload: Any, seq: int) -> bytes | str:
        """One frame tagged with `seq` where the format allows; raises TargetError.
        Separate from sending so the engine's clock starts after the client's own work."""
        ...

    async def send_frame(self, frame: bytes | str) -> None: ...

    async def receive(self) -> Reply:
        """The next reply; raises ClosedError when the connection ends."""
        ...

    async def close(self) -> None: ...


def seq_of(data: Any, seq_field: str) -> int | None:
    if isinstance(data, dict):
        value = data.get(seq_field)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def server_time_ns(data: Any) -> int | None:
    """mock/echo style stamps: `server_recv_ns` and `server_send_ns` on one clock."""
    if isinstance(data, dict):
        recv, send = data.get("server_recv_ns"), data.get("server_send_ns")
        if isinstance(recv, int) and isinstance(send, int) and send >= recv:
            return send - recv
    return None
