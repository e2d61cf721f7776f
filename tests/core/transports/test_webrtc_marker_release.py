"""Marker-bit release with real aiortc peers against the real mock (127.0.0.1 only).

Both rules in the same test run, compared with a generous margin (never a timed
threshold): `marker` at both ends against `next-frame` at both ends (the mock's rule is
chosen per connection with `?jitter_release=`). Hostile packet streams are made on the
client's own receiver (one instance's `_handle_rtp_packet` wrapped, nothing global):
marker bits cleared, packets swapped and duplicated, a frame's last packet dropped once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import pytest
from aiortc.rtp import RtpPacket

from app.core.errors import ProbeError
from app.core.media import SyntheticSource
from app.core.targets import resolve
from app.core.transports.webrtc import Hooks, WebRtcClient, WebRtcOptions
from app.core.transports.webrtc_frames import FrameInfo
from app.core.transports.webrtc_jitter import installed_release, release_counts
from server_mock.process import MockProcess
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.timeout(90)

PATH = "/mock/yolo/webrtc"
Handler = Callable[[RtpPacket, int], Coroutine[Any, Any, None]]


@contextlib.asynccontextmanager
async def session(
    mock_base: str, release: str, *, mock_release: str | None = None
) -> AsyncIterator[tuple[WebRtcClient, list[FrameInfo]]]:
    frames: list[FrameInfo] = []
    url = f"{mock_base}{PATH}?jitter_release={mock_release or release}"
    c = WebRtcClient(
        resolve("webrtc", url),
        options=WebRtcOptions(connect_timeout_s=10, jitter_release=release),  # type: ignore[arg-type]
        source=SyntheticSource(320, 240, 30),
        hooks=Hooks(on_frame=frames.append),
    )
    try:
        await asyncio.wait_for(c.connect(), 20)
        yield c, frames
    finally:
        await c.close()


async def frames_until(c: WebRtcClient, frames: list[FrameInfo], n: int) -> None:
    def enough() -> bool:
        assert c.error is None, c.error
        return len(frames) >= n

    await async_wait_until(enough, 30, what=f"{n} frames back", interval_s=0.02)


def video_receiver(c: WebRtcClient) -> Any:
    assert c.pc is not None
    return next(t.receiver for t in c.pc.getTransceivers() if t.kind == "video")


def wrap_packets(c: WebRtcClient, change: Callable[[RtpPacket, Handler, int], Any]) -> None:
    """Route this client's incoming video RTP through `change(packet, deliver, t)`."""
    receiver = video_receiver(c)
    deliver: Handler = receiver._handle_rtp_packet

    async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
        await change(packet, deliver, arrival_time_ms)

    receiver._handle_rtp_packet = handle  # this receiver only


def holds_ms(frames: list[FrameInfo]) -> list[float]:
    return [f.hold_ns / 1e6 for f in frames if f.hold_ns is not None]


def check_whole(c: WebRtcClient, frames: list[FrameInfo]) -> None:
    """Every frame decoded whole: a readable marker, ids increasing, none lost."""
    values = [f.value for f in frames]
    assert None not in values, "a frame came out with its marker spoilt"
    assert values == sorted(values) and len(set(values)) == len(values)
    assert c.counters.unreadable == 0 and c.counters.duplicates == 0


async def test_marker_release_holds_frames_far_less_than_next_frame_release(
    mock_base: str,
) -> None:
    holds: dict[str, list[float]] = {}
    latencies: dict[str, float] = {}
    for release in ("next-frame", "marker", "next-frame", "marker"):  # alternately
        async with session(mock_base, release) as (c, frames):
            assert c.info()["jitter_release"] == release
            await frames_until(c, frames, 45)
            check_whole(c, frames)
            assert c.counters.lost == 0
            counts = release_counts(video_receiver(c))
        steady = frames[10:]  # past the first, unaligned frames and the key frame
        holds.setdefault(release, []).extend(holds_ms(steady))
        timed = [f.latency_ns / 1e6 for f in steady if f.latency_ns is not None]
        latencies[release] = min(latencies.get(release, 1e9), statistics.median(timed))
        if release == "marker":
            assert counts is not None and counts[0] > 0.9 * sum(counts), counts
        else:
            assert counts is None  # aiortc's own buffer
    marker_p50 = statistics.median(holds["marker"])
    next_p50 = statistics.median(holds["next-frame"])
    assert marker_p50 < next_p50 / 2, (marker_p50, next_p50)
    # the end-to-end figure drops too: two holds fewer (the mock's and ours)
    assert latencies["marker"] < latencies["next-frame"], latencies


async def test_the_mock_reports_its_release_rule(start_mock: Any) -> None:
    for on, rule in ((True, "marker"), (False, "next-frame")):
        with start_mock(jitter_release=rule) as base:
            async with httpx.AsyncClient() as http:
                health = (await http.get(base + "/health")).json()
            assert health["webrtc_jitter_release"] == rule, on


