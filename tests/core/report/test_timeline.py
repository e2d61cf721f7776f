"""The timeline keeps what the live WebRTC plots draw: per-frame latency and hold, and
the getStats figures over time, bounded."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.events import FrameSample, StatsSnapshot
from app.core.report import timeline as timeline_module
from app.core.report.timeline import STATS, Timeline

MS = 1_000_000
S = 1_000_000_000


def _stats(i: int, session: int = 0, **extra: object) -> StatsSnapshot:
    values = {
        "bitrate_in_kbps": 500.0 + i,
        "bitrate_out_kbps": 550.0,
        "jitter_ms": 2.0,
        "packets_received": 100 * i,
        "packets_lost": 5 * i if i < 3 else 10,  # 5 of 105 per second, then none
        "fps_in": 29.9,
    } | extra
    return StatsSnapshot(session, i * S, values)


def test_stats_snapshots_become_series_over_time() -> None:
    tl = Timeline()
    tl.feed(StatsSnapshot(0, 0, {"transport": "webrtc", "mode": "v2v"}))  # no figures
    for i in range(1, 6):
        tl.feed(_stats(i, rtt_ms=3.0) if i > 1 else _stats(i))
        tl.feed(_stats(i, session=1))
    tl.feed(StatsSnapshot(0, 7 * S, {"final": True, "bitrate_in_kbps": 1.0}))  # left out
    assert tl.stats_total == 10
    s = tl.stats_series(0)
    assert s["t_s"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]  # from the first with figures
    assert s["bitrate_in_kbps"].tolist() == [501.0, 502.0, 503.0, 504.0, 505.0]
    assert np.isnan(s["rtt_ms"][0]) and s["rtt_ms"][1:].tolist() == [3.0] * 4
    assert np.isnan(s["fps_out"]).all()  # never reported
    loss = s["loss_pct"]
    assert np.isnan(loss[0])  # no interval before the first snapshot
    assert loss[1] == pytest.approx(100 * 5 / 105)
    assert loss[3:].tolist() == [0.0, 0.0]
    assert set(STATS) | {"t_s", "loss_pct"} == set(s)
    assert len(tl.stats_series(1)["t_s"]) == 5 and len(tl.stats_series(7)["t_s"]) == 0


def test_stats_rows_are_bounded(monkeypatch) -> None:
    monkeypatch.setattr(timeline_module, "STATS_CAPACITY", 50)
    tl = Timeline()
    for i in range(1, 201):
        tl.feed(_stats(i))
    assert tl.stats_total == 200
    assert tl.stats_series()["t_s"].tolist() == [float(i) for i in range(150, 200)]


def test_frame_latency_and_hold_over_time() -> None:
    tl = Timeline()
    for i in range(30):
        t = i * 33 * MS
        tl.feed(FrameSample(0, "out", t, i))
        hold = None if i % 10 == 0 else 8 * MS
        latency = None if i == 5 else 60 * MS
        tl.feed(FrameSample(0, "in", t + 60 * MS, i, latency_ns=latency, hold_ns=hold))
    t, ms = tl.frame_latency()
    assert tl.frames_total == len(ms) == 29 and set(ms.tolist()) == {60.0}
    ht, hold = tl.frame_hold()
    assert len(hold) == 27 and set(hold.tolist()) == {8.0}
    assert ht[0] == pytest.approx(0.093)  # frame 1 came back 60 ms after it was sent at 33
    per_s = tl.per_second()
    assert per_s["frames_out"].sum() == 30 and per_s["frames_in"].sum() == 30


def test_frame_hold_and_stats_are_kept_per_session() -> None:
    """A run with two WebRTC sessions: each session's hold and getStats apart, and the
    sessions that reported, for the GUI's session picker."""
    tl = Timeline()
    ms = 1_000_000
    for i in range(4):
        for session in (0, 1):
            hold = (10 + session) * ms
            tl.feed(FrameSample(session, "in", i * 33 * ms, i, latency_ns=50 * ms, hold_ns=hold))
    tl.feed(StatsSnapshot(1, 1_000 * ms, {"rtt_ms": 2.0}))
    assert tl.stats_sessions() == [0, 1]  # session 0 only held frames
    for session in (0, 1):
        _t, hold_ms = tl.frame_hold(session)
        assert list(hold_ms) == [10.0 + session] * 4
    assert len(tl.frame_hold()[0]) == 8
    assert len(tl.stats_series(1)["t_s"]) == 1 and len(tl.stats_series(0)["t_s"]) == 0


def test_resolution_steps_hold_each_size_until_the_next_per_session() -> None:
    tl = Timeline()
    assert len(tl.resolution_steps("in", 0, 5.0)["t_s"]) == 0  # no frame yet
    for i, (w, h) in enumerate([(640, 480)] * 3 + [(320, 240)] * 2):
        tl.feed(FrameSample(0, "in", i * S, i, width=w, height=h))
    tl.feed(FrameSample(1, "in", 2 * S, 0, width=160, height=120))  # another session
    steps = tl.resolution_steps("in", 0, until_s=9.0)
    assert list(steps["t_s"]) == [0, 3, 3, 9]
    assert list(steps["width"]) == [640, 640, 320, 320]
    assert list(steps["height"]) == [480, 480, 240, 240]
    assert list(tl.resolution_steps("in", 1)["width"]) == [160]
    assert tl.resolution_points == 3
