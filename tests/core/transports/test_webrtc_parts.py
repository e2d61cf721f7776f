"""The WebRTC client's pure parts: the jitter-buffer hold probe and the stats values
(signaling message parsing is tested with its codec, in test_webrtc_codec.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpreceiver import TimestampMapper
from aiortc.rtp import RtpPacket

from app.core.errors import AppError
from app.core.transports.webrtc_frames import FrameCounters
from app.core.transports.webrtc_parts import (
    HoldProbe,
    StatsState,
    frame_values,
    server_verdict,
    until,
)


class FakeReceiver:
    """The two private objects HoldProbe wraps, driven the way RTCRtpReceiver drives them."""

    def __init__(self) -> None:
        self._RTCRtpReceiver__jitter_buffer = JitterBuffer(capacity=128, is_video=True)
        self._RTCRtpReceiver__timestamp_mapper = TimestampMapper()

    def packet(self, seq: int, timestamp: int) -> Any:
        p = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp)
        p._data = b"x"  # type: ignore[attr-defined]
        _, frame = self._RTCRtpReceiver__jitter_buffer.add(p)
        if frame is not None:
            return self._RTCRtpReceiver__timestamp_mapper.map(frame.timestamp)
        return None


def test_hold_probe_times_the_wait_for_the_next_frame() -> None:
    rx = FakeReceiver()
    probe = HoldProbe(rx)  # type: ignore[arg-type]
    assert probe.active
    released = []
    seq = 0
    for n in range(4):  # frames of 3 packets, 20 ms apart
        for _ in range(3):
            pts = rx.packet(seq, 1000 + n * 3000)
            if pts is not None:
                released.append(pts)
            seq += 1
        time.sleep(0.02)  # the gap between frames, which the probe measures: not a wait
    # each frame leaves the buffer when the next frame's first packet arrives
    assert released == [0, 3000, 6000]
    holds = [probe.take(pts) for pts in released]
    assert all(h is not None for h in holds)
    for first, release in holds:  # type: ignore[misc]
        assert 0.015e9 < release - first < 0.5e9
    assert probe.take(0) is None  # once only
    probe.uninstall()
    assert not probe.active and probe.installed
    assert "add" not in vars(rx._RTCRtpReceiver__jitter_buffer)


def test_hold_probe_stays_off_without_the_private_objects() -> None:
    probe = HoldProbe(object())  # type: ignore[arg-type]
    assert not probe.active and not probe.installed
    assert probe.take(0) is None


def test_frame_values_give_rates_since_the_previous_call() -> None:
    counters, prev = FrameCounters(received=30, lost=2, duplicates=1, unreadable=3), StatsState()
    first = frame_values(counters, prev, 1_000_000_000, sent=30)
    assert "fps_in" not in first  # no previous call: no rate yet
    assert first["frames_decoded"] == 30 and first["frames_lost"] == 2
    counters.received = 60
    second = frame_values(counters, prev, 2_000_000_000, sent=45)
    assert second["fps_in"] == 30.0 and second["fps_out"] == 15.0
    no_source = frame_values(counters, StatsState(), 1, sent=None)
    assert no_source["frames_sent"] == 0 and "fps_out" not in no_source


@pytest.mark.parametrize(
    ("message", "ends", "code", "reason"),
    [
        ({"type": "error", "error": "offer_failed:ValueError:bad sdp"}, True, "offer_failed", ""),
        ({"type": "error", "error": "bad_message:KeyError:no x"}, False, "bad_message", ""),
        ({"type": "error", "error": "weird"}, True, "error", ""),
        ({"type": "stream_exhausted"}, True, None, "stream_exhausted"),
        ({"type": "x-fal-error", "error": "TIMEOUT"}, True, None, "TIMEOUT (the server"),
        (
            {"type": "x-fal-error", "error": "INTERNAL_ERROR", "reason": "a\nb"},
            True,
            "INTERNAL_ERROR",
            "",
        ),
    ],
)
def test_server_verdicts(
    message: dict[str, Any], ends: bool, code: str | None, reason: str
) -> None:
    verdict = server_verdict(message)
    assert verdict is not None and verdict.ends == ends
    assert verdict.reason.startswith(reason)
    if code is None:
        assert verdict.error is None
    else:
        assert isinstance(verdict.error, AppError) and verdict.error.code == code
        assert "\n" not in str(verdict.error)


def test_other_messages_have_no_verdict() -> None:
    for message in ({"type": "answer"}, {"type": "x-fal-message"}, {}, {"type": 5}):
        assert server_verdict(message) is None


async def test_until_gives_up_when_the_session_ends_or_time_passes() -> None:
    ended = asyncio.Event()
    assert await until(asyncio.sleep(0, "done"), ended, 5) == (True, "done")
    assert await until(asyncio.Event().wait(), ended, 0.01) == (False, None)
    ended.set()
    assert await until(asyncio.Event().wait(), ended, 5) == (False, None)
