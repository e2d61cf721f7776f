"""HDR histograms and per-second series as compact, exact bytes for the database.

A histogram is ~23k counters, almost all zero: it is stored as its non-zero counters'
(index, count) pairs, int32 and int64 little-endian, zlib-compressed, next to the exact
count/sum/min/max it keeps. Loading rebuilds the same counters, so every percentile
read from a stored run is the one the run itself read.
"""

from __future__ import annotations

import zlib

import numpy as np

from app.core.metrics import LatencyHistogram
from app.core.metrics.histogram import COUNTS_LEN

_INDEX = np.dtype("<i4")
_COUNT = np.dtype("<i8")
_FLOAT = np.dtype("<f8")


class CodecError(ValueError):
    """Stored bytes that do not decode to what was written (a damaged row)."""


def histogram_bytes(h: LatencyHistogram) -> bytes:
    counts = h._counts  # the histogram's own counters: the exact state to keep
    nz = np.nonzero(counts)[0]
    raw = nz.astype(_INDEX).tobytes() + counts[nz].astype(_COUNT).tobytes()
    return zlib.compress(raw, 6)


def histogram_state(h: LatencyHistogram) -> tuple[int, int, int, int, int]:
    """(count, sum µs, min µs, max µs, clamped): what the counters alone do not say."""
    return h._n, h._sum, h._min, h._max, h.clamped


def histogram_from(
    data: bytes, count: int, sum_us: int, min_us: int, max_us: int, clamped: int = 0
) -> LatencyHistogram:
    try:
        raw = zlib.decompress(data)
    except zlib.error as exc:
        raise CodecError(f"histogram bytes do not decompress: {exc}") from None
    pair = _INDEX.itemsize + _COUNT.itemsize
    if len(raw) % pair:
        raise CodecError(f"histogram bytes have a length ({len(raw)}) that is not whole pairs")
    n = len(raw) // pair
    index = np.frombuffer(raw, dtype=_INDEX, count=n).astype(np.int64)
    counts = np.frombuffer(raw, dtype=_COUNT, count=n, offset=n * _INDEX.itemsize)
    if n and (index.min() < 0 or index.max() >= COUNTS_LEN):
        raise CodecError("histogram bytes name a counter outside the histogram")
    if int(counts.sum()) != count:
        raise CodecError(f"histogram counters add up to {int(counts.sum())}, not {count}")
    h = LatencyHistogram()
    h._counts[index] = counts
    h._n, h._sum, h._min, h._max, h.clamped = count, sum_us, min_us, max_us, clamped
    return h


def series_bytes(values: np.ndarray) -> bytes:
    return zlib.compress(np.ascontiguousarray(values, dtype=_FLOAT).tobytes(), 6)


def series_from(data: bytes) -> np.ndarray:
    try:
        raw = zlib.decompress(data)
    except zlib.error as exc:
        raise CodecError(f"series bytes do not decompress: {exc}") from None
    if len(raw) % _FLOAT.itemsize:
        raise CodecError("series bytes are not whole float64 values")
    return np.frombuffer(raw, dtype=_FLOAT).astype(np.float64)
