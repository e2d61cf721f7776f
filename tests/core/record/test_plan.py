"""From a recording to what a replay sends: inputs, offsets, recorded replies, matching."""

from __future__ import annotations

from pathlib import Path

import msgpack

from app.core.record import har
from app.core.record.diff import SseValue
from app.core.record.plan import build, retarget

CHROME = Path(__file__).with_name("chrome_export.har")


def test_a_chrome_recording_replays_verbatim_matched_in_order() -> None:
    plan = build(har.parse(CHROME.read_text()))
    assert plan.skipped == {"plain HTTP requests": 1}
    ws, sse = plan.connections
    assert ws.transport == "realtime"  # the path ends in /realtime
    assert ws.seq_field is None  # the browser's inputs carry no rtprobe_seq
    assert [x.value for x in ws.inputs] == [
        {"prompt": "a red fox", "seed": 7},
        {"prompt": "a red fox in snow", "seed": 7},
    ]
    assert msgpack.unpackb(ws.inputs[0].data) == ws.inputs[0].value  # the bytes as recorded
    assert ws.inputs[1].offset_s - ws.inputs[0].offset_s == pytest_approx(0.4996)
    assert len(ws.replies) == 2  # the x-fal-message notice is not a reply
    assert ws.replies[0]["timings"] == {"inference": 0.1412}
    assert sse.transport == "sse" and sse.inputs[0].value == {"prompt": "a lighthouse"}
    assert sse.replies == [
        [SseValue({"progress": 0.5}), SseValue({"progress": 1.0}), SseValue({"images": []}, "done")]
    ]


def pytest_approx(x: float) -> object:
    import pytest

    return pytest.approx(x, abs=1e-3)


def test_rtprobe_inputs_carrying_the_seq_field_are_renumbered() -> None:
    entry = har.Entry(
        kind="websocket",
        url="ws://h/mock/echo/ws",
        started=10.0,
        frames=[
            har.WsFrame("send", 10.5, har.TEXT, '{"a":1,"rtprobe_seq":0}'),
            har.WsFrame("receive", 10.6, har.TEXT, '{"a":1,"rtprobe_seq":0}'),
        ],
        transport="ws",
    )
    webrtc = har.Entry(
        kind="websocket", url="ws://h/mock/yolo/webrtc", started=9.0, transport="webrtc"
    )
    plan = build([webrtc, entry])
    (conn,) = plan.connections
    assert conn.seq_field == "rtprobe_seq" and conn.offset_s == 1.0
    assert conn.inputs[0].offset_s == 1.5
    (media,) = plan.media  # the WebRTC session is run again, not left out
    assert media.offset_s == 0.0 and plan.skipped == {}


def test_retarget_keeps_paths_drops_tokens_and_fits_the_scheme() -> None:
    url = "wss://fal.run/fal-ai/app/realtime?fal_jwt_token=SECRET&max_buffering=4"
    assert retarget(url, None) == "wss://fal.run/fal-ai/app/realtime?max_buffering=4"
    assert (
        retarget(url, "http://127.0.0.1:8765")
        == "ws://127.0.0.1:8765/fal-ai/app/realtime?max_buffering=4"
    )
    assert retarget(url, "ws://127.0.0.1:1/mock/echo/realtime") == (
        "ws://127.0.0.1:1/mock/echo/realtime?max_buffering=4"
    )
    assert (
        retarget("https://fal.run/a/b/stream", "ws://127.0.0.1:2")
        == "http://127.0.0.1:2/a/b/stream"
    )


def test_frames_stamped_before_their_entry_began_are_not_due_before_the_replay() -> None:
    """Another tool's HAR whose startedDateTime and frame times disagree (here by a year):
    no input may be due before the replay starts (its latency would count the skew)."""
    year = 365 * 86400.0
    entry = har.Entry(
        kind="websocket",
        url="ws://h/mock/echo/ws",
        started=1000.0 + year,
        frames=[
            har.WsFrame("send", 1000.0, har.TEXT, '{"a":1}'),
            har.WsFrame("receive", 1000.1, har.TEXT, '{"a":1}'),
            har.WsFrame("send", 1000.5, har.TEXT, '{"a":2}'),
        ],
    )
    (conn,) = build([entry]).connections
    assert conn.offset_s == 0.0
    assert [x.offset_s for x in conn.inputs] == [0.0, 0.5]


def _webrtc_entry(settings: dict | None, session: int = 0, started: float = 100.0) -> har.Entry:
    def action(t: float, what: str) -> har.WsFrame:
        return har.WsFrame("send", t, har.BINARY, msgpack.packb({"type": "action", "action": what}))

    frames = [
        {"time": started + 0.2 + k / 10, "direction": "in", "size": "640x352"} for k in range(11)
    ]
    frames += [
        {"time": started + 0.1 + k / 15, "direction": "out", "size": "320x240"} for k in range(16)
    ]
    frames[3]["latencyMs"] = 12.5
    private: dict = {
        "_rtprobeFrames": frames,
        "_rtprobeActions": [
            {"time": started + 0.7, "index": 0, "outcome": "received", "latencyMs": 30.0}
        ],
        "_rtprobeConnection": {"mode": "generated", "signaling": "4b-msgpack"},
    }
    if settings is not None:
        private["_rtprobeSettings"] = settings
    return har.Entry(
        kind="websocket",
        url="ws://h/mock/world/webrtc",
        started=started,
        frames=[action(started + 0.7, "w u"), action(started + 1.2, "a u")],
        transport="webrtc",
        session=session,
        private=private,
    )


def test_a_webrtc_session_is_planned_with_its_settings_actions_and_figures() -> None:
    settings = {"size": "320x240", "fps": 15.0, "durationS": 2.0, "actionEveryS": 0.5}
    (run,) = build([_webrtc_entry(settings)]).media
    assert run.settings == settings and run.source == "entry 0"
    assert run.actions == [(0.5, "w u"), (1.0, "a u")]  # after the first received frame
    figures = run.recorded
    assert (figures.frames_in, figures.frames_out) == (11, 16)
    assert figures.fps_in == 10.0 and figures.fps_out == 15.0
    assert figures.frame_latency_ms == (12.5,) and figures.action_latency_ms == (30.0,)
    assert figures.actions == 1 and figures.size_in == "640x352"


def test_a_webrtc_recording_without_settings_gets_them_from_its_frames() -> None:
    (run,) = build([_webrtc_entry(None)]).media
    assert run.settings == {
        "size": "320x240",
        "fps": 15,
        "mode": "generated",
        "signaling": "msgpack",
        "durationS": 1.2,  # to its last frame or action
    }


def test_a_reconnected_webrtc_session_is_one_run() -> None:
    plan = build(
        [_webrtc_entry(None, 0, 100.0), _webrtc_entry(None, 0, 105.0), _webrtc_entry(None, 1)]
    )
    assert [r.recorded.frames_in for r in plan.media] == [22, 11]
