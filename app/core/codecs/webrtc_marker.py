"""A frame marker: an integer drawn as black/white blocks in a frame's top-left corner.

rtprobe stamps a frame id on every outgoing video frame and reads it back from the
returned frame to time each frame; the world-model mock stamps which action a frame
reflects. Both ends only need numpy, so this module is pure (no I/O, no codecs).

Layout: a grid of `COLS` x `ROWS` square blocks starting at (0, 0), row-major:
4 sync bits `1010`, the 32-bit value (MSB first), a CRC-16/CCITT of the value's
4 big-endian bytes, then 4 sync bits `0101`. A block is white (255) for 1, black (0)
for 0, so it survives chroma subsampling and lossy VP8/H.264 at WebRTC bitrates.
Readers sample the inner half of each block (edges ring after encoding) and demand a
clear black or white there: anything ambiguous, a wrong sync bit or a bad CRC reads as
None, so a corrupted marker is detected rather than mistaken for another value.

The block size depends only on the frame size (`block_size`): 4 px (one codec transform
block) on small frames, 16 px (one macroblock) from 480 lines up.

A starved encoder may skip the marker's macroblocks and show an earlier frame's marker
(seen with x264 at 250 kbit/s on 1080p): readers must treat a value they have already
seen as a repeat, not as a new frame.
"""

from __future__ import annotations

import numpy as np

COLS = 8
ROWS = 7
VALUE_BITS = 32
MAX_VALUE = (1 << VALUE_BITS) - 1
_SYNC_HEAD = (1, 0, 1, 0)
_SYNC_TAIL = (0, 1, 0, 1)
_CRC_BITS = 16
_LOW = 80.0  # a block reads as 0 below this mean level ...
_HIGH = 176.0  # ... and as 1 above this; in between the marker is unreadable

# World-model packing: the action id (last applied action message, 1-based, 0 = none)
# in the high bits and the frame counter in the low bits; both wrap.
WORLD_ACTION_BITS = 12
WORLD_SEQ_BITS = VALUE_BITS - WORLD_ACTION_BITS
_ACTION_MASK = (1 << WORLD_ACTION_BITS) - 1
_SEQ_MASK = (1 << WORLD_SEQ_BITS) - 1


def block_size(width: int, height: int) -> int:
    """Block edge in pixels: 16 (one VP8/H.264 macroblock) from 480 lines up, else 4.

    Measured with aiortc's VP8 encoder at 250-500 kbit/s: blocks of 4 or 16 px read back
    on every frame, while 8 and 12 px blocks lost 15-35 % of the frames at 640x480.
    """
    return 16 if min(width, height) >= 480 else 4


def marker_region(width: int, height: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the marker area; servers must leave these pixels untouched."""
    b = block_size(width, height)
    return 0, 0, COLS * b, ROWS * b


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): a misread flips it with p~1/65536."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _bits(value: int, n: int) -> list[int]:
    return [(value >> (n - 1 - i)) & 1 for i in range(n)]


def encode_bits(value: int) -> np.ndarray:
    """The (ROWS, COLS) 0/1 grid for `value`."""
    if not 0 <= value <= MAX_VALUE:
        raise ValueError(f"marker value {value} is outside 0..{MAX_VALUE}")
    check = crc16(value.to_bytes(4, "big"))
    bits = [*_SYNC_HEAD, *_bits(value, VALUE_BITS), *_bits(check, _CRC_BITS), *_SYNC_TAIL]
    return np.array(bits, dtype=np.uint8).reshape(ROWS, COLS)


def decode_bits(grid: np.ndarray) -> int | None:
    """Inverse of `encode_bits`; None when the sync bits or the CRC do not match."""
    bits = [int(b) for b in np.asarray(grid).reshape(-1)]
    if len(bits) != ROWS * COLS:
        return None
    head, tail = tuple(bits[:4]), tuple(bits[-4:])
    if head != _SYNC_HEAD or tail != _SYNC_TAIL:
        return None
    value = int("".join(map(str, bits[4 : 4 + VALUE_BITS])), 2)
    check = int("".join(map(str, bits[4 + VALUE_BITS : 4 + VALUE_BITS + _CRC_BITS])), 2)
    return value if crc16(value.to_bytes(4, "big")) == check else None


def stamp(img: np.ndarray, value: int) -> None:
    """Draw `value` (0..2**32-1) into `img` in place.

    `img` is (H, W, 3) uint8 (RGB or BGR: only black and white are used) or (H, W)
    luma, e.g. the Y plane of a yuv420p frame.
    """
    h, w = img.shape[:2]
    _, _, rw, rh = marker_region(w, h)
    if rw > w or rh > h:
        raise ValueError(f"frame {w}x{h} is too small for a {rw}x{rh} marker")
    b = block_size(w, h)
    levels = encode_bits(value) * np.uint8(255)
    blocks = np.repeat(np.repeat(levels, b, axis=0), b, axis=1)
    if img.ndim == 3:
        img[:rh, :rw, :] = blocks[:, :, None]
    else:
        img[:rh, :rw] = blocks


def read(img: np.ndarray) -> int | None:
    """The value stamped in `img` ((H, W, 3) or (H, W) luma), or None if absent or corrupt."""
    h, w = img.shape[:2]
    _, _, rw, rh = marker_region(w, h)
    if rw > w or rh > h:
        return None
    b = block_size(w, h)
    lo, hi = b // 4, b - b // 4
    region = img[:rh, :rw].reshape(ROWS, b, COLS, b, *img.shape[2:])
    centres = region[:, lo:hi, :, lo:hi]
    axes = (1, 3, 4) if img.ndim == 3 else (1, 3)
    means = centres.mean(axis=axes, dtype=np.float32)
    if np.any((means > _LOW) & (means < _HIGH)):
        return None
    return decode_bits(means >= _HIGH)


def pack_world(action_id: int, seq: int) -> int:
    """Marker value for a world-model frame: action id (12 bits) and frame seq (20 bits).

    Both wrap, so compare ids with `unpack_world` results of recent frames only.
    """
    return ((action_id & _ACTION_MASK) << WORLD_SEQ_BITS) | (seq & _SEQ_MASK)


def unpack_world(value: int) -> tuple[int, int]:
    """(action_id, seq) from a `pack_world` value."""
    return (value >> WORLD_SEQ_BITS) & _ACTION_MASK, value & _SEQ_MASK
