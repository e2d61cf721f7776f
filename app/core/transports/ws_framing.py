"""WebSocket framing for the client's hot path (RFC 6455 5.2), no I/O.

websockets parses each incoming frame with a generator over a stream reader and
serializes each outgoing one through a `Frame` and a BytesIO: a few microseconds a
message, a fifth of rtprobe's own loop time at 10,000 msg/s. Here the common case
(an unfragmented text or binary frame, no extension, no RSV bit) is a `struct` and a
slice. Everything else — control frames, fragments, masked or reserved frames,
anything over `max_size` — is left to websockets, whole, so its checks and its
close handshake stay what they are (`wsbase._Connection`).
"""

from __future__ import annotations

import struct

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets without its C extension
    from websockets.utils import apply_mask

TEXT, BINARY = 0x1, 0x2
_SHORT = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")
_LEN16 = struct.Struct("!H")
_LEN64 = struct.Struct("!Q")


def client_frame(opcode: int, payload: bytes, key: bytes) -> bytes:
    """One final frame as a client sends it: masked with the 4-byte `key`."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 0x10000:
        head = _SHORT.pack(0x80 | opcode, 0xFE, n)
    else:
        head = _LONG.pack(0x80 | opcode, 0xFF, n)
    return head + key + apply_mask(payload, key)


def split_frames(data: bytes, at: int, max_size: int | None) -> tuple[list[tuple[int, bytes]], int]:
    """The whole unfragmented data frames in `data` from offset `at`, as (opcode,
    payload), and the offset where they end: there `data` ends, or a frame starts that
    is of another kind (not final, RSV, masked, control, reserved, over `max_size`) or
    is not whole yet (`frame_extent` says how long it is)."""
    frames: list[tuple[int, bytes]] = []
    n = len(data)
    while n - at >= 2:
        b0, b1 = data[at], data[at + 1]
        opcode = b0 & 0x0F
        if b0 & 0xF0 != 0x80 or b1 & 0x80 or opcode not in (BINARY, TEXT):
            break
        length, head = b1, 2
        if length == 126:
            if n - at < 4:
                break
            length, head = _LEN16.unpack_from(data, at + 2)[0], 4
        elif length == 127:
            if n - at < 10:
                break
            length, head = _LEN64.unpack_from(data, at + 2)[0], 10
        end = at + head + length
        if end > n or (max_size is not None and length > max_size):
            break
        frames.append((opcode, data[at + head : end]))
        at = end
    return frames, at


def frame_extent(data: bytes, at: int) -> tuple[int, int] | None:
    """(header + payload bytes, payload bytes) of the frame starting at `at`; None
    while its header is not whole."""
    n = len(data) - at
    if n < 2:
        return None
    b1 = data[at + 1]
    length, head = b1 & 0x7F, 2
    if length == 126:
        if n < 4:
            return None
        length, head = _LEN16.unpack_from(data, at + 2)[0], 4
    elif length == 127:
        if n < 10:
            return None
        length, head = _LEN64.unpack_from(data, at + 2)[0], 10
    if b1 & 0x80:
        head += 4  # a mask key (a server must not send one; websockets says so)
    return head + length, length
