"""Marked video sources: sizes, readable frame ids, send log, pacing, file and camera errors.

Every loop is bounded in frames; the pacing check uses generous bounds only.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from app.core.codecs import webrtc_marker as marker
from app.core.errors import TargetError
from app.core.media import (
    FileSource,
    SendLog,
    SyntheticSource,
    WebcamSource,
    read_marker,
    source_factory,
)

pytestmark = pytest.mark.timeout(30)


async def take(source, n: int) -> list[av.VideoFrame]:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(10):
        return [await source.recv() for _ in range(n)]


@pytest.mark.parametrize(("w", "h"), [(320, 240), (640, 480), (1280, 720)])
async def test_synthetic_frames_have_the_size_and_readable_ids(w: int, h: int) -> None:
    source = SyntheticSource(w, h, fps=240)
    seen: list[tuple[int, int]] = []
    source.on_frame = lambda frame_id, t: seen.append((frame_id, t))
    frames = await take(source, 6)
    source.stop()
    assert all((f.width, f.height, f.format.name) == (w, h, "yuv420p") for f in frames)
    assert [read_marker(f) for f in frames] == [1, 2, 3, 4, 5, 6]
    assert [i for i, _ in seen] == [1, 2, 3, 4, 5, 6]
    times = [source.sent.get(i) for i in range(1, 7)]
    assert times == [t for _, t in seen] and times == sorted(times)
    assert source.frames_sent == 6 and source.last_id == 6
    pts = [f.pts for f in frames]
    assert pts == sorted(set(pts))
    # the pattern moves: consecutive frames differ outside the marker
    a = frames[0].to_ndarray()[h // 2 :]
    b = frames[-1].to_ndarray()[h // 2 :]
    assert np.any(a != b)


async def test_marker_area_is_neutral_grey() -> None:
    frames = await take(SyntheticSource(640, 480, fps=240), 1)
    _, _, mw, mh = marker.marker_region(640, 480)
    data = frames[0].to_ndarray()  # yuv420p: Y rows, then U and V
    u = data[480 : 480 + 120].reshape(240, 320)
    assert np.all(u[: mh // 2, : mw // 2] == 128)


async def test_synthetic_paces_itself_at_60_fps() -> None:
    source = SyntheticSource(320, 240, fps=60)
    t0 = time.perf_counter()
    await take(source, 31)  # 30 intervals = 0.5 s
    elapsed = time.perf_counter() - t0
    # never faster than its rate (the property); the upper bound only catches a source
    # that stalls (a busy machine stretches the wall clock, so it is generous)
    assert 0.4 < elapsed < 5.0, elapsed


def test_bad_sizes_and_rates_are_target_errors() -> None:
    with pytest.raises(TargetError, match="even"):
        SyntheticSource(321, 240)
    with pytest.raises(TargetError, match="too small"):
        SyntheticSource(16, 16)
    with pytest.raises(TargetError, match="fps"):
        SyntheticSource(320, 240, fps=0)


def test_send_log_is_a_ring() -> None:
    log = SendLog(size=8)
    log.record(3, 30)
    assert log.get(3) == 30 and log.get(4) is None
    log.record(11, 110)  # same slot as 3
    assert log.get(3) is None and log.get(11) == 110


def write_video(path: Path, frames: int = 10, w: int = 160, h: int = 120) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i in range(frames):
            img = np.full((h, w, 3), 40 + i * 10, np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())


async def test_file_source_resizes_stamps_and_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_video(path, frames=10)
    source = FileSource(path, fps=240, width=320, height=240)
    try:
        frames = await take(source, 25)
    finally:
        source.stop()
    assert all((f.width, f.height) == (320, 240) for f in frames)
    assert [read_marker(f) for f in frames] == list(range(1, 26))
    assert source.loops >= 2


async def test_file_source_defaults_to_the_files_size_and_can_end(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_video(path, frames=5)
    source = FileSource(path, fps=240, loop=False)
    assert (source.width, source.height) == (160, 120)
    frames = await take(source, 5)
    assert len(frames) == 5
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(source.recv(), 5)
    assert source.readyState == "ended"


def test_missing_and_unreadable_files_are_one_line_target_errors(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="does not exist") as missing:
        FileSource(tmp_path / "nope.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video\n" * 10)
    with pytest.raises(TargetError, match=r"junk\.mp4") as unreadable:
        FileSource(junk)
    for exc in (missing.value, unreadable.value):
        assert "\n" not in str(exc)


def test_no_camera_is_a_one_line_target_error() -> None:
    with pytest.raises(TargetError, match="camera") as info:
        WebcamSource("/dev/video-rtprobe-none")
    assert "\n" not in str(info.value)


async def test_source_factory_from_a_spec(tmp_path: Path) -> None:
    make = source_factory("synthetic", 320, 240, 60)
    first, second = make(), make()
    assert first is not second and (first.width, first.height, first.fps) == (320, 240, 60)
    path = tmp_path / "clip.mp4"
    write_video(path, frames=3)
    from_file = source_factory(f"file:{path}", 320, 240, 240)()
    try:
        assert [read_marker(f) for f in await take(from_file, 4)] == [1, 2, 3, 4]
    finally:
        from_file.stop()
    for bad in ("bogus", "file:", f"file:{tmp_path / 'missing.mp4'}"):
        with pytest.raises(TargetError):
            source_factory(bad)
    with pytest.raises(TargetError, match="camera"):
        source_factory("camera:/dev/video-rtprobe-none")()
