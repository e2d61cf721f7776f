"""Drop-stale on the mock's WebRTC apps: a starved frame handler keeps its receive queue
bounded and counts the frames it drops; without the option the queue grows as before.

The unit part starves the handler deterministically (five frames arrive for each one it
takes, by count, not by time); the end-to-end part runs the real client against the real
mock with the `frame_work_ms` fault (100 ms of work per frame, frames sent at 30 fps)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from aiortc import MediaStreamTrack

from server_mock import drop_stale
from server_mock.drop_stale import Counters, parse
from server_mock.webrtc.stale import FrameQueue
from tests.commands.test_run import rtprobe


class _Remote(MediaStreamTrack):
    """aiortc's RemoteStreamTrack, as far as FrameQueue sees it: an asyncio queue the
    decoder fills, `recv()` taking from it."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._queue: asyncio.Queue[object] = asyncio.Queue()

    async def recv(self) -> object:
        return await self._queue.get()


async def _starve(on: bool, steps: int = 20, burst: int = 5) -> tuple[FrameQueue, list[int]]:
    track, counters = _Remote(), Counters()
    frames = FrameQueue(track, on, counters)
    taken, sent = [], 0
    for _ in range(steps):  # each step: `burst` frames arrive, the slow handler takes one
        for _ in range(burst):
            track._queue.put_nowait(sent)
            sent += 1
        taken.append(await frames.next())
    assert frames.counters is counters
    return frames, taken


def test_a_starved_handler_keeps_its_queue_bounded_and_counts_drops() -> None:
    frames, taken = asyncio.run(_starve(on=True))
    assert frames.depth == 0 and frames.depth_max <= 5  # never more than one burst waits
    assert taken == [5 * i + 4 for i in range(20)]  # always the newest frame
    assert frames.dropped == 100 - 20 == frames.counters.dropped  # every other frame


def test_without_drop_stale_the_queue_grows_as_before() -> None:
    frames, taken = asyncio.run(_starve(on=False))
    assert taken == list(range(20))  # in order, each one older than the last
    assert frames.depth == frames.depth_max == 100 - 20  # grows by four a step
    assert frames.dropped == 0 == frames.counters.dropped


def test_one_frame_of_jitter_is_not_dropped() -> None:
    async def run() -> tuple[FrameQueue, list[object]]:
        track = _Remote()
        frames = FrameQueue(track, True, Counters())
        taken = []
        for i in range(10):  # two frames arrive together, the handler takes both in time
            track._queue.put_nowait(2 * i)
            track._queue.put_nowait(2 * i + 1)
            taken += [await frames.next(), await frames.next()]
        return frames, taken

    frames, taken = asyncio.run(run())
    assert taken == list(range(20)) and frames.dropped == 0 and frames.depth_max == 1


def test_the_end_of_the_track_is_kept_for_the_next_call() -> None:
    async def run() -> tuple[object, object]:
        track = _Remote()
        frames = FrameQueue(track, True, Counters())
        for item in (1, 2, None):
            track._queue.put_nowait(item)
        return await frames.next(), await frames.next()

    assert asyncio.run(run()) == (2, None)  # 1 dropped (two waited), then the end


@pytest.mark.parametrize(("text", "value"), [("on", True), ("OFF", False), ("1", True)])
def test_the_option_reads_on_and_off(text: str, value: bool) -> None:
    assert parse(text) is value


def test_a_bad_option_is_one_line() -> None:
    with pytest.raises(ValueError, match=r"^drop_stale='soon' must be on or off$"):
        parse("soon")


def _webrtc(ws_base: str, stale: str, out: Path) -> dict[str, object]:
    url = f"{ws_base}/mock/yolo/webrtc?frame_work_ms=100&drop_stale={stale}"
    done = rtprobe(
        "run", "webrtc", url, "--duration", "3", "--size", "320x240", "--no-history",
        "--json", str(out), timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(out.read_text()))


def test_end_to_end_drops_reach_the_clients_accounting(
    monkeypatch: pytest.MonkeyPatch, mock_base: str, ws_base: str, tmp_path: Path
) -> None:
    monkeypatch.setattr(drop_stale, "COUNTERS", Counters())  # this test's sessions only
    on = _webrtc(ws_base, "on", tmp_path / "on.json")
    health = httpx.get(f"{mock_base}/health", timeout=5).json()
    dropped, bounded = health["webrtc_frames_dropped_stale"], health["webrtc_frame_queue_max"]
    assert health["webrtc_drop_stale"] == "on"  # the server's default
    assert dropped > 0
    # 100 ms a frame, 30 fps in: about three frames wait at each take, never a backlog
    assert bounded <= 15, bounded
    assert on["frames_lost"] > 0  # the client sees the dropped frames as lost
    assert on["frames_out"] >= on["frames_in"] + on["frames_lost"]
    off = _webrtc(ws_base, "off", tmp_path / "off.json")
    health = httpx.get(f"{mock_base}/health", timeout=5).json()
    assert health["webrtc_frames_dropped_stale"] == dropped  # off: nothing dropped
    assert health["webrtc_frame_queue_max"] > max(bounded, 20)  # the backlog grew
    assert off["frame_latency_ms"]["p50"] > on["frame_latency_ms"]["p50"]


def test_a_bad_drop_stale_refuses_the_connection_in_one_line(ws_base: str) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws_base}/mock/yolo/webrtc?drop_stale=soon", open_timeout=10)
    assert refused.value.response.status_code == 400
    assert b"drop_stale='soon' must be on or off" in refused.value.response.body


def test_the_mock_says_its_drop_stale_default_on_stdout_and_in_health() -> None:
    import threading

    from server_mock.process import MockProcess

    mock = MockProcess("--drop-stale", "off")
    mock.spawn()
    try:
        assert mock.proc is not None and mock.proc.stdout is not None
        stdout, lines = mock.proc.stdout, []
        reader = threading.Thread(
            target=lambda: lines.extend(stdout.readline() for _ in range(3)), daemon=True
        )
        reader.start()
        reader.join(30)
        assert len(lines) == 3, lines
        assert lines[2].strip() == "WebRTC drop stale: off"
        base = lines[0].split()[-1]
        health = httpx.get(base + "/health", timeout=10).json()
        assert health["webrtc_drop_stale"] == "off"
        assert health["webrtc_frames_dropped_stale"] == 0
    finally:
        mock.stop()
