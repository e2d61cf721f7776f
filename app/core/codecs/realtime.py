"""fal realtime framing, client side: inputs to binary frames, frames to typed messages.

Pure: bytes or str in, a `ServerMessage` out; the transports add the I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import msgpack


@dataclass(frozen=True)
class Output:
    """An app output (a msgpack map in a binary frame)."""

    data: dict[str, Any]
    size: int


@dataclass(frozen=True)
class FalError:
    """An `x-fal-error` text frame. TIMEOUT also ends every normal streaming session."""

    error: str
    reason: str
    size: int

    @property
    def is_timeout(self) -> bool:
        return self.error == "TIMEOUT"


@dataclass(frozen=True)
class FalMessage:
    """An `x-fal-message` text frame, e.g. duration-billing timings."""

    action: str
    payload: dict[str, Any] = field(default_factory=dict)
    size: int = 0


@dataclass(frozen=True)
class TextMessage:
    """Any other text frame: JSON objects as dicts, other text as {"type": "text", …}."""

    data: dict[str, Any]
    size: int


ServerMessage = Output | FalError | FalMessage | TextMessage


class DecodeError(ValueError):
    """A binary frame that is not a msgpack map."""


def encode_input(data: dict[str, Any]) -> bytes:
    return msgpack.packb(data, use_bin_type=True)


def decode_frame(frame: bytes | bytearray | memoryview | str) -> ServerMessage:
    if isinstance(frame, str):
        return _decode_text(frame)
    raw = bytes(frame)
    try:
        value = msgpack.unpackb(raw, raw=False)
    except Exception as exc:
        raise DecodeError(f"server sent a binary frame that is not msgpack: {exc}") from None
    if not isinstance(value, dict):
        raise DecodeError(f"server sent msgpack {type(value).__name__}, expected a map")
    return Output(value, len(raw))


def _decode_text(text: str) -> ServerMessage:
    size = len(text.encode())
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        return TextMessage({"type": "text", "payload": text}, size)
    if not isinstance(payload, dict):
        return TextMessage({"type": "text", "payload": payload}, size)
    kind = payload.get("type")
    if kind == "x-fal-error":
        return FalError(
            str(payload.get("error", "UNKNOWN_ERROR")), str(payload.get("reason") or ""), size
        )
    if kind == "x-fal-message":
        return FalMessage(str(payload.get("action", "")), payload, size)
    return TextMessage(payload, size)
