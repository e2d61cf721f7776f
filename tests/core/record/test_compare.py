"""A replay's replies against the recording's, and a WebRTC session's figures, recorded
-> replayed: one line a session; only a session that lost all video differs."""

from __future__ import annotations

from app.core.record.compare import compare
from app.core.record.plan import MediaFigures, MediaRun, Plan


def _plan(recorded: MediaFigures) -> Plan:
    return Plan([], media=[MediaRun("ws://h/mock/yolo/webrtc", 0.0, {}, [], recorded, "entry 0")])


def test_a_webrtc_session_is_compared_by_its_figures() -> None:
    recorded = MediaFigures(28, 28, 16.2, 15.0, (6.0, 7.0, 8.0), (), 0, "320x240")
    replayed = MediaFigures(27, 28, 16.0, 15.0, (7.0, 9.0), (), 0, "320x240")
    report = compare(_plan(recorded), {}, media=[replayed])
    assert report.lines() == [
        "webrtc entry 0: frames in 28 -> 27, fps in 16.2 -> 16.0, fps out 15.0 -> 15.0,"
        " frame latency p50 7.0 -> 8.0 ms"
    ]
    assert not report.differs  # timing is the server's to vary
    assert report.as_dict()["webrtc"][0]["replayed"]["frame_latency_p50_ms"] == 8.0


def test_actions_and_a_changed_size_are_shown_and_lost_video_differs() -> None:
    recorded = MediaFigures(80, 0, 30.0, None, (), (30.0, 34.0), 2, "640x352")
    replayed = MediaFigures(80, 0, 30.0, None, (), (40.0,), 2, "1280x720")
    (line,) = compare(_plan(recorded), {}, media=[replayed]).lines()
    assert "action → frame p50 32.0 -> 40.0 ms (2 -> 2 actions)" in line
    assert line.endswith("size in 640x352 -> 1280x720")
    lost = compare(_plan(recorded), {}, media=[])  # the replay got nothing at all
    assert lost.differs and lost.lines()[0].endswith("(no video)")