async def test_a_bad_jitter_release_query_is_a_one_line_refusal(mock_base: str) -> None:
    c = WebRtcClient(
        resolve("webrtc", f"{mock_base}{PATH}?jitter_release=soon"),
        options=WebRtcOptions(connect_timeout_s=5),
        source=SyntheticSource(320, 240, 30),
    )
    with pytest.raises(ProbeError) as caught:
        await asyncio.wait_for(c.connect(), 15)
    assert "HTTP 400: jitter release 'soon' must be one of: marker, next-frame" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_marker_bits_missing_fall_back_to_next_frame_release(mock_base: str) -> None:
    async with session(mock_base, "marker") as (c, frames):
        await frames_until(c, frames, 30)  # past the start-up frames (key frame, set-up)
        receiver = video_receiver(c)

        async def clear_marker(packet: RtpPacket, deliver: Handler, t: int) -> None:
            packet.marker = 0
            await deliver(packet, t)

        wrap_packets(c, clear_marker)
        before = release_counts(receiver)
        start = len(frames)
        await frames_until(c, frames, start + 40)  # frames keep coming: no stall
        after = release_counts(receiver)
        check_whole(c, frames)
    assert before is not None and after is not None
    assert after[1] - before[1] >= 38  # released when the next frame began
    assert after[0] - before[0] <= 2  # (a frame or two already in flight)
    late = statistics.median(holds_ms(frames[start + 5 :]))
    early = statistics.median(holds_ms(frames[12:start]))
    assert late > 2 * early and late < 500, (early, late)  # about one interval, bounded


async def test_reordered_and_duplicated_packets_still_give_whole_frames(
    mock_base: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiortc")
    async with session(mock_base, "marker") as (c, frames):
        await frames_until(c, frames, 5)
        held: list[RtpPacket] = []

        async def swap_and_repeat(packet: RtpPacket, deliver: Handler, t: int) -> None:
            if not held:
                held.append(packet)  # keep it, deliver after the next one
                return
            first = held.pop()
            await deliver(packet, t)
            await deliver(first, t)
            await deliver(first, t)  # and a duplicate

        wrap_packets(c, swap_and_repeat)
        start = len(frames)
        await frames_until(c, frames, start + 40)
        check_whole(c, frames)
    assert not [r for r in caplog.records if "failed to decode" in r.getMessage()]


async def test_a_lost_last_packet_is_nacked_never_decoded_as_half_a_frame(
    mock_base: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiortc")
    async with session(mock_base, "marker") as (c, frames):
        await frames_until(c, frames, 5)
        media_ssrc: list[int] = []
        dropped: set[int] = set()
        marked = [0]

        async def drop_some_last_packets(packet: RtpPacket, deliver: Handler, t: int) -> None:
            if not media_ssrc:
                media_ssrc.append(packet.ssrc)
            if packet.ssrc == media_ssrc[0] and packet.marker:
                marked[0] += 1
                if marked[0] % 7 == 0 and packet.sequence_number not in dropped:
                    dropped.add(packet.sequence_number)  # once: a NACK brings it back
                    return
            await deliver(packet, t)

        wrap_packets(c, drop_some_last_packets)
        start = len(frames)
        await frames_until(c, frames, start + 60)
        check_whole(c, frames)
        lost = c.counters.lost
    assert len(dropped) >= 5
    # the NACKed packets came back (RTX), so the frames were whole and none was lost
    # (a frame never retransmitted is dropped whole by the buffer: the synthetic test)
    assert lost == 0, (lost, dropped)
    assert not [r for r in caplog.records if "failed to decode" in r.getMessage()]


def test_installed_release_reads_nothing_from_a_foreign_object() -> None:
    assert installed_release(None) is None and release_counts(None) is None


def test_rtprobe_mock_marker_release_flag_reaches_health_and_banner() -> None:
    """`rtprobe mock --marker-release off` in its own process: the banner's second line
    and /health name the rule."""
    mock = MockProcess("--marker-release", "off")
    mock.spawn()
    try:
        assert mock.proc is not None and mock.proc.stdout is not None
        stdout = mock.proc.stdout
        lines: list[str] = []

        def read_two() -> None:
            lines.extend(stdout.readline() for _ in range(2))

        reader = threading.Thread(target=read_two, daemon=True)
        reader.start()
        reader.join(30)
        assert len(lines) == 2, lines
        assert lines[0].startswith("listening on http://127.0.0.1:")
        assert lines[1].strip() == "WebRTC jitter release: next-frame"
        base = lines[0].split()[-1]
        assert httpx.get(base + "/health", timeout=10).json()["webrtc_jitter_release"] == (
            "next-frame"
        )
    finally:
        mock.stop()


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/mock/yolo/webrtc", "", "marker"),
        ("/mock/yolo/webrtc", "?jitter_release=next-frame", "next-frame"),
        ("/mock/yolo/realtime", "", "marker"),
        ("/mock/yolo/realtime", "?jitter_release=next_frame", "next-frame"),
    ],
    ids=["4a-default", "4a-query", "4b-default", "4b-query"],
)
async def test_the_mock_peer_takes_its_rule_from_the_query_or_its_default(
    mock_base: str, monkeypatch: pytest.MonkeyPatch, path: str, query: str, expected: str
) -> None:
    """The mock runs in this process (the session fixture): record what its peers got."""
    from server_mock.webrtc import signaling

    seen: list[tuple[str, str | None]] = []
    real = signaling.install_release

    def spy(receiver: Any, release: Any) -> bool:
        installed = real(receiver, release)
        seen.append((release, installed_release(receiver)))
        return installed

    monkeypatch.setattr(signaling, "install_release", spy)
    c = WebRtcClient(
        resolve("webrtc", f"{mock_base}{path}{query}"),
        options=WebRtcOptions(connect_timeout_s=10),
        source=SyntheticSource(320, 240, 30),
    )
    try:
        await asyncio.wait_for(c.connect(), 20)
    finally:
        await c.close()
    assert seen == [(expected, expected)]
