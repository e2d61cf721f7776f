"""fal's realtime protocol client: msgpack maps out, typed replies in (docs/protocols.md, 1)."""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import ClientConnection

from app.core.codecs.realtime import (
    DecodeError,
    FalError,
    FalMessage,
    Output,
    decode_frame,
    decode_output,
    encode_input,
)
from app.core.errors import AppError, ProtocolError, TargetError
from app.core.network.mock_session import session_id
from app.core.targets import Target
from app.core.transports.base import DEFAULT_SEQ_FIELD, Reply, seq_of, server_time_ns
from app.core.transports.wsbase import WsOptions, describe, open_websocket, recv_stamped, send_frame


class RealtimeClient:
    """One realtime session. `TIMEOUT` is reported as the normal end of a stream."""

    def __init__(self, ws: ClientConnection, seq_field: str | None = DEFAULT_SEQ_FIELD) -> None:
        self.ws = ws
        self.seq_field = seq_field
        self.info: dict[str, Any] = describe(ws)
        # the rtprobe mock's id of this connection (its x-rtprobe-session header)
        self.mock_session = session_id(getattr(ws.response, "headers", None))

    @classmethod
    async def connect(
        cls, target: Target, options: WsOptions, seq_field: str | None = DEFAULT_SEQ_FIELD
    ) -> RealtimeClient:
        return cls(await open_websocket(target, options), seq_field)

    def encode(self, payload: Any, seq: int) -> bytes:
        if not isinstance(payload, dict):
            raise TargetError(f"realtime inputs must be JSON objects, got {type(payload).__name__}")
        data = {**payload, self.seq_field: seq} if self.seq_field else payload
        try:
            return encode_input(data)
        except (TypeError, ValueError) as exc:
            raise TargetError(f"payload cannot be encoded as msgpack: {exc}") from None

    async def send_frame(self, frame: bytes | str) -> None:
        await send_frame(self.ws, frame)

    async def receive(self) -> Reply:
        frame, t = await recv_stamped(self.ws)
        if not isinstance(frame, str):  # an output: the per-reply path, kept short
            try:
                data = decode_output(frame)
            except DecodeError as exc:  # an error reply: it ends the oldest input (in order)
                return Reply(
                    "binary",
                    len(frame),
                    None,
                    error=ProtocolError(str(exc)),
                    raw=frame,
                    received_ns=t,
                )
            seq = seq_of(data, self.seq_field) if self.seq_field else None
            return Reply(
                "output", len(frame), data, seq, server_time_ns(data), raw=frame, received_ns=t
            )
        message = decode_frame(frame)  # text never raises DecodeError
        if isinstance(message, Output):
            return Reply(
                "output",
                message.size,
                message.data,
                seq=seq_of(message.data, self.seq_field) if self.seq_field else None,
                server_ns=server_time_ns(message.data),
                raw=frame,
                received_ns=t,
            )
        if isinstance(message, FalError):
            if message.is_timeout:
                return Reply(
                    "x-fal-error",
                    message.size,
                    message,
                    end=True,
                    closes=True,
                    raw=frame,
                    received_ns=t,
                )
            error = AppError(message.error, message.reason)
            return Reply(
                "x-fal-error",
                message.size,
                message,
                error=error,
                closes=True,
                raw=frame,
                received_ns=t,
            )
        if isinstance(message, FalMessage):
            return Reply("x-fal-message", message.size, message.payload, raw=frame, received_ns=t)
        return Reply("text", message.size, message.data, raw=frame, received_ns=t)

    async def close(self) -> None:
        await self.ws.close()
