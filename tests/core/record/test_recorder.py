"""Recording each transport against the real mock: every frame both ways, with its time,
direction, opcode and bytes, in a HAR that parses back; and no secret in the file, even
when the server echoes it."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import msgpack
import pytest
from websockets.asyncio.server import ServerConnection, serve

from app.core.engine.build import RunSettings, build_config
from app.core.engine.run import RunControl, run
from app.core.events import Event, Message, Sample
from app.core.record import har
from app.core.record.recorder import Recorder
from app.core.redact import Redactor


async def record(settings: RunSettings, path: Path) -> tuple[list[Event], dict]:
    """Run `settings` with its frames recorded, as `rtprobe run --record` does."""
    config = build_config(dataclasses.replace(settings, record_messages=True))
    recorder = Recorder(config, "test")
    events: list[Event] = []
    control = RunControl()

    def emit(event: Event) -> None:
        events.append(event)
        recorder.feed(event)

    await asyncio.wait_for(run(config, emit, control), 90)
    recorder.write(path, control.redactor)
    return events, json.loads(path.read_text())


def frames_of(doc: dict) -> list[dict]:
    return [m for e in doc["log"]["entries"] for m in e.get("_webSocketMessages", [])]


async def test_realtime_frames_both_ways_with_time_opcode_and_bytes(
    mock_base: str, tmp_path: Path
) -> None:
    settings = RunSettings(
        transport="realtime",
        target="mock/echo",
        base_url=mock_base,
        count=6,
        concurrency=2,
        payload='{"prompt": "hi"}',
        max_buffering=4,
    )
    events, doc = await record(settings, tmp_path / "r.har")
    entries = doc["log"]["entries"]
    assert len(entries) == 2 and {e["_rtprobeSession"] for e in entries} == {0, 1}
    for e in entries:
        assert e["_resourceType"] == "websocket" and e["response"]["status"] == 101
        assert e["request"]["url"].endswith("/mock/echo/realtime?max_buffering=4")
        sent = [m for m in e["_webSocketMessages"] if m["type"] == "send"]
        got = [m for m in e["_webSocketMessages"] if m["type"] == "receive"]
        assert len(sent) == len(got) == 3
        for m in sent + got:
            assert m["opcode"] == 2 and isinstance(m["time"], float)
        first_in = msgpack.unpackb(base64.b64decode(sent[0]["data"]))
        assert first_in == {"prompt": "hi", "rtprobe_seq": 0}
        reply = msgpack.unpackb(base64.b64decode(got[0]["data"]))
        assert reply["prompt"] == "hi" and "server_send_ns" in reply
        times = [m["time"] for m in e["_webSocketMessages"]]
        assert times == sorted(times)
    # the bytes are the frames that went over the wire, as the inspector saw them
    raws = [m.raw for m in events if isinstance(m, Message) and m.direction == "out"]
    recorded = sorted(base64.b64decode(m["data"]) for m in frames_of(doc) if m["type"] == "send")
    assert sorted(raws) == recorded  # type: ignore[type-var]
    assert len(har.parse((tmp_path / "r.har").read_text())) == 2


async def test_raw_ws_text_and_binary(mock_base: str, tmp_path: Path) -> None:
    for fmt, opcode in (("json", 1), ("msgpack", 2)):
        settings = RunSettings(
            transport="ws",
            target="mock/echo/ws",
            base_url=mock_base,
            count=3,
            payload='{"x": 1}',
            payload_format=fmt,
        )
        _, doc = await record(settings, tmp_path / f"{fmt}.har")
        frames = frames_of(doc)
        assert [m["type"] for m in frames] == ["send", "receive"] * 3
        assert {m["opcode"] for m in frames} == {opcode}
        (entry,) = har.parse((tmp_path / f"{fmt}.har").read_text())
        assert entry.frames[0].data == entry.frames[1].data  # the echo: same bytes back


async def test_sse_requests_with_their_event_stream_and_times(
    mock_base: str, tmp_path: Path
) -> None:
    settings = RunSettings(
        transport="sse",
        target="mock/echo",
        base_url=mock_base,
        count=2,
        payload='{"count": 3, "interval_ms": 5}',
    )
    events, doc = await record(settings, tmp_path / "s.har")
    entries = doc["log"]["entries"]
    assert len(entries) == 2
    for e in entries:
        assert e["request"]["method"] == "POST"
        assert json.loads(e["request"]["postData"]["text"]) == {"count": 3, "interval_ms": 5}
        assert e["response"]["content"]["mimeType"] == "text/event-stream"
        assert e["response"]["content"]["text"].count("data: ") == 3
        assert len(e["_sseEvents"]) == 3 and e["_rtprobeOutcome"] == "received"
        started = har.parse(json.dumps(doc))[0].started
        assert all(ev["time"] >= started - 0.01 for ev in e["_sseEvents"])
        assert e["time"] > 0
    assert sum(1 for s in events if isinstance(s, Sample)) == 2


async def test_webrtc_signaling_and_per_frame_timing_no_pixels(
    mock_base: str, tmp_path: Path
) -> None:
    settings = RunSettings(
        transport="webrtc",
        target="mock/yolo",
        base_url=mock_base,
        duration_s=2.0,
        video_size="320x240",
    )
    _, doc = await record(settings, tmp_path / "w.har")
    (entry,) = doc["log"]["entries"]
    assert entry["_rtprobeTransport"] == "webrtc" and entry["_resourceType"] == "websocket"
    kinds = [
        (m["type"], json.loads(m["data"]).get("type"))
        for m in entry["_webSocketMessages"]
        if m["opcode"] == 1
    ]
    assert ("send", "offer") in kinds and ("receive", "answer") in kinds
    frames = entry["_rtprobeFrames"]
    assert {f["direction"] for f in frames} == {"out", "in"}
    assert any("latencyMs" in f for f in frames if f["direction"] == "in")
    assert len(json.dumps(doc)) < 2_000_000  # timing, not pixels
    settings = entry["_rtprobeSettings"]  # what a replay runs it again with
    assert settings["size"] == "320x240" and settings["durationS"] == 2.0
    assert settings["source"] == "synthetic" and "_rtprobeActions" not in entry


async def test_record_pixels_keeps_each_received_frame_as_a_small_jpeg(
    start_mock, tmp_path: Path
) -> None:
    import av

    from app.core.sessions.webrtc_preview import PIXELS_MAX_WIDTH

    with start_mock(key=KEY) as base:
        settings = RunSettings(
            transport="webrtc",
            target="mock/yolo",
            base_url=base,
            duration_s=1.5,
            video_size="320x240",
            key=KEY,
            record_pixels=True,
        )
        _, doc = await record(settings, tmp_path / "p.har")
    assert_no_secret(tmp_path / "p.har")  # redaction is unaffected
    (entry,) = doc["log"]["entries"]
    received = [f for f in entry["_rtprobeFrames"] if f["direction"] == "in"]
    assert received and all("pixels" in f for f in received)
    assert not any("pixels" in f for f in entry["_rtprobeFrames"] if f["direction"] == "out")
    jpeg = base64.b64decode(received[-1]["pixels"], validate=True)
    assert jpeg[:2] == b"\xff\xd8"
    with av.open(io.BytesIO(jpeg), mode="r") as container:
        picture = next(container.decode(video=0))
    assert (picture.width, picture.height) == (PIXELS_MAX_WIDTH, 120)  # downscaled


async def test_webrtc_actions_are_recorded_with_their_outcome_and_latency(
    mock_base: str, tmp_path: Path
) -> None:
    settings = RunSettings(
        transport="webrtc",
        target="mock/world",
        base_url=mock_base,
        duration_s=2.0,
        video_fps=15.0,
        actions_every_s=0.5,
    )
    events, doc = await record(settings, tmp_path / "w.har")
    (entry,) = doc["log"]["entries"]
    actions = entry["_rtprobeActions"]
    samples = [s for s in events if isinstance(s, Sample)]
    assert [a["index"] for a in actions] == [s.seq for s in samples] and actions
    assert all(a["outcome"] == s.outcome for a, s in zip(actions, samples, strict=True))
    assert all(a["latencyMs"] > 0 for a in actions if a["outcome"] == "received")
    assert entry["_rtprobeSettings"]["actionEveryS"] == 0.5


# -- secrets ------------------------------------------------------------------------------

KEY = "rec-id:recsecret0123456789abcdef"
SECRET_HALF = KEY.split(":", 1)[1]


async def _reflect(ws: ServerConnection) -> None:
    """Echoes every frame, then says back the handshake's headers and URL."""
    assert ws.request is not None
    said = f"{ws.request.path} " + " ".join(f"{k}: {v}" for k, v in ws.request.headers.raw_items())
    async for message in ws:
        await ws.send(message)
        await ws.send(json.dumps({"echo": said}))
        await ws.send(msgpack.packb({"bin": said}))


