"""The marker-release jitter buffer with synthetic RTP packets: no sockets, no codec.

Each frame is a few packets whose depayloaded data names the frame and the packet, so
a released frame is checked byte for byte: a half frame or packets in the wrong order
would not compare equal.
"""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

from app.core.transports.jitter_release import parse_release
from app.core.transports.webrtc_jitter import (
    MarkerJitterBuffer,
    install_release,
    installed_release,
    release_counts,
)

TS_STEP = 3000  # 90 kHz / 30 fps


def packet(seq: int, ts: int, data: bytes, *, marker: bool) -> RtpPacket:
    p = RtpPacket(payload_type=96, marker=int(marker), sequence_number=seq & 0xFFFF, timestamp=ts)
    p._data = data  # type: ignore[attr-defined]  # what the receiver's depayload sets
    return p


def frame_packets(n: int, first_seq: int, size: int = 3, *, marker: bool = True) -> list[RtpPacket]:
    """Frame `n`: `size` packets from `first_seq`, the last one marked (unless not)."""
    ts = 1000 + n * TS_STEP
    return [
        packet(first_seq + i, ts, b"f%d.p%d;" % (n, i), marker=marker and i == size - 1)
        for i in range(size)
    ]


def frame_data(n: int, size: int = 3) -> bytes:
    return b"".join(b"f%d.p%d;" % (n, i) for i in range(size))


def feed(buf: JitterBuffer, packets: list[RtpPacket]) -> list[JitterFrame | None]:
    """What each `add` returned (None: nothing released by that packet)."""
    return [buf.add(p)[1] for p in packets]


def stream(frames: int, first_seq: int = 100, size: int = 3, *, marker: bool = True):
    seq = first_seq
    out = []
    for n in range(frames):
        out.append(frame_packets(n, seq, size, marker=marker))
        seq += size
    return out


def test_frames_leave_on_their_marker_packet_after_the_first() -> None:
    buf = MarkerJitterBuffer()
    frames = stream(5)
    released: list[tuple[int, int, bytes]] = []  # (frame fed, packet index, data)
    for n, packets in enumerate(frames):
        for i, out in enumerate(feed(buf, packets)):
            if out is not None:
                released.append((n, i, out.data))
    # the first frame: its start is unknown, so it waits for the next frame (fallback);
    # every later frame leaves with its own marked (last) packet
    assert released[0] == (1, 0, frame_data(0))
    assert released[1:] == [(n, 2, frame_data(n)) for n in range(1, 5)]
    assert (buf.released_on_marker, buf.released_on_next) == (4, 1)


def test_aiortc_own_buffer_holds_each_frame_until_the_next_one() -> None:
    """The baseline the marker release removes: the same stream, one frame later."""
    buf = JitterBuffer(capacity=512, is_video=True)
    released = []
    for n, packets in enumerate(stream(5)):
        for i, out in enumerate(feed(buf, packets)):
            if out is not None:
                released.append((n, i, out.data))
    assert released == [(n + 1, 0, frame_data(n)) for n in range(4)]


def test_no_marker_bit_falls_back_to_next_frame_release_and_never_stalls() -> None:
    buf = MarkerJitterBuffer()
    released = []
    for n, packets in enumerate(stream(6, marker=False)):
        for i, out in enumerate(feed(buf, packets)):
            if out is not None:
                released.append((n, i, out.data))
    # each frame is held exactly until the next frame's first packet: bounded by one frame
    assert released == [(n + 1, 0, frame_data(n)) for n in range(5)]
    assert buf.released_on_marker == 0


def test_marker_missing_on_one_frame_costs_that_frame_one_interval_only() -> None:
    buf = MarkerJitterBuffer()
    frames = stream(5)
    frames[2][-1].marker = 0  # frame 2's last packet lost its marker bit
    released = []
    for n, packets in enumerate(frames):
        for i, out in enumerate(feed(buf, packets)):
            if out is not None:
                released.append((n, i, out.data))
    assert released == [
        (1, 0, frame_data(0)),
        (1, 2, frame_data(1)),
        (3, 0, frame_data(2)),  # held until frame 3 began
        (3, 2, frame_data(3)),  # and frame 3, aligned again, on its marker
        (4, 2, frame_data(4)),
    ]


