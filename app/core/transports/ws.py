"""Raw WebSocket client for an app's own `is_websocket=True` endpoint: any path,
text or binary, payloads as JSON, msgpack or raw bytes (`app.core.codecs.ws`)."""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import ClientConnection

from app.core.codecs import fal_frames
from app.core.codecs.ws import (
    PayloadError,
    PayloadFormat,
    decode_payload,
    encode_payload,
    frame_size,
)
from app.core.errors import AppError, TargetError
from app.core.network.mock_session import session_id
from app.core.targets import Target
from app.core.transports.base import DEFAULT_SEQ_FIELD, Reply, seq_of, server_time_ns
from app.core.transports.wsbase import WsOptions, describe, open_websocket, recv_stamped, send_frame

# the payload codec lives in app.core.codecs.ws; PayloadFormat stays importable from here
__all__ = ["PayloadFormat", "WsClient"]


class WsClient:
    def __init__(
        self,
        ws: ClientConnection,
        fmt: PayloadFormat = "json",
        seq_field: str | None = DEFAULT_SEQ_FIELD,
    ) -> None:
        self.ws = ws
        self.fmt = fmt
        self.seq_field = seq_field
        self.info: dict[str, Any] = describe(ws)
        # the rtprobe mock's id of this connection (its x-rtprobe-session header)
        self.mock_session = session_id(getattr(ws.response, "headers", None))

    @classmethod
    async def connect(
        cls,
        target: Target,
        options: WsOptions,
        fmt: PayloadFormat = "json",
        seq_field: str | None = DEFAULT_SEQ_FIELD,
    ) -> WsClient:
        return cls(await open_websocket(target, options), fmt, seq_field)

    def encode(self, payload: Any, seq: int) -> bytes | str:
        try:
            return encode_payload(payload, self.fmt, seq, self.seq_field)
        except PayloadError as exc:
            raise TargetError(str(exc)) from None

    async def send_frame(self, frame: bytes | str) -> None:
        await send_frame(self.ws, frame)

    async def receive(self) -> Reply:
        frame, t = await recv_stamped(self.ws)
        kind, data = decode_payload(frame)
        size = frame_size(frame)
        fal = fal_frames.parse(data, size)
        if isinstance(fal, fal_frames.FalError):
            return Reply(
                "x-fal-error",
                size,
                data,
                error=AppError(fal.error, fal.reason),
                raw=frame,
                received_ns=t,
            )
        return Reply(
            kind,
            size,
            data,
            seq=seq_of(data, self.seq_field) if self.seq_field else None,
            server_ns=server_time_ns(data),
            raw=frame,
            received_ns=t,
        )

    async def close(self) -> None:
        await self.ws.close()