@pytest.fixture
async def reflecting() -> AsyncIterator[int]:
    server = await serve(_reflect, "127.0.0.1", 0, ping_interval=None)
    try:
        yield next(iter(server.sockets)).getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def assert_no_secret(path: Path) -> None:
    data = path.read_bytes()
    for secret in (KEY, SECRET_HALF):
        assert secret.encode() not in data
    for m in frames_of(json.loads(data)):  # binary frames: look inside the base64 too
        if m["opcode"] == 2:
            assert SECRET_HALF.encode() not in base64.b64decode(m["data"])


async def test_a_server_echoing_the_key_leaves_no_key_in_the_file(
    reflecting: int, tmp_path: Path
) -> None:
    settings = RunSettings(
        transport="ws",
        target=f"ws://127.0.0.1:{reflecting}/x",
        count=3,
        key=KEY,
        headers=("X-Trace: visible",),
        payload='{"note": "hello"}',
        timeout_s=2,
    )
    _, doc = await record(settings, tmp_path / "k.har")
    assert_no_secret(tmp_path / "k.har")
    (entry,) = doc["log"]["entries"]
    headers = {h["name"]: h["value"] for h in entry["request"]["headers"]}
    assert headers["Authorization"] == "***" and headers["X-Trace"] == "visible"
    texts = [m["data"] for m in entry["_webSocketMessages"] if m["opcode"] == 1]
    assert any('"echo"' in t and "***" in t for t in texts)  # masked, not dropped


