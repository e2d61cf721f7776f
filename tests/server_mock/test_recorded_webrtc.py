"""`rtprobe mock --from FILE` serving a WebRTC recording: a recorded session answers a
new offer with the mock's own peer, its video track sends the recorded frames at their
recorded times and sizes with their recorded markers, the recorded replies answer the
client's other messages; garbage, huge or unservable recordings are one line."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import websockets

from app.core.codecs import webrtc_marker as marker
from app.core.record import har
from server_mock import MockConfig, MockServer
from server_mock.recorded import RecordingError, input_key, load, tabulate
from server_mock.recorded_media import MAX_FRAMES, UNKNOWN, MediaError, media_session

RTPROBE = [sys.executable, "-m", "app"]


def rtprobe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RTPROBE, *args], capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL
    )


def summary_of(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def entry(frames: Any, messages: list[har.WsFrame] | None = None, **private: Any) -> har.Entry:
    t0 = 1_800_000_000.0
    messages = (
        messages if messages is not None else [har.WsFrame("receive", t0, 1, '{"type":"ready"}')]
    )
    return har.Entry(
        kind="websocket",
        url="ws://127.0.0.1:1/mock/yolo/webrtc",
        started=t0,
        frames=messages,
        transport="webrtc",
        private={"_rtprobeFrames": frames, **private},
    )


def write(tmp_path: Path, *entries: har.Entry) -> Path:
    path = tmp_path / "made.har"
    path.write_text(har.dumps(har.build(list(entries), "test")))
    return path


SESSIONS = {
    # app, flags of the recorded run and of the run against the double, the double's route
    "yolo-json-v2v": ("yolo", ["--size", "320x240", "--fps", "15", "--data-channel"], "webrtc"),
    "world-msgpack-generated": ("world", ["--actions-every", "0.5"], "webrtc"),
    "wma-start-session": (
        "wma",
        ["--webrtc-flavour", "wma", "--actions-every", "0.5"],
        "start-session",
    ),
}


@pytest.mark.parametrize("name", list(SESSIONS))
def test_a_recorded_webrtc_session_is_served_with_its_frames(
    ws_base: str, tmp_path: Path, name: str
) -> None:
    app, flags, route = SESSIONS[name]
    recording, recorded_json = tmp_path / "r.har", tmp_path / "r.json"
    target = f"{ws_base}/mock/{app}/webrtc"
    done = rtprobe(
        "run", "webrtc", target, "--duration", "2", *flags, "--record", str(recording),
        "--json", str(recorded_json), "--no-history",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    recorded = summary_of(recorded_json)
    with MockServer.in_thread(MockConfig(recording=str(recording))) as base:
        url = f"{base}/mock/{app}/{route}"
        url = url if route == "start-session" else url.replace("http://", "ws://")
        described = rtprobe("describe", f"{base}/mock/{app}")
        assert described.returncode == 0, described.stderr
        assert f"rtprobe run webrtc {url}" in described.stdout
        out, again = tmp_path / "served.json", tmp_path / "served.har"
        done = rtprobe(
            "run", "webrtc", url, "--duration", "2", *flags, "--json", str(out),
            "--record", str(again), "--no-history",
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    served = summary_of(out)
    assert served["frames_in"] >= 0.7 * recorded["frames_in"], (served, recorded)
    assert served["frames_in"] <= recorded["frames_in"]  # the recording's frames, no more
    assert served["frames_lost"] == 0
    assert served["resolution"]["in"]["median"] == recorded["resolution"]["in"]["median"]
    assert served["fps_in"] == pytest.approx(recorded["fps_in"], rel=0.35)
    assert served["connection"]["signaling"] == recorded["connection"]["signaling"]
    if app == "yolo":  # v2v: the client's own frame ids come back, timed
        assert served["frame_latency_ms"]["count"] >= 0.7 * recorded["frame_latency_ms"]["count"]
        # and the recorded boxes on the data channel, in order
        (first,), (second,) = har.parse(recording.read_bytes()), har.parse(again.read_bytes())
        boxes = [m["data"] for m in first.private["_rtprobeDataChannel"]]
        got = [m["data"] for m in second.private["_rtprobeDataChannel"]]
        assert boxes and len(got) >= 0.7 * len(boxes) and got == boxes[: len(got)]
    else:  # generated: the new client's actions show in the frames, timed
        assert served["received"] >= 1 and served["errors"] == 0


def _pictures(path: Path) -> dict[int, np.ndarray]:
    """The recorded pictures of received frames, by marker value."""
    (e,) = har.parse(path.read_bytes())
    out = {}
    for f in e.private["_rtprobeFrames"]:
        if f["direction"] == "in" and "pixels" in f and isinstance(f.get("frameId"), int):
            data = base64.b64decode(f["pixels"])
            with av.open(io.BytesIO(data), mode="r") as container:
                frame = next(container.decode(video=0))
            out[f["frameId"]] = frame.to_ndarray(format="rgb24").astype(np.int16)
    return out


def test_recorded_pixels_are_served_instead_of_synthetic_ones(ws_base: str, tmp_path: Path) -> None:
    flags = ["--size", "320x240", "--fps", "15", "--duration", "2", "--no-history"]
    first, second = tmp_path / "first.har", tmp_path / "second.har"
    target = f"{ws_base}/mock/yolo/webrtc"
    done = rtprobe("run", "webrtc", target, *flags, "--record", str(first), "--record-pixels")
    assert done.returncode == 0, done.stderr
    recorded = _pictures(first)
    assert recorded
    with MockServer.in_thread(MockConfig(recording=str(first))) as base:
        url = base.replace("http://", "ws://") + "/mock/yolo/webrtc"
        done = rtprobe("run", "webrtc", url, *flags, "--record", str(second), "--record-pixels")
        assert done.returncode == 0, done.stderr
    served = _pictures(second)
    same = sorted(set(recorded) & set(served))
    assert len(same) >= 0.7 * len(recorded)
    # the served picture of frame k is the recorded one (the world scene would differ
    # everywhere), but for the marker, re-encoding and scaling
    _, _, mw, mh = marker.marker_region(160, 120)
    for k in same:
        a, b = recorded[k], served[k]
        a[:mh, :mw] = b[:mh, :mw] = 0
        assert np.abs(a - b).mean() < 12, k


async def _signal(url: str, *messages: dict[str, Any], want: int) -> list[dict[str, Any]]:
    """The first `want` messages the server sends after these (JSON signaling)."""
    got: list[dict[str, Any]] = []
    async with websockets.connect(url, open_timeout=10) as ws:
        for message in messages:
            await ws.send(json.dumps(message))
        while len(got) < want:
            got.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    return got


async def test_a_bad_offer_gets_the_normal_mocks_error_and_replies_are_replayed(
    ws_base: str, tmp_path: Path
) -> None:
    t0 = 1_800_000_000.0
    messages = [
        har.WsFrame("receive", t0, 1, '{"type":"ready"}'),
        har.WsFrame("send", t0 + 0.1, 1, '{"type":"offer","sdp":"v=0"}'),
        har.WsFrame("receive", t0 + 0.2, 1, '{"type":"answer","sdp":"v=0"}'),
        har.WsFrame("send", t0 + 1.0, 1, '{"type":"pause","paused":true}'),
        har.WsFrame("receive", t0 + 1.05, 1, '{"type":"pause","paused":true}'),
    ]
    frames = [{"time": t0 + 0.5 + i / 30, "direction": "in", "frameId": i + 1} for i in range(5)]
    path = write(tmp_path, entry(frames, messages, _rtprobeSettings={"signaling": "json"}))
    bad = {"type": "offer"}
    normal = await _signal(f"{ws_base}/mock/yolo/webrtc", bad, want=2)
    with MockServer.in_thread(MockConfig(recording=str(path))) as base:
        url = base.replace("http://", "ws://") + "/mock/yolo/webrtc"
        served = await _signal(url, bad, want=2)
        assert served == normal and served[1]["type"] == "error", served
        assert served[1]["error"].startswith("offer_failed:ValueError:")
        pause, unknown = {"type": "pause", "paused": True}, {"type": "action", "action": "w"}
        replies = await _signal(url, pause, unknown, want=3)
    assert replies[0] == {"type": "ready"}
    assert {"type": "pause", "paused": True} in replies[1:]
    errors = [r for r in replies[1:] if r["type"] == "error"]
    assert (
        len(errors) == 1 and UNKNOWN in errors[0]["error"] and "bad_message" in errors[0]["error"]
    )


@pytest.mark.parametrize(
    "frames",
    [
        "garbage",
        [1, "x", None, [], {"time": "soon"}, {"time": True, "direction": "in"}],
        [{"time": 1_800_000_000.5, "direction": "out", "frameId": 1}],  # nothing received
    ],
)
def test_a_recording_with_no_frame_to_serve_is_one_line(tmp_path: Path, frames: Any) -> None:
    path = write(tmp_path, entry(frames))
    with pytest.raises(RecordingError, match="no received video frame"):
        load(path)
    done = rtprobe("mock", "--port", "0", "--from", str(path))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "no received video frame" in lines[0] and "Traceback" not in done.stderr


def test_garbage_frame_items_are_left_out_and_the_rest_served() -> None:
    t0 = 1_800_000_000.0
    frames = [
        {"time": t0 + 1, "direction": "in", "frameId": 2, "size": "huge"},
        "garbage",
        {"time": t0 + 0.5, "direction": "in", "frameId": True, "size": "320x240"},
        {"time": t0 + 2, "direction": "in", "frameId": -5, "size": "99999x1"},
        {"time": t0 + 3, "direction": "sideways", "frameId": 4},
        {"time": t0 + 4, "direction": "in", "frameId": 7, "size": "161x121", "pixels": "!!"},
    ]
    data = [
        1,
        {"time": "x", "data": "a"},
        {"time": t0 + 1, "data": 5},
        {"time": t0 + 1.5, "data": "ok"},
        {"time": t0 + 2, "data": "!!", "encoding": "base64"},
        {"time": t0 + 1e9, "data": "far"},
        {"time": t0 + 1.2, "data": "AAE=", "encoding": "base64"},
    ]
    session = media_session(entry(frames, _rtprobeDataChannel=data), input_key)
    assert session.data == [(pytest.approx(0.7), b"\x00\x01"), (1.0, "ok")]
    got = [(f.at, f.width, f.height, f.value, f.picture) for f in session.frames]
    assert got == [
        (0.0, 320, 240, None, None),  # in time order; a bool is no marker
        (0.5, 320, 240, 2, None),  # a bad size: the previous frame's
        (1.5, 320, 240, None, None),
        (3.5, 160, 120, 7, None),  # even sides; pixels that are not base64 are none
    ]
    assert session.dropped == 2 and session.greetings == [{"type": "ready"}]


def test_a_recording_with_100k_frame_items_is_bounded(tmp_path: Path) -> None:
    t0 = 1_800_000_000.0
    frames = [{"time": t0 + i / 30, "direction": "in", "frameId": i + 1} for i in range(100_000)]
    path = write(tmp_path, entry(frames))
    started = time.monotonic()
    (route,) = load(path).values()
    assert len(route.media[0].frames) == MAX_FRAMES < 100_000
    assert route.media[0].dropped == 100_000 - MAX_FRAMES
    assert time.monotonic() - started < 60  # bounded, not a performance figure


def test_a_wma_rest_session_cannot_be_served_and_says_so_in_one_line(tmp_path: Path) -> None:
    frames = [{"time": 1_800_000_000.5, "direction": "in", "frameId": 1}]
    path = write(tmp_path, entry(frames, _rtprobeSettings={"flavour": "wma-rest"}))
    done = rtprobe("mock", "--port", "0", "--from", str(path))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "wma-rest flavour cannot be served" in lines[0] and "rtprobe replay" in lines[0]
    wma = media_session(entry(frames, _rtprobeConnection={"signaling": "4c-wma"}), input_key)
    assert len(wma.frames) == 1  # the start-session flavour is served
    with pytest.raises(MediaError):
        media_session(entry(frames, _rtprobeConnection={"signaling": "4c-wma-rest"}), input_key)


def test_webrtc_sessions_beside_other_paths_are_tabulated_per_connection() -> None:
    frames = [{"time": 1_800_000_000.5, "direction": "in", "frameId": 1}]
    table = tabulate([entry(frames), entry(frames), entry([])])
    (route,) = table.values()
    assert route.kind == "webrtc" and route.flavour == "json" and len(route.media) == 2


def test_a_recorded_picture_that_does_not_decode_is_none() -> None:
    from app.core.record.pixels import jpeg
    from server_mock.webrtc.recorded import picture

    assert picture(b"\xff\xd8 not a jpeg", 64, 48) is None
    assert picture(b"", 64, 48) is None
    good = jpeg(160, 120, bytes(160 * 120 * 3))
    assert picture(good, 320, 240).shape == (240, 320, 3)  # type: ignore[union-attr]
    giant = bytearray(good)  # a header claiming 60000x60000: never decoded
    at = giant.find(b"\xff\xc0") + 5
    giant[at : at + 4] = (60000).to_bytes(2, "big") * 2
    assert picture(bytes(giant), 320, 240) is None


def test_a_webrtc_recording_replayed_against_its_double_gets_its_video(
    ws_base: str, tmp_path: Path
) -> None:
    recording = tmp_path / "w.har"
    target = f"{ws_base}/mock/world/webrtc"
    done = rtprobe(
        "run", "webrtc", target, "--duration", "2", "--actions-every", "0.5",
        "--record", str(recording), "--no-history",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with MockServer.in_thread(MockConfig(recording=str(recording))) as base:
        done = rtprobe("replay", str(recording), "--target", base, "--no-history")
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("webrtc entry 0:")]
    assert "frames in" in line and "action → frame" in line and "(no video)" not in line
