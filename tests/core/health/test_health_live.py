"""rtprobe's own health against the real mock: present and sane in a normal run, the
saturation flag raised by a CPU hog injected into the client's loop (a test seam, not
timing luck) and not by a light run, and the mock's /health loop figures."""

from __future__ import annotations

import asyncio
import gc
import time

import httpx
import pytest

from app.core.config import RunConfig
from app.core.engine.run import run_collect
from app.core.events import Event, Health, RunFinished, Sample
from app.core.health.mock_reading import MockWatch, server_health
from app.core.report.model import Summary
from app.core.targets import resolve

HOG_BLOCK_S = 0.06  # the loop is held this long, again and again, by the test's hog


def _config(mock_base: str, **kw: object) -> RunConfig:
    return RunConfig(target=resolve("ws", "mock/echo/ws", base_url=mock_base), **kw)  # type: ignore[arg-type]


async def test_a_normal_run_reports_sane_health(mock_base: str) -> None:
    events: list[Event] = []
    collected = False

    def also(event: Event) -> None:
        nonlocal collected
        events.append(event)
        if isinstance(event, Sample) and not collected:
            collected = True
            gc.collect(0)  # at least one GC pause, whatever the allocator did

    agg = await run_collect(_config(mock_base, duration_s=1.2, rate=100.0), also)
    health_events = [e for e in events if isinstance(e, Health)]
    assert health_events and health_events[-1].final
    assert isinstance(events[-1], RunFinished) and events[-2] is health_events[-1]
    assert sum(e.final for e in health_events) == 1
    h = agg.summary().health
    assert h is not None
    assert h.loop_lag_wakes >= 10  # 1.2 s of a 10 ms sleeper, on a loaded machine too
    assert 0 <= h.loop_lag_p50_ms <= h.loop_lag_p99_ms <= h.loop_lag_max_ms
    assert h.loop_lag_p50_ms < 1000  # sane, not a unit slip
    assert h.cpu_one_core > 0 and h.loop_cpu > 0 and h.cores >= 1
    assert h.cpu_per_core * h.cores == pytest.approx(h.cpu_one_core, abs=0.2)
    assert h.gc_count >= 1 and h.gc_total_ms >= h.gc_max_ms > 0
    assert 0.9 <= h.wall_s <= 60


async def test_a_cpu_hog_in_the_clients_loop_raises_the_saturation_flag(mock_base: str) -> None:
    done = asyncio.Event()

    async def hog() -> None:  # holds the loop the engine runs on, as a busy client would
        while not done.is_set():
            end = time.perf_counter() + HOG_BLOCK_S
            while time.perf_counter() < end:
                pass
            await asyncio.sleep(0.002)

    task = asyncio.ensure_future(hog())
    try:
        agg = await run_collect(_config(mock_base, duration_s=2.0, rate=100.0, concurrency=2))
    finally:
        done.set()
        await task
    s = agg.summary()
    assert s.health is not None and s.health.saturated
    # every wake that fell behind a block waited most of it: p99 is well past 20 ms
    assert s.health.loop_lag_p99_ms >= HOG_BLOCK_S * 1000 * 0.5
    assert s.health.verdict.startswith("client saturated: event-loop lag p99 ")
    assert s.health.verdict.endswith("figures above include the client's own queueing")
    assert s.saturation_lines() == [s.health.verdict]
    again = Summary.from_json(s.to_json())  # the JSON report (and the history) keep it
    assert again.health == s.health


async def test_a_light_run_is_not_flagged(mock_base: str) -> None:
    agg = await run_collect(_config(mock_base, duration_s=1.0, rate=20.0))
    s = agg.summary()
    assert s.health is not None and s.health.loop_lag_wakes > 0
    assert not s.health.saturated and s.health.verdict == ""
    assert s.saturation_lines() == []


async def test_the_mock_reports_its_loop_lag(mock_base: str) -> None:
    url = mock_base + "/health"
    async with httpx.AsyncClient(timeout=5) as client:
        first = (await client.get(url)).json()  # starts the mock's probe
        assert first["status"] == "ok" and set(first["loop_lag_ms"]) == {"p50", "p99", "max"}
        body = first
        for _ in range(100):  # until the probe has woken a few times, at most ~5 s
            body = (await client.get(url, params={"window": "5"})).json()
            if body["wakes"] >= 5:
                break
            await asyncio.sleep(0.05)
        assert body["wakes"] >= 5
        lag = body["loop_lag_ms"]
        assert 0 <= lag["p50"] <= lag["p99"] <= lag["max"] < 10_000
        assert 0 <= body["cpu_pct"] <= 200 and 0 < body["window_s"] <= 60
        for garbage in ("abc", "-1", "inf", "nan", "1e308", ""):
            r = await client.get(url, params={"window": garbage})
            assert r.status_code == 200 and r.json()["window_s"] <= 60
    reading = server_health(body)
    assert reading is not None and reading.loop_lag_p99_ms == lag["p99"]


async def test_the_cli_watch_reads_the_mock_around_a_run(mock_base: str) -> None:
    watch = MockWatch(mock_base)
    await watch.start()
    agg = await run_collect(_config(mock_base, duration_s=0.6, rate=50.0))
    s = await watch.attach(agg.summary())
    assert s.server_health is not None and s.server_health.window_s > 0
    assert Summary.from_json(s.to_json()).server_health == s.server_health
    nothing = MockWatch(None)  # not the mock: never asked
    await nothing.start()
    assert (await nothing.attach(agg.summary())).server_health is None


def test_server_readings_that_are_not_the_mocks_are_left_out() -> None:
    for body in (None, [], {}, {"loop_lag_ms": "x"}, {"loop_lag_ms": {"p50": 1}}):
        assert server_health(body) is None
    hot = server_health({"loop_lag_ms": {"p50": 5, "p99": 80, "max": 90}, "cpu_pct": 99})
    assert hot is not None and hot.saturated
    assert hot.verdict.startswith("server (mock) saturated: its event-loop lag p99 80.0 ms")
    calm = server_health({"loop_lag_ms": {"p50": 0.1, "p99": 1, "max": 2}, "cpu_pct": 10})
    assert calm is not None and not calm.saturated and calm.verdict == ""