async def test_a_fetched_token_and_a_key_in_the_input_stay_out_of_the_file(
    start_mock, tmp_path: Path
) -> None:
    with start_mock(key=KEY) as base:
        settings = RunSettings(
            transport="realtime",
            target="mock/echo",
            base_url=base,
            count=3,
            key=KEY,
            payload=json.dumps({"note": f"my key is {KEY}"}),
        )
        events, doc = await record(settings, tmp_path / "t.har")
    assert sum(1 for s in events if isinstance(s, Sample) and s.outcome == "received") == 3
    assert_no_secret(tmp_path / "t.har")
    text = (tmp_path / "t.har").read_text()
    assert not re.search(r"mock\.[A-Za-z0-9_-]{16,}", text)  # the mock's tokens
    (entry,) = doc["log"]["entries"]
    assert "fal_jwt_token=***" in entry["request"]["url"]
    (sent, *_) = har.parse(text)[0].sends()
    assert msgpack.unpackb(sent.data)["note"] == "my key is ***"
    # rewritten as it went: with its sequence field (the payload alone lacked it)
    assert msgpack.unpackb(sent.data)["rtprobe_seq"] == 0


async def test_a_binary_frame_holding_a_secret_is_rewritten_masked(tmp_path: Path) -> None:
    """The recorder's last pass, for a frame that reached it unmasked (a token learnt
    after the frame went by)."""
    from app.core.config import RunConfig
    from app.core.targets import Target

    recorder = Recorder(RunConfig(target=Target("realtime", "ws://h/realtime")))
    recorder.feed(Message(0, "in", 1, "output", 10, {}, None, msgpack.packb({"t": SECRET_HALF})))
    recorder.write(tmp_path / "m.har", Redactor([SECRET_HALF]))
    assert_no_secret(tmp_path / "m.har")
    (entry,) = har.parse((tmp_path / "m.har").read_text())
    assert msgpack.unpackb(entry.frames[0].data) == {"t": "***"}
