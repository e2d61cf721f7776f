"""Raw WebSocket client for an app's own `is_websocket=True` endpoint: any path,
text or binary, payloads as JSON, msgpack or raw bytes."""

from __future__ import annotations

import json
from typing import Any, Literal

import msgpack
from websockets.asyncio.client import ClientConnection

from app.core.errors import AppError, TargetError
from app.core.targets import Target
from app.core.transports.base import DEFAULT_SEQ_FIELD, Reply, seq_of, server_time_ns
from app.core.transports.wsbase import WsOptions, describe, open_websocket, recv_frame, send_frame

PayloadFormat = Literal["json", "msgpack", "text", "bytes"]


def encode_payload(
    payload: Any, fmt: PayloadFormat, seq: int, seq_field: str | None
) -> str | bytes:
    """JSON goes as a text frame, msgpack as binary; text/bytes go as given (untagged)."""
    if fmt in ("json", "msgpack") and isinstance(payload, dict) and seq_field:
        payload = {**payload, seq_field: seq}
    try:
        if fmt == "json":
            return json.dumps(payload, separators=(",", ":"))
        if fmt == "msgpack":
            return msgpack.packb(payload, use_bin_type=True)
    except (TypeError, ValueError) as exc:
        raise TargetError(f"payload cannot be encoded as {fmt}: {exc}") from None
    if fmt == "text":
        return payload if isinstance(payload, str) else json.dumps(payload)
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    raise TargetError("a bytes payload must be raw bytes (use @file)")


def decode_payload(frame: str | bytes) -> tuple[str, Any]:
    """Text frames as JSON when they parse; binary as msgpack when it parses."""
    if isinstance(frame, str):
        try:
            return "text", json.loads(frame)
        except ValueError:
            return "text", frame
    try:
        return "binary", msgpack.unpackb(frame, raw=False)
    except Exception:
        return "binary", frame


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
        return encode_payload(payload, self.fmt, seq, self.seq_field)

    async def send_frame(self, frame: bytes | str) -> None:
        await send_frame(self.ws, frame)

    async def receive(self) -> Reply:
        frame = await recv_frame(self.ws)
        kind, data = decode_payload(frame)
        size = len(frame.encode()) if isinstance(frame, str) else len(frame)
        if isinstance(data, dict) and data.get("type") == "x-fal-error":
            error = AppError(str(data.get("error", "UNKNOWN_ERROR")), str(data.get("reason") or ""))
            return Reply("x-fal-error", size, data, error=error)
        return Reply(
            kind,  # type: ignore[arg-type]
            size,
            data,
            seq=seq_of(data, self.seq_field) if self.seq_field else None,
            server_ns=server_time_ns(data),
        )

    async def close(self) -> None:
        await self.ws.close()
