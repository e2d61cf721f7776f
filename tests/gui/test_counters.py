"""The connection's counter texts, from the typed Summary (no Qt needed)."""

from __future__ import annotations

import pytest

from app.core.events import EventsDropped, FrameSample, Sample, StatsSnapshot
from app.core.summary import Aggregator
from app.gui.counter_strip import CounterStrip
from app.gui.counters import counter_heads, counter_texts


def test_counters_say_when_events_never_reached_the_gui() -> None:
    agg = Aggregator(transport="realtime", target="ws://h/x")
    agg.feed(Sample(0, 0, "received", 0, 0, 178_431_000))
    texts = counter_texts(agg.summary(), "running")
    assert texts["state"] == "running" and texts["p50"].endswith("ms")
    agg.feed(EventsDropped(1, 1234))
    assert counter_texts(agg.summary(), "finished")["state"] == "finished (1,234 events lost)"


def _video_run(frames: int = 60, lost: int = 2) -> Aggregator:
    """A WebRTC v2v run: frames out at 30 fps, all but `lost` back 80 ms later."""
    agg = Aggregator(transport="webrtc", target="ws://h/webrtc")
    agg.feed(StatsSnapshot(0, 0, {"transport": "webrtc", "mode": "v2v"}))  # the connection
    for i in range(frames):
        t = i * 33_333_333
        agg.feed(FrameSample(0, "out", t, i))
        if i >= lost:
            agg.feed(FrameSample(0, "in", t + MS80, i, latency_ns=MS80))
    agg.feed(StatsSnapshot(0, frames * 33_333_333, {"final": True, "frames_lost": lost}))
    return agg


MS80 = 80_000_000


def test_a_video_run_counts_frames_and_their_latency() -> None:
    texts = counter_texts(_video_run().summary(), "connected")
    assert (texts["sent"], texts["received"], texts["dropped"]) == ("60", "58", "2")
    assert texts["p50"] == texts["p99"] == "80.0 ms"
    assert texts["rate"] == "–"  # no messages: the fps say the pace
    fps_in, fps_out = (float(v) for v in texts["fps in/out"].split(" / "))
    assert fps_in == pytest.approx(30, abs=0.1) and fps_out == pytest.approx(30, abs=0.1)


def test_latencies_read_with_three_significant_figures() -> None:
    agg = Aggregator(transport="ws", target="ws://h/x")
    for i in range(100):
        agg.feed(Sample(0, i, "received", 0, 0, 178_431_000))
    texts = counter_texts(agg.summary(), "running")
    assert texts["p50"] == "178 ms" and texts["p99"] == "178 ms"


def test_the_strip_names_its_columns_for_the_transport(qtbot) -> None:
    strip = CounterStrip()
    qtbot.addWidget(strip)
    assert strip.heads["sent"].text() == "sent"
    strip.set_transport("webrtc")
    heads = {name: label.text() for name, label in strip.heads.items()}
    assert heads["sent"] == "frames sent" and heads["received"] == "frames received"
    assert heads["dropped"] == "frames lost" and heads["p50"] == "p50"
    assert "per-frame latency" in strip.labels["p50"].toolTip()
    strip.set_transport("ws")
    assert strip.heads["dropped"].text() == "dropped"
    assert counter_heads("no such transport")["sent"][0] == "sent"  # a half-typed form
    assert all(tip for _, tip in counter_heads("ws").values())
