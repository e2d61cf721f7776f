"""The WebRTC client's frame accounting, fed marker values directly (no peer connection)."""

from __future__ import annotations

import json

from app.core.codecs.webrtc_marker import pack_world
from app.core.transports.webrtc_frames import SEQ_MASK, FrameTracker


class Sent:
    """The part of a MarkedSource the tracker reads: ids, and when each went out."""

    first_id = 1

    def __init__(self, last_id: int) -> None:
        self.last_id = last_id
        self.sent = {i: i * 1000 for i in range(1, last_id + 1)}


def v2v(last_id: int = 10) -> FrameTracker:
    return FrameTracker("v2v", Sent(last_id))  # type: ignore[arg-type]


def test_v2v_latency_duplicates_and_gaps() -> None:
    tracker = v2v()
    info, _ = tracker.track(1, 1500, width=64, height=48)
    assert info.latency_ns == 500 and not info.duplicate and info.lost_before == 0
    again, _ = tracker.track(1, 1600, width=64, height=48)
    assert again.duplicate and again.latency_ns is None
    gap, _ = tracker.track(4, 4100, width=64, height=48)
    assert gap.lost_before == 2 and gap.latency_ns == 100
    c = tracker.counters
    assert (c.received, c.fresh, c.duplicates, c.lost, c.timed) == (3, 2, 1, 2, 2)


def test_unreadable_frames_are_not_counted_lost() -> None:
    tracker = v2v()
    tracker.track(1, 1, width=8, height=8)
    for _ in range(2):
        info, _ = tracker.track(None, 2, width=8, height=8)
        assert info.value is None
    info, _ = tracker.track(4, 3, width=8, height=8)
    assert info.lost_before == 0  # 2 and 3 arrived with their markers spoilt
    assert tracker.counters.unreadable == 2 and tracker.counters.lost == 0


def test_frames_in_flight_lost_at_the_end() -> None:
    tracker = v2v(last_id=5)
    tracker.track(2, 2500, width=8, height=8)
    assert tracker.frames_in_flight_lost(cutoff_ns=4500) == 2  # ids 3 and 4; 5 may be coming
    assert FrameTracker("generated", None).frames_in_flight_lost(10**18) == 0


def test_generated_actions_resolve_on_the_first_frame_that_shows_them() -> None:
    tracker = FrameTracker("generated", None)
    first = tracker.action_sent("w u", 100)
    second = tracker.action_sent("a u", 200)
    assert (first, second, tracker.pending_actions) == (0, 1, 2)
    _, resolved = tracker.track(pack_world(0, 1), 300, width=8, height=8)
    assert resolved == []
    _, resolved = tracker.track(pack_world(2, 2), 400, width=8, height=8)
    assert [(a.index, a.latency_ns) for a in resolved] == [(0, 300), (1, 200)]
    assert tracker.pending_actions == 0


def test_generated_seq_gaps_repeats_and_wrap() -> None:
    tracker = FrameTracker("generated", None)
    tracker.track(pack_world(0, SEQ_MASK - 1), 1, width=8, height=8)
    wrapped, _ = tracker.track(pack_world(0, 1), 2, width=8, height=8)
    assert wrapped.lost_before == 2 and not wrapped.duplicate  # SEQ_MASK and 0 went missing
    paused, _ = tracker.track(pack_world(0, 1), 3, width=8, height=8)
    assert paused.duplicate


def test_expire_actions_returns_the_old_ones_unresolved() -> None:
    tracker = FrameTracker("generated", None)
    tracker.action_sent("w u", 100)
    tracker.action_sent("a u", 900)
    expired = tracker.expire_actions(older_than_ns=500)
    assert [(a.action, a.done_ns) for a in expired] == [("w u", None)]
    assert tracker.pending_actions == 1


def test_data_channel_messages_are_timed_by_frame_id() -> None:
    tracker = v2v()
    message = tracker.data(json.dumps({"frame": 3, "boxes": []}), 3700, "detections")
    assert message.frame_id == 3 and message.latency_ns == 700 and message.label == "detections"
    for raw in ("not json", b"\x00\x01", json.dumps({"frame": True}), json.dumps([3])):
        other = tracker.data(raw, 1, "x")
        assert other.frame_id is None and other.latency_ns is None
    assert tracker.counters.detections == 5
