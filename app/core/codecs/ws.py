"""Raw WebSocket payloads (an app's own `is_websocket=True` endpoint): the app defines
its messages, rtprobe sends them as JSON text, msgpack binary, plain text or raw bytes.

Pure: a payload and a format in, one frame out; a frame in, (frame kind, value) out.
"""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

import msgpack

PayloadFormat = Literal["json", "msgpack", "text", "bytes"]
PAYLOAD_FORMATS: tuple[PayloadFormat, ...] = get_args(PayloadFormat)
FrameKind = Literal["text", "binary"]


class PayloadError(ValueError):
    """A payload that cannot go out in the chosen format."""


def encode_payload(
    payload: Any, fmt: PayloadFormat, seq: int, seq_field: str | None
) -> str | bytes:
    """JSON goes as a text frame, msgpack as binary; text/bytes go as given (untagged).

    A map is tagged with `seq` under `seq_field` (JSON and msgpack only); raises
    PayloadError for a value the format cannot carry or an unknown format.
    """
    if fmt not in PAYLOAD_FORMATS:
        raise PayloadError(f"unknown payload format {fmt!r} (use {', '.join(PAYLOAD_FORMATS)})")
    if fmt in ("json", "msgpack") and isinstance(payload, dict) and seq_field:
        payload = {**payload, seq_field: seq}
    try:
        if fmt == "json":
            return json.dumps(payload, separators=(",", ":"))
        if fmt == "msgpack":
            return msgpack.packb(payload, use_bin_type=True)
        if fmt == "text":
            return payload if isinstance(payload, str) else json.dumps(payload)
    except (TypeError, ValueError, OverflowError) as exc:
        raise PayloadError(f"payload cannot be encoded as {fmt}: {exc}") from None
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    raise PayloadError("a bytes payload must be raw bytes (use @file)")


def decode_payload(frame: str | bytes) -> tuple[FrameKind, Any]:
    """Text frames as JSON when they parse; binary as msgpack when it parses; else as is."""
    if isinstance(frame, str):
        try:
            return "text", json.loads(frame)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
            return "text", frame
    try:
        return "binary", msgpack.unpackb(frame, raw=False)
    except Exception:  # msgpack raises several unrelated types; raw bytes are fine
        return "binary", frame


def frame_size(frame: str | bytes) -> int:
    """Bytes on the wire (a text frame's UTF-8 length)."""
    return len(frame.encode()) if isinstance(frame, str) else len(frame)
