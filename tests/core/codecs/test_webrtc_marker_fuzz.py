"""Fuzzing the frame marker: any value stamped on any background reads back, any plane
reads as a value or None (never raises), and a value is read only from a grid whose
sync bits and CRC are right, so noise is never taken for a frame id."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from app.core.codecs import webrtc_marker as marker
from tests.support.fuzz import Target, define_tests, refused

VALUES = st.integers(min_value=0, max_value=marker.MAX_VALUE)
SIZES = st.tuples(st.integers(1, 720), st.integers(1, 720))


def plane(seed: int, height: int, width: int, colour: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (height, width, 3) if colour else (height, width)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def stamp_round_trip(args: tuple[int, int, tuple[int, int], bool]) -> None:
    value, seed, (height, width), colour = args
    img = plane(seed, max(height, 64), max(width, 64), colour)
    marker.stamp(img, value)
    assert marker.read(img) == value


def random_plane(args: tuple[int, tuple[int, int], bool]) -> None:
    seed, (height, width), colour = args
    with refused():
        value = marker.read(plane(seed, height, width, colour))
        assert value is None or 0 <= value <= marker.MAX_VALUE


def random_grid(args: tuple[int, int, bool]) -> None:
    """Blocks of pure black/white with random bits (sync bits right or not): a value
    comes out only when the bits are exactly that value's encoding."""
    seed, size, keep_sync = args
    bits = np.random.default_rng(seed).integers(0, 2, size=(marker.ROWS, marker.COLS))
    if keep_sync:
        bits.reshape(-1)[:4] = (1, 0, 1, 0)
        bits.reshape(-1)[-4:] = (0, 1, 0, 1)
    b = marker.block_size(size, size)
    img = np.zeros((size, size), dtype=np.uint8)
    img[: marker.ROWS * b, : marker.COLS * b] = np.kron(bits, np.ones((b, b))) * 255
    value = marker.read(img)
    if value is not None:
        assert np.array_equal(marker.encode_bits(value), bits)


TARGETS = [
    Target(
        "marker.stamp_round_trip",
        st.tuples(VALUES, st.integers(0, 2**32), SIZES, st.booleans()),
        stamp_round_trip,
    ),
    Target(
        "marker.random_plane", st.tuples(st.integers(0, 2**32), SIZES, st.booleans()), random_plane
    ),
    Target(
        "marker.random_grid",
        st.tuples(st.integers(0, 2**32), st.sampled_from([64, 200, 480, 720]), st.booleans()),
        random_grid,
    ),
]
define_tests(TARGETS, globals())
