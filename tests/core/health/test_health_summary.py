"""The saturation rule on constructed readings, the summary and CLI lines it gives, and
the run history keeping the health as part of the stored summary."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.commands.health_lines import health_lines
from app.commands.run import format_summary
from app.core.events import Health
from app.core.health import saturation
from app.core.health.figures import ClientHealth
from app.core.history import HistoryStore
from app.core.report.html import render_html
from tests.core.history.runs import fed, record

CALM = ClientHealth(
    wall_s=5.0,
    cpu_one_core=30.0,
    cpu_per_core=15.0,
    loop_cpu=28.0,
    cores=2,
    loop_lag_wakes=500,
    loop_lag_p50_ms=0.1,
    loop_lag_p99_ms=1.5,
    loop_lag_max_ms=4.0,
    gc_count=3,
    gc_total_ms=1.0,
    gc_max_ms=0.5,
)


def test_the_rule() -> None:
    assert saturation.client_reason(CALM, rtt_p99_ms=5.0) == ""
    lagging = replace(CALM, loop_lag_p99_ms=40.0, loop_cpu=80.0)
    assert saturation.client_reason(lagging, rtt_p99_ms=110.0) == "event-loop lag p99 40.0 ms"
    # a slow server: 40 ms of client lag is not what made a 2 s p99
    assert saturation.client_reason(lagging, rtt_p99_ms=2000.0) == ""
    busy = replace(CALM, loop_cpu=99.0, loop_lag_p99_ms=3.0)
    assert "loop thread at 99 % of a core" in saturation.client_reason(busy, 5.0)
    starved = replace(CALM, loop_lag_p99_ms=60.0, loop_cpu=10.0)
    assert "starved of CPU" in saturation.client_reason(starved, 100.0)
    short = replace(lagging, wall_s=0.2)  # too short to judge on its lag
    assert saturation.client_reason(short, 100.0) == ""
    assert saturation.client_reason(replace(busy, wall_s=0.5), 5.0) == ""


def _with_health(lag_p99_ms: float) -> tuple:
    agg, timeline = fed(500)
    agg.feed(
        Health(
            t_ns=0,
            wall_s=3.0,
            cpu_s=3.0,
            loop_cpu_s=2.97,
            loop_wall_s=3.0,
            cores=2,
            lag_wakes=200,
            lag_p50_ms=1.0,
            lag_p99_ms=lag_p99_ms,
            lag_max_ms=lag_p99_ms * 2,
            gc_count=4,
            gc_total_ms=2.0,
            gc_max_ms=1.0,
            final=True,
        )
    )
    return agg, timeline


def test_summary_cli_and_html_say_client_saturated() -> None:
    agg, timeline = _with_health(45.0)
    s = agg.summary()
    assert s.health is not None and s.health.saturated
    assert s.health.loop_cpu == 99.0 and s.health.cpu_one_core == 100.0
    text = format_summary(s)
    lines = health_lines(s)
    assert lines[0].strip().startswith("client saturated: event-loop lag p99 45.0 ms")
    assert lines[0] in text and "GC 4 pauses" in lines[1]
    html = render_html(s, timeline)
    assert "Client health" in html and "client saturated: event-loop lag p99 45.0 ms" in html


def test_history_keeps_the_health_in_the_summary(tmp_path: Path) -> None:
    run, _ = record(200)
    agg, _ = _with_health(45.0)
    run = replace(run, summary=replace(run.summary, health=agg.summary().health))
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        got = store.get(store.add(run))
    assert got.summary.health == run.summary.health and got.summary.health is not None
    assert got.summary.saturation_lines() == [got.summary.health.verdict]
    old, _ = record(200)  # a run stored before health existed reads back without one
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        assert store.get(store.add(old)).summary.health is None
