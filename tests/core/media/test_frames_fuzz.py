"""Fuzzing `read_marker` on real av frames: a marker stamped into an RGB frame reads
back from the yuv420p frame a decoder would hand over, and random planes of any format
read as a value or None."""

from __future__ import annotations

import av
import numpy as np
from hypothesis import strategies as st

from app.core.codecs import webrtc_marker as marker
from app.core.media.frames import plane_view, read_marker
from tests.support.fuzz import Target, define_tests, refused

EVEN = st.integers(16, 360).map(lambda n: 2 * n)  # the marker needs 32x28 px


def stamped_yuv(args: tuple[int, int, int]) -> None:
    value, width, height = args
    rgb = np.full((height, width, 3), 128, dtype=np.uint8)
    marker.stamp(rgb, value)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    assert read_marker(frame) == value


def random_frame(args: tuple[int, int, int, str]) -> None:
    seed, width, height, fmt = args
    frame = av.VideoFrame(width, height, fmt)
    rng = np.random.default_rng(seed)
    for i in range(len(frame.planes)):
        view = plane_view(frame, i)
        view[:] = rng.integers(0, 256, size=view.shape, dtype=np.uint8)
    with refused():
        value = read_marker(frame)
        assert value is None or 0 <= value <= marker.MAX_VALUE


TARGETS = [
    Target(
        "frames.stamped_yuv",
        st.tuples(st.integers(0, marker.MAX_VALUE), EVEN, EVEN),
        stamped_yuv,
        examples=60,
    ),
    Target(
        "frames.random_frame",
        st.tuples(st.integers(0, 2**32), EVEN, EVEN, st.sampled_from(["yuv420p", "gray", "rgb24"])),
        random_frame,
        examples=60,
    ),
]
define_tests(TARGETS, globals())
