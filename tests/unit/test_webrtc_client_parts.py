"""The WebRTC client's pure parts: the jitter-buffer hold probe and message parsers."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpreceiver import TimestampMapper
from aiortc.rtp import RtpPacket

from app.core.errors import ProtocolError
from app.core.transports.webrtc_parts import (
    HoldProbe,
    parse_candidate,
    parse_ice_servers,
    split_error,
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


def test_parsers() -> None:
    servers = parse_ice_servers(
        [{"urls": "stun:example.org"}, {"urls": ["turn:a", "turn:b"], "username": "u"}, 5, {}]
    )
    assert [s.urls for s in servers] == [["stun:example.org"], ["turn:a", "turn:b"]]
    assert parse_ice_servers(None) == []
    line = "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"
    candidate = parse_candidate({"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0})
    assert candidate.ip == "127.0.0.1" and candidate.port == 50000 and candidate.sdpMid == "0"
    assert parse_candidate(None) is None and parse_candidate({"candidate": ""}) is None
    with pytest.raises(ProtocolError):
        parse_candidate("candidate:garbage")
    assert split_error("offer_failed:ValueError:bad\nsdp") == (
        "offer_failed",
        "ValueError: bad sdp",
    )
    assert split_error("weird") == ("error", "weird")
