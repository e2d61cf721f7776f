"""The frame marker: pure round trips, corruption detection, and survival through VP8."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.codecs import webrtc_marker as marker

SIZES = [(160, 120), (320, 240), (640, 352), (640, 480), (1280, 720), (1920, 1080)]


def scene(width: int, height: int, i: int) -> np.ndarray:
    """A moving colour pattern, like a camera would give (not a flat background)."""
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = ((xx + 4 * i) * 255 // width) % 256
    img[..., 1] = ((yy + 2 * i) * 255 // height) % 256
    img[..., 2] = ((xx // 32 + yy // 32 + i // 4) % 2) * 200
    return img


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_round_trip_rgb_and_luma(width: int, height: int) -> None:
    img = scene(width, height, 0)
    marker.stamp(img, 0xDEADBEEF)
    assert marker.read(img) == 0xDEADBEEF
    assert marker.read(img[:, :, ::-1].copy()) == 0xDEADBEEF  # BGR reads the same
    luma = np.full((height, width), 128, np.uint8)
    marker.stamp(luma, 12345)
    assert marker.read(luma) == 12345


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_stamp_stays_inside_region(width: int, height: int) -> None:
    img = np.full((height, width, 3), 77, np.uint8)
    marker.stamp(img, 0xFFFFFFFF)
    x, y, w, h = marker.marker_region(width, height)
    outside = img.copy()
    outside[y : y + h, x : x + w] = 77
    assert (outside == 77).all()
    assert w <= width // 4 and h <= height // 4


def test_block_size_adapts() -> None:
    assert marker.block_size(160, 120) == 4
    assert marker.block_size(640, 352) == 4
    assert marker.block_size(640, 480) == 16
    assert marker.block_size(1920, 1080) == 16
    assert marker.marker_region(1920, 1080) == (0, 0, 128, 112)


def test_absent_marker_reads_none() -> None:
    for level in (0, 128, 255):
        assert marker.read(np.full((480, 640, 3), level, np.uint8)) is None
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    assert marker.read(noise) is None
    assert marker.read(np.zeros((20, 20, 3), np.uint8)) is None  # too small for a marker


def test_value_range_is_checked() -> None:
    img = np.zeros((120, 160, 3), np.uint8)
    with pytest.raises(ValueError):
        marker.stamp(img, -1)
    with pytest.raises(ValueError):
        marker.stamp(img, 1 << 32)
    with pytest.raises(ValueError):
        marker.stamp(np.zeros((10, 10, 3), np.uint8), 1)


def test_every_single_block_flip_is_detected() -> None:
    grid = marker.encode_bits(0x01234567)
    for r in range(marker.ROWS):
        for c in range(marker.COLS):
            bad = grid.copy()
            bad[r, c] ^= 1
            assert marker.decode_bits(bad) is None, (r, c)


def test_grey_block_reads_none() -> None:
    img = np.zeros((480, 640, 3), np.uint8)
    marker.stamp(img, 99)
    b = marker.block_size(640, 480)
    img[b : 2 * b, 2 * b : 3 * b] = 128  # an ambiguous block, e.g. a half-decoded frame
    assert marker.read(img) is None


@settings(max_examples=200, deadline=None)
@given(
    value=st.integers(0, marker.MAX_VALUE),
    width=st.integers(160, 1920),
    height=st.integers(120, 1080),
    background=st.integers(0, 255),
)
def test_round_trip_property(value: int, width: int, height: int, background: int) -> None:
    img = np.full((height, width, 3), background, np.uint8)
    marker.stamp(img, value)
    assert marker.read(img) == value


@settings(max_examples=200, deadline=None)
@given(value=st.integers(0, marker.MAX_VALUE), flips=st.sets(st.integers(0, 55), min_size=1))
def test_corruption_never_reads_as_a_value(value: int, flips: set[int]) -> None:
    bits = marker.encode_bits(value).reshape(-1)
    for i in flips:
        bits[i] ^= 1
    decoded = marker.decode_bits(bits)
    # Rarely a multi-bit corruption is another valid code word; never the same value.
    assert decoded != value
    if len(flips) <= 3:
        assert decoded is None


@given(action=st.integers(0, 4095), seq=st.integers(0, (1 << 20) - 1))
def test_pack_world_round_trip(action: int, seq: int) -> None:
    assert marker.unpack_world(marker.pack_world(action, seq)) == (action, seq)


def test_pack_world_wraps() -> None:
    assert marker.unpack_world(marker.pack_world(4097, (1 << 20) + 5)) == (1, 5)


def _vp8_round_trip(frames: list[np.ndarray], bitrate: int) -> list[np.ndarray]:
    """Encode with aiortc's own VP8 encoder settings, decode as aiortc does; luma planes."""
    from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
    from aiortc.jitterbuffer import JitterFrame

    encoder, decoder = Vp8Encoder(), Vp8Decoder()
    encoder.target_bitrate = bitrate
    out = []
    for i, img in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = i * 3000, Fraction(1, 90000)
        payloads, timestamp = encoder.encode(frame)
        data = b"".join(vp8_depayload(p) for p in payloads)
        for decoded in decoder.decode(JitterFrame(data=data, timestamp=timestamp)):
            out.append(decoded.to_ndarray(format="yuv420p")[: img.shape[0]])
    return out


@pytest.mark.parametrize(("width", "height"), [(160, 120), (640, 352), (640, 480), (1280, 720)])
@pytest.mark.parametrize("bitrate", [250_000, 500_000])
def test_survives_vp8(width: int, height: int, bitrate: int) -> None:
    values = [(i * 2654435761) % (1 << 32) for i in range(20)]
    frames = []
    for i, value in enumerate(values):
        img = scene(width, height, i)
        marker.stamp(img, value)
        frames.append(img)
    read = [marker.read(luma) for luma in _vp8_round_trip(frames, bitrate)]
    assert read == values


def test_survives_h264() -> None:
    width, height = 640, 480
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = 1_000_000
    codec.time_base = Fraction(1, 30)
    codec.options = {"preset": "ultrafast", "tune": "zerolatency"}
    decoder = av.CodecContext.create("h264", "r")
    read: list[int | None] = []
    for i in range(20):
        img = scene(width, height, i)
        marker.stamp(img, 1000 + i)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        for packet in codec.encode(frame):
            read += [marker.read(f.to_ndarray(format="rgb24")) for f in decoder.decode(packet)]
    for packet in codec.encode(None):
        read += [marker.read(f.to_ndarray(format="rgb24")) for f in decoder.decode(packet)]
    assert read == [1000 + i for i in range(20)]
