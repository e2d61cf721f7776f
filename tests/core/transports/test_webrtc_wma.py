"""rtprobe's wma client (4c) against the real mock/wma on 127.0.0.1, with real aiortc.

Both flavours (start-session with its SSE answer, the REST bridge with heartbeats),
control round trips, commands reflected in frames, a bad offer (422), the heartbeat
timeout, the stream's end as the session's end, and hostile servers: an SSE stream
that never answers, garbage SSE, a flood of garbage on the control channel, the server
ending the session midway.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.core.codecs import webrtc_marker as marker
from app.core.config import RunConfig, WebRtcParams
from app.core.engine.run import run
from app.core.errors import ProbeTimeout, ProtocolError
from app.core.events import ErrorEvent, Event, StateChange, StatsSnapshot
from app.core.sessions.webrtc import WebRtcSession
from app.core.sessions.webrtc_flavour import should_probe
from app.core.summary import Aggregator
from app.core.targets import resolve
from app.core.transports.webrtc import WebRtcOptions
from app.core.transports.webrtc_wma import WmaClient, probe_flavour
from tests.core.transports.test_webrtc import Seen
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.timeout(60)


@contextlib.asynccontextmanager
async def wma(
    base: str, path: str = "/mock/wma", **options: Any
) -> AsyncIterator[tuple[WmaClient, Seen]]:
    seen = Seen()
    options.setdefault("wma", "wma")
    c = WmaClient(
        resolve("webrtc", base + path),
        options=WebRtcOptions(mode="generated", connect_timeout_s=10, **options),
        hooks=seen.hooks(),
    )
    try:
        await asyncio.wait_for(c.connect(), 20)
        yield c, seen
    finally:
        await c.close()


def applied_ids(seen: Seen) -> list[int]:
    return [marker.unpack_world(f.value)[0] for f in seen.frames if f.value is not None]


@pytest.mark.parametrize("flavour", ["wma", "wma-rest"])
async def test_both_flavours_stream_and_measure_control_rtt(mock_base: str, flavour: str) -> None:
    async with wma(mock_base, wma=flavour, ping_interval_s=0.1) as (c, seen):
        assert c.session_id
        assert c.info()["signaling"] == f"4c-{flavour}"
        await async_wait_until(lambda: len(seen.frames) >= 15, 10, what="15 frames")
        await async_wait_until(lambda: c.pongs >= 3, 10, what="3 pongs")
        stats = await c.stats()
        rtts = stats["control_rtt_ms"]
        assert len(rtts) >= 3 and all(0 <= ms < 5000 for ms in rtts)
        assert stats["control_pongs"] >= 3 and stats["control_bad"] == 0
        assert "control_rtt_ms" not in await c.stats()  # drained at each call
        assert not seen.problems


async def test_commands_prompt_reset_are_reflected_in_frames(mock_base: str) -> None:
    async with wma(mock_base) as (c, seen):
        await async_wait_until(lambda: seen.frames, 10, what="a frame")
        await c.send_action("w u")
        await c.send_prompt("a red house")
        await c.send_reset()
        await async_wait_until(lambda: len(seen.actions) == 3, 10, what="3 actions resolved")
        assert [a.done_ns is not None for a in seen.actions] == [True] * 3
        assert all(a.latency_ns is not None and a.latency_ns > 0 for a in seen.actions)
        assert max(applied_ids(seen)) >= 3
        assert c.held == []  # reset lets go of every key
        assert ("out", "commands") in seen.signaling


async def test_bad_offer_gets_422(mock_base: str) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{mock_base}/mock/wma/start-session", json={"type": "offer"})
        assert r.status_code == 422 and "sdp" in r.json()["detail"]
        r = await http.post(f"{mock_base}/mock/wma/session", json={"sdp": "v=0", "type": "x"})
        assert r.status_code == 422
        bad_sdp = {"sdp": "not an sdp", "type": "offer"}
        r = await http.post(f"{mock_base}/mock/wma/start-session", json=bad_sdp)
        assert r.status_code == 422 and "refused" in r.json()["detail"]


async def test_stream_end_is_the_session_end(mock_base: str) -> None:
    async with wma(mock_base, path="/mock/wma?wma_frames=20") as (c, seen):
        await asyncio.wait_for(c.ended.wait(), 15)
        assert c.error is None
        assert c.end_reason in ("stream exhausted", "the server ended the start-session stream")
        assert 1 <= len(seen.frames) <= 20
        assert c.counters.lost == 0


async def test_heartbeat_timeout_ends_a_rest_session(start_mock: Any) -> None:
    with start_mock(wma_heartbeat_timeout_s=1.0) as base:
        # heartbeats far apart: the bridge's 1 s timeout passes first
        async with wma(base, wma="wma-rest", heartbeat_s=30.0) as (c, seen):
            await async_wait_until(lambda: seen.frames, 10, what="a frame")
            await asyncio.wait_for(c.ended.wait(), 15)
            assert c.end_reason  # the peer connection went: the bridge ended the session
        # and with heartbeats in time the session lives on past the timeout
        async with wma(base, wma="wma-rest", heartbeat_s=0.3) as (c, seen):
            await async_wait_until(lambda: c.heartbeats >= 6, 10, what="6 heartbeats")
            assert not c.ended.is_set()


# -- hostile ---------------------------------------------------------------------------
async def test_stream_that_never_answers_times_out_in_one_line(start_mock: Any) -> None:
    with start_mock(wma_keepalive_s=0.1) as base:
        c = WmaClient(
            resolve("webrtc", base + "/mock/wma?wma_hostile=silent"),
            options=WebRtcOptions(mode="generated", wma="wma", connect_timeout_s=1.5),
        )
        with pytest.raises(ProbeTimeout) as info:
            await asyncio.wait_for(c.connect(), 10)
        assert "answer" in str(info.value) and "\n" not in str(info.value)
        assert c.keepalives >= 1


async def test_garbage_sse_is_one_protocol_error(mock_base: str) -> None:
    c = WmaClient(
        resolve("webrtc", mock_base + "/mock/wma?wma_hostile=garbage"),
        options=WebRtcOptions(mode="generated", wma="wma", connect_timeout_s=5),
    )
    with pytest.raises(ProtocolError) as info:
        await asyncio.wait_for(c.connect(), 10)
    assert "not JSON" in str(info.value) and "\n" not in str(info.value)


async def test_control_flood_of_garbage_is_counted_not_reported_each(mock_base: str) -> None:
    async with wma(mock_base, path="/mock/wma?wma_hostile=flood") as (c, seen):
        await async_wait_until(lambda: c.control_bad >= 1000, 20, what="the flood")
        await async_wait_until(lambda: len(seen.frames) >= 5, 10, what="frames go on")
        assert len(seen.problems) <= 10
        assert not c.ended.is_set()


async def test_server_closing_mid_session_ends_it(mock_base: str) -> None:
    path = "/mock/wma?wma_hostile=close&wma_close_after_s=1"
    async with wma(mock_base, path=path) as (c, seen):
        await asyncio.wait_for(c.ended.wait(), 15)
        assert seen.frames
        assert c.end_reason


def test_a_run_whose_streams_end_accounts_for_everything(start_mock: Any) -> None:
    """Each stream ends after 45 frames (the session's end), the run reconnects; every
    action is received or timed out, no frame is lost, the control RTT is a metric."""
    with start_mock(wma_frames=45) as base:
        config = RunConfig(
            target=resolve("webrtc", "mock/wma", base_url=base),
            count=None,
            duration_s=4,
            timeout_s=5,
            webrtc=WebRtcParams(action_every_s=0.3),
        )
        events: list[Event] = []
        asyncio.run(run(config, events.append))
    agg = Aggregator("webrtc", config.target.display)
    for e in events:
        agg.feed(e)
    s = agg.summary()
    assert not [e for e in events if isinstance(e, ErrorEvent)]
    assert sum(isinstance(e, StateChange) and e.state == "connected" for e in events) >= 2
    assert s.sent > 0 and s.sent == s.received + s.errors + s.dropped + s.timeouts
    assert s.frames is not None and s.frames.frames_lost == 0 and s.frames.frames_in > 45
    assert s.frames.control_rtt_ms is not None and s.frames.control_rtt_ms.count >= 2
    assert s.connection["signaling"] == "4c-wma"
    assert s.to_json()["control_rtt_ms"]["count"] == s.frames.control_rtt_ms.count


async def test_the_flavour_is_probed_from_the_apps_openapi(mock_base: str) -> None:
    assert await probe_flavour(resolve("webrtc", "mock/wma", base_url=mock_base)) == "wma"
    assert await probe_flavour(resolve("webrtc", "mock/world", base_url=mock_base)) is None
    assert await probe_flavour(resolve("webrtc", "mock/nothing", base_url=mock_base)) is None
    assert await probe_flavour(resolve("webrtc", "ws://127.0.0.1:9/x/y/webrtc")) is None
    yolo = resolve("webrtc", "mock/yolo", base_url=mock_base)
    assert should_probe(None, None, yolo)
    assert not should_probe("ws", None, yolo) and not should_probe(None, "json", yolo)
    assert not should_probe(None, None, resolve("webrtc", "mock/wma", base_url=mock_base))


def test_a_session_that_probes_speaks_wma(mock_base: str) -> None:
    config = RunConfig(
        target=resolve("webrtc", "mock/wma", base_url=mock_base), count=None, duration_s=2
    )
    events: list[Event] = []
    stop = asyncio.Event()
    session = WebRtcSession.from_config(0, config, events.append, stop)
    session.options = dataclasses.replace(session.options, wma=None, mode=None)
    session.mode = "v2v"
    session.probe = True  # as for an app id whose path and alias say nothing
    asyncio.run(session.run())
    infos = [e.values for e in events if isinstance(e, StatsSnapshot) and "signaling" in e.values]
    assert infos and infos[0]["signaling"] == "4c-wma" and infos[0]["mode"] == "generated"
    assert not [e for e in events if isinstance(e, ErrorEvent)]


async def test_unsolicited_pongs_and_error_floods_are_bounded(mock_base: str) -> None:
    """What a hostile server could send on the control channel, fed to the client's
    handler as the channel would: pongs for no ping, thousands of `error` and unknown
    messages. RTTs stay those of our own pings; reports and hooks are bounded."""
    async with wma(mock_base, ping_interval_s=0.1) as (c, seen):
        await async_wait_until(lambda: c.pongs >= 2, 10, what="2 pongs")
        for _ in range(3):
            c._on_control('{"type": "pong", "client_ts": 1, "server_ts": 2}')
        for i in range(5_000):
            c._on_control(f'{{"type": "error", "error": "bad {i}"}}')
            c._on_control('{"type": "surprise"}')
        assert c.unsolicited_pongs == 3 and c.server_errors == 5_000
        assert len(seen.problems) <= 10
        assert c.unshown > 0 and len(seen.signaling) < 2_500
        assert all(0 <= ms < 5_000 for ms in (await c.stats()).get("control_rtt_ms", []))
        assert not c.ended.is_set()
