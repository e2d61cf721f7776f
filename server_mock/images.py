"""Small images made on the spot, so the mock needs no data files or network."""

from __future__ import annotations

import struct
import zlib

import numpy as np


def encode_png(rgb: np.ndarray, level: int = 1) -> bytes:
    """Encode an (H, W, 3) uint8 array as a PNG (no Qt, no PIL)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("encode_png wants an (H, W, 3) uint8 array")
    height, width, _ = rgb.shape
    raw = np.zeros((height, width * 3 + 1), dtype=np.uint8)  # filter byte 0 per row
    raw[:, 1:] = rgb.reshape(height, width * 3)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), level))
        + chunk(b"IEND", b"")
    )


def gradient_image(width: int, height: int, seed: int = 0, progress: float = 1.0) -> np.ndarray:
    """A smooth, seed-dependent picture that 'sharpens' as progress goes 0 → 1."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    phase = rng.uniform(0, 2 * np.pi, size=3).astype(np.float32)
    freq = rng.uniform(2, 6, size=3).astype(np.float32)
    img = np.empty((height, width, 3), dtype=np.float32)
    for c in range(3):
        img[:, :, c] = 0.5 + 0.5 * np.sin(freq[c] * (x + y * (c + 1)) * np.pi + phase[c])
    noise = rng.random((height, width, 1), dtype=np.float32)
    p = float(np.clip(progress, 0.0, 1.0))
    img = p * img + (1.0 - p) * noise
    return (img * 255).astype(np.uint8)
