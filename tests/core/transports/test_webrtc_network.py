"""WebRTC under network impairments: real aiortc sessions against the mock on 127.0.0.1.

Each test waits on counts (frames, NACKs), never a fixed streaming time; bands are
generous because the machine is shared. The client impairs its own RTP/RTCP both ways
(`WebRtcOptions.network`), the mock its peer's (`?network=`, `/_mock/network`).
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

import httpx
import pytest

from app.core.network.datagram import NetworkSetting
from app.core.network.profile import parse_profile
from tests.core.transports.test_webrtc import Seen, client, stream_until

pytestmark = pytest.mark.timeout(90)

PATH = "/mock/yolo/webrtc"


def _latencies_ms(seen: Seen, start: int) -> list[float]:
    return [f.latency_ns / 1e6 for f in seen.frames[start:] if f.latency_ns is not None]


async def _median_latency(c: Any, seen: Seen, frames: int, what: str) -> float:
    start = len(seen.frames)
    await stream_until(c, lambda: len(_latencies_ms(seen, start)) >= frames, what, 30)
    return statistics.median(_latencies_ms(seen, start))


async def test_added_delay_mid_session_raises_frame_latency(mock_base: str) -> None:
    setting = NetworkSetting()
    async with client(mock_base, PATH, network=setting) as (c, seen):
        base = await _median_latency(c, seen, 40, "40 timed frames, clean")
        setting.set(parse_profile("delay=100"))  # one way, each way: +200 ms round trip
        await _median_latency(c, seen, 10, "10 frames while the delay settles")
        slow = await _median_latency(c, seen, 40, "40 timed frames under 100 ms each way")
        assert slow - base >= 150, (base, slow)
        setting.set(parse_profile("none"))
        await _median_latency(c, seen, 10, "10 frames while the delay drains")
        back = await _median_latency(c, seen, 40, "40 timed frames, clean again")
        assert back < slow - 100, (base, slow, back)


async def test_ten_percent_loss_each_way_shows_lost_packets_and_nacks(mock_base: str) -> None:
    setting = NetworkSetting(parse_profile("loss=10%"))
    async with client(mock_base, PATH, network=setting) as (c, _seen):
        tap = c.tap

        def reacted() -> bool:
            rtcp = tap.rtcp
            return c.counters.received >= 40 and rtcp.nack_sent + rtcp.nack_received > 0

        await stream_until(c, reacted, "40 frames and a NACK under 10 % loss", 40)
        stats = await c.stats()
        assert stats["net_out_lost"] > 0 and stats["net_in_lost"] > 0
        # the band: 10 % of each direction's packets, very loosely
        for way in ("out", "in"):
            rate = stats[f"net_{way}_lost"] / stats[f"net_{way}_packets"]
            assert 0.02 <= rate <= 0.25, (way, stats)
        # whole frames: NACKs may recover every one (they often do at this size), so
        # frames lost are not a given; what is, is that no frame is counted twice
        sent = c.source.frames_sent if c.source else 0
        assert c.counters.received >= 40 and c.counters.received + c.counters.lost <= sent, (
            sent,
            c.counters,
        )


async def test_bandwidth_cap_lowers_the_received_bitrate(mock_base: str) -> None:
    setting = NetworkSetting()
    async with client(mock_base, PATH, network=setting) as (c, _seen):
        await stream_until(c, lambda: c.counters.received >= 30, "30 clean frames")
        await c.stats()
        await asyncio.sleep(1.5)  # a rate needs an interval: 1.5 s of clean traffic
        clean = (await c.stats())["bitrate_in_kbps"]
        setting.set(parse_profile("rate=300"))
        await asyncio.sleep(1.0)  # the bottleneck's queue fills and drops
        await c.stats()
        await asyncio.sleep(2.0)
        capped = (await c.stats())["bitrate_in_kbps"]
        assert capped <= 300 * 1.15, (clean, capped)
        assert clean > capped * 1.2, (clean, capped)
        # (whether the FIFO overflowed depends on how fast aiortc's REMB backs off)


async def test_mock_peer_impairs_by_query_parameter(mock_base: str) -> None:
    async with client(mock_base, PATH) as (c, seen):
        base = await _median_latency(c, seen, 40, "40 timed frames, clean mock")
    async with client(mock_base, PATH + "?network=delay%3D100") as (c, seen):
        slow = await _median_latency(c, seen, 40, "40 timed frames, mock delaying")
    assert slow - base >= 150, (base, slow)


async def test_mock_network_api_changes_live_sessions(start_mock: Any) -> None:
    with start_mock() as base:
        async with client(base, PATH) as (c, seen):
            clean = await _median_latency(c, seen, 30, "30 timed frames, clean")
            async with httpx.AsyncClient(timeout=5) as http:
                bad = await http.put(base + "/_mock/network", json={"spec": "5g"})
                assert bad.status_code == 400 and "unknown network preset" in bad.json()["detail"]
                ok = await http.put(base + "/_mock/network", json={"spec": "delay=120"})
                assert ok.status_code == 200 and ok.json()["spec"].count("delay=120") == 2
                toxics = (await http.get(base + "/_mock/toxics")).json()
                assert {t["name"] for t in toxics} == {
                    "net_latency_upstream",
                    "net_latency_downstream",
                }
            await _median_latency(c, seen, 10, "10 frames while the delay settles")
            slow = await _median_latency(c, seen, 30, "30 timed frames, mock delaying")
            assert slow - clean >= 180, (clean, slow)


async def test_impairment_is_per_peer_connection_and_undone_on_close(mock_base: str) -> None:
    setting = NetworkSetting(parse_profile("delay=20"))
    async with (
        client(mock_base, PATH, network=setting) as (a, _),
        client(mock_base, PATH) as (
            b,
            _,
        ),
    ):
        ice_a = a.pc.getTransceivers()[0].sender.transport.transport  # type: ignore[union-attr]
        ice_b = b.pc.getTransceivers()[0].sender.transport.transport  # type: ignore[union-attr]
        assert ice_a._send.__name__ == "impaired_send"
        assert ice_b._send.__name__ != "impaired_send"
        assert "data_received" in vars(ice_a._connection)
        assert "data_received" not in vars(ice_b._connection)
    assert ice_a._send.__name__ != "impaired_send"
    assert "data_received" not in vars(ice_a._connection)
