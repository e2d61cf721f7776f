"""fal realtime framing, both directions: msgpack maps in binary frames, fal's JSON text
frames beside them.

Client side: `encode_input` (an input map to a frame) and `decode_frame` (a server frame
to a typed `ServerMessage`). Server side, for the mock: `decode_input` (a client frame to
the input map, or an `InputError` saying why not) and `encode_output`. fal's own text
frames (`x-fal-error`, `x-fal-message`) are `app.core.codecs.fal_frames`. Pure: bytes or
str in, values out; the transports add the I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgpack

from app.core.codecs.fal_frames import FalError, FalMessage, parse


@dataclass(frozen=True)
class Output:
    """An app output (a msgpack map in a binary frame)."""

    data: dict[str, Any]
    size: int


@dataclass(frozen=True)
class TextMessage:
    """Any other text frame: JSON objects as dicts, other text as {"type": "text", …}."""

    data: dict[str, Any]
    size: int


ServerMessage = Output | FalError | FalMessage | TextMessage
Frame = bytes | bytearray | memoryview | str


class DecodeError(ValueError):
    """A server's binary frame that is not a msgpack map."""


class InputError(ValueError):
    """A client's frame that is not an input: text, not msgpack, or not a map."""


def encode_input(data: dict[str, Any]) -> bytes:
    """An input map as the binary frame fal expects; raises TypeError/ValueError for
    values msgpack cannot carry."""
    return msgpack.packb(data, use_bin_type=True)


def encode_output(output: dict[str, Any]) -> bytes:
    """An app output as a binary frame (the mock's side of `decode_frame`)."""
    return msgpack.packb(output, use_bin_type=True)


def decode_frame(frame: Frame) -> ServerMessage:
    """A server frame as a typed message; raises DecodeError for a binary non-map."""
    if isinstance(frame, str):
        return _decode_text(frame)
    return Output(
        decode_output(frame), len(frame) if not isinstance(frame, memoryview) else frame.nbytes
    )


def decode_output(frame: bytes | bytearray | memoryview) -> dict[str, Any]:
    """A binary server frame's map, the per-reply fast path (no copy of the frame, no
    wrapper object); raises DecodeError for a frame that is not a msgpack map."""
    try:
        value = msgpack.unpackb(frame, raw=False)
    except Exception as exc:  # msgpack raises several unrelated types
        raise DecodeError(f"server sent a binary frame that is not msgpack: {_why(exc)}") from None
    if not isinstance(value, dict):
        raise DecodeError(f"server sent msgpack {type(value).__name__}, expected a map")
    return value


def decode_input(frame: Frame | None) -> dict[str, Any]:
    """A client frame as the input map; raises InputError with fal's one-line reasons."""
    if frame is None or isinstance(frame, str):
        raise InputError("expected a binary msgpack frame, got a text frame")
    try:
        value = msgpack.unpackb(bytes(frame), raw=False)
    except Exception as exc:  # msgpack raises several unrelated types
        raise InputError(f"invalid msgpack: {_why(exc)}") from None
    if not isinstance(value, dict):
        raise InputError(f"expected a msgpack map, got {type(value).__name__}")
    return value


def _why(exc: Exception) -> str:
    """msgpack's reason on one line; its FormatError (a byte that starts no msgpack
    value, e.g. 0xc1) and StackError carry none, so say it for them."""
    text = " ".join(str(exc).split())
    if text:
        return text
    name = type(exc).__name__
    return _SILENT_ERRORS.get(name, name)


_SILENT_ERRORS = {
    "FormatError": "a byte that starts no msgpack value",
    "StackError": "nested too deeply",
}


def _decode_text(text: str) -> ServerMessage:
    size = len(text.encode())
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        return TextMessage({"type": "text", "payload": text}, size)
    if not isinstance(payload, dict):
        return TextMessage({"type": "text", "payload": payload}, size)
    fal = parse(payload, size)
    if fal is not None:
        return fal
    return TextMessage(payload, size)


__all__ = [
    "DecodeError",
    "FalError",
    "FalMessage",
    "Frame",
    "InputError",
    "Output",
    "ServerMessage",
    "TextMessage",
    "decode_frame",
    "decode_input",
    "decode_output",
    "encode_input",
    "encode_output",
]