def test_reordered_packets_wait_for_the_hole_then_release_in_sequence_order() -> None:
    buf = MarkerJitterBuffer()
    f0, f1, f2 = stream(3, size=4)
    feed(buf, f0)
    first = buf.add(f1[0])[1]  # frame 0 (fallback); frame 1 now aligned
    assert first is not None and first.data == frame_data(0, 4)
    f1_out = feed(buf, [f1[3], f1[2], f1[1]])  # marked packet before the middle ones
    assert f1_out[:2] == [None, None]
    assert f1_out[-1] is not None and f1_out[-1].data == frame_data(1, 4)
    f2_out = feed(buf, [f2[3], f2[1], f2[0]])  # marked first, a hole at f2[2]
    assert f2_out == [None, None, None]  # never a half frame
    last = buf.add(f2[2])[1]
    assert last is not None and last.data == frame_data(2, 4)


def test_duplicates_are_harmless() -> None:
    buf = MarkerJitterBuffer()
    f0, f1, f2 = stream(3)
    feed(buf, f0 + f1[:1])
    out = feed(buf, [f1[1], f1[1], f1[2], f1[2], f1[0]])  # duplicated, and a late copy
    assert [o.data for o in out if o is not None] == [frame_data(1)]
    out = feed(buf, [f2[0], f1[2], f2[1], f2[2]])  # a copy of a released packet
    assert [o.data for o in out if o is not None] == [frame_data(2)]


def test_lost_last_packet_is_never_a_half_frame_retransmission_completes_it() -> None:
    buf = MarkerJitterBuffer()
    f0, f1, f2, f3 = stream(4)
    feed(buf, f0 + f1)  # frame 0 (fallback) and frame 1 (marker) released
    assert feed(buf, f2[:2] + f3) == [None] * 5  # f2's marked packet lost: hold f2 and f3
    out = buf.add(f2[2])[1]  # the NACKed packet comes back
    assert out is not None and out.data == frame_data(2)
    later = buf.add(packet(f3[-1].sequence_number + 1, 99_000, b"next;", marker=True))[1]
    assert later is not None and later.data == frame_data(3)  # waited for one more packet


def test_lost_last_packet_never_retransmitted_drops_the_frame_whole() -> None:
    buf = MarkerJitterBuffer(capacity=64)
    frames = stream(40)
    lost = frames[2].pop()  # frame 2's marked packet never arrives
    released = []
    for packets in frames:
        released += [o.data for o in feed(buf, packets) if o is not None]
    # the buffer overflows, aiortc's smart_remove drops whole frames (frame 2 with them),
    # and releasing goes on; every frame that came out is whole and in order
    assert lost.sequence_number and frame_data(2) not in released
    assert all(any(d == frame_data(n) for n in range(40)) for d in released), released
    numbers = [next(n for n in range(40) if d == frame_data(n)) for d in released]
    assert numbers == sorted(numbers) and numbers[0] == 0 and numbers[-1] >= 38
    assert 2 not in numbers and 1 in numbers


def test_sequence_numbers_wrap_around() -> None:
    buf = MarkerJitterBuffer()
    released = []
    for packets in stream(6, first_seq=65530):
        released += [o.data for o in feed(buf, packets) if o is not None]
    assert released == [frame_data(n) for n in range(6)]
    assert buf.released_on_marker == 5


def test_parse_release_names_the_choices() -> None:
    assert parse_release("marker") == "marker"
    assert parse_release("Next_Frame") == "next-frame"
    with pytest.raises(ValueError, match="must be one of: marker, next-frame"):
        parse_release("soon")


async def test_install_is_per_receiver_and_only_for_video() -> None:
    pc = RTCPeerConnection()
    other = RTCPeerConnection()
    try:
        video = pc.addTransceiver("video", direction="recvonly").receiver
        audio = pc.addTransceiver("audio", direction="recvonly").receiver
        untouched = other.addTransceiver("video", direction="recvonly").receiver
        assert installed_release(video) == "next-frame"  # aiortc's own
        assert install_release(video, "marker") is True
        assert install_release(video, "marker") is True  # idempotent
        assert install_release(audio, "marker") is False
        assert install_release(untouched, "next-frame") is False
        assert installed_release(video) == "marker"
        assert installed_release(audio) == "next-frame"
        assert installed_release(untouched) == "next-frame"  # nothing leaked across
        assert release_counts(video) == (0, 0) and release_counts(untouched) is None
        assert installed_release(object()) is None
    finally:
        await pc.close()
        await other.close()
