"""The typed run summary: its JSON file, its WebRTC shape, and histograms drawn from HDR."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from app.commands.run import format_summary
from app.core.events import (
    ErrorEvent,
    FrameSample,
    Message,
    Sample,
    StateChange,
    StatsSnapshot,
    Unmatched,
)
from app.core.metrics import LatencyHistogram
from app.core.report.html import render_html
from app.core.report.jsonfile import dumps
from app.core.report.model import Summary
from app.core.report.plots import latency_histogram
from app.core.report.timeline import Timeline
from app.core.summary import Aggregator
from app.gui.counters import COUNTER_NAMES, counter_texts

MS = 1_000_000
T0 = 7_000_000_000_000

# the summary file's keys, which scripts and CI read: the same as before the Summary type
BASE_KEYS = {
    "network_changes",  # changes during the run (app/core/network/changes.py)
    "transport",
    "target",
    "started",
    "sessions",
    "sent",
    "received",
    "errors",
    "dropped",
    "timeouts",
    "warmup",
    "error_events",
    "events_dropped",
    "unmatched",
    "unmatched_by_reason",
    "duration_s",
    "rate_per_s",
    "bytes_out",
    "bytes_in",
    "throughput_in_bytes_per_s",
    "rtt_ms",
    "errors_by_message",
    "connection",
    "per_session",
}
SSE_KEYS = {
    "time_to_first_event_ms",
    "event_gap_ms",
    "events",
    "events_per_s",
    "client_backlogged_requests",
}
FRAME_KEYS = {
    "fps_out",
    "fps_in",
    "frames_out",
    "frames_in",
    "frames_lost",
    "frame_latency_ms",
    "frame_hold_ms",
    "feedback",  # NACKs, PLIs, freezes (app/core/network/feedback.py)
    "resolution",  # frame width x height: min, median, max, changes (network/resolution.py)
}
PCT_KEYS = {"count", "p50", "p90", "p99", "p999", "max", "mean", "min"}
SESSION_KEYS = {"session", "state", "sent", "received", "errors", "dropped", "timeouts"}
SESSION_KEYS |= {"unmatched"}


def ws_run() -> Aggregator:
    """Two sessions, server stamps, a late (open-loop) send, an error and an x-fal-message."""
    agg = Aggregator(transport="ws", target="wss://example.test/app")
    agg.feed(StateChange(0, T0, "connected"))
    agg.feed(StatsSnapshot(0, T0, {"extensions": ["permessage-deflate"]}))
    for i in range(40):
        intended = T0 + i * 10 * MS
        outcome = "errored" if i == 7 else "received"
        agg.feed(
            Sample(
                i % 2,
                i,
                outcome,
                intended,
                intended + (3 * MS if i == 5 else 0),
                intended + (20 + i) * MS,
                bytes_out=10,
                bytes_in=100,
                server_ns=5 * MS,
                warmup=i < 2,
            )
        )
    agg.feed(ErrorEvent(0, T0 + 70 * MS, "AppError", "app error INTERNAL_ERROR: nope"))
    agg.feed(Message(0, "in", T0, "x-fal-message", 10, {"timing": 0.25}))
    return agg


def sse_run() -> Aggregator:
    agg = Aggregator(transport="sse", target="http://example.test/stream")
    for i in range(5):
        t = T0 + i * 100 * MS
        agg.feed(Sample(0, i, "received", t, t, t + 30 * MS, first_ns=t + 4 * MS, events=4,
                        gaps_ns=(3 * MS, 3 * MS, 4 * MS)))  # fmt: skip
    return agg


def v2v_run(sessions: int = 2, frames: int = 90, lost: int = 3, tail: int = 2) -> Aggregator:
    """Video to video at 30 fps, no messages: `lost` frames never came back, the last
    `tail` were still on their way when the run ended; getStats reported wire bytes."""
    agg = Aggregator(transport="webrtc", target="ws://example.test/v2v")
    for s in range(sessions):
        agg.feed(StateChange(s, T0, "connected"))
        agg.feed(StatsSnapshot(s, T0, {"transport": "webrtc", "time_to_connected_ms": 42.0}))
        for i in range(frames):
            t = T0 + i * 33_333_333
            agg.feed(FrameSample(s, "out", t, i))
            if i < lost or i >= frames - tail:
                continue
            agg.feed(FrameSample(s, "in", t + 60 * MS, i, latency_ns=60 * MS, hold_ns=8 * MS))
            if i % 30 == 0:
                agg.feed(StatsSnapshot(s, t, {"bytes_in": 1_000 * i, "bytes_out": 2_000 * i}))
        end = T0 + frames * 33_333_333
        agg.feed(StatsSnapshot(s, end, {"bytes_in": 90_000, "bytes_out": 180_000}))
        final = {"final": True, "frames_lost": lost, "bytes_in": 100_000, "bytes_out": 200_000}
        agg.feed(StatsSnapshot(s, end, final))
        agg.feed(StateChange(s, end, "closed"))
    return agg


# -- the JSON file -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "keys"),
    [
        (ws_run, BASE_KEYS | {"server_ms", "network_ms", "send_lag_ms"}),
        (sse_run, BASE_KEYS | SSE_KEYS),
        (v2v_run, BASE_KEYS | FRAME_KEYS | {"time_to_connected_ms"}),
    ],
)
def test_json_has_the_documented_keys_and_round_trips(make, keys: set[str]) -> None:
    summary = make().summary()
    data = json.loads(dumps(summary))
    if make is ws_run:
        keys = keys | {"fal_messages", "fal_timing_s"}
    assert set(data) == keys
    for name in keys:
        if name.endswith("_ms") and name != "time_to_connected_ms":
            assert set(data[name]) == PCT_KEYS, name
    assert all(set(line) == SESSION_KEYS for line in data["per_session"])
    back = Summary.from_json(data)
    assert back == summary
    assert dumps(back) == dumps(summary)
    assert summary["rtt_ms"]["p50"] == data["rtt_ms"]["p50"]  # the file's keys read the same


def test_ws_summary_fields() -> None:
    s = ws_run().summary()
    assert (s.sent, s.received, s.errors, s.warmup, s.sessions) == (38, 37, 1, 2, 2)
    assert s.rtt_ms.count == 37 and s.server_ms is not None and s.server_ms.count == 37
    assert s.send_lag_ms is not None and s.send_lag_ms.max == pytest.approx(3.0)
    assert s.bytes_out == 380 and s.bytes_in == 3_800
    assert s.duration_s == pytest.approx((39 * 10 + 59 - 20) / 1000)
    assert s.fal is not None and s.fal.fal_timing_s == 0.25
    assert s.frames is None and s.stream is None
    assert [t.unit for t in s.outcome_tables()] == ["Messages"]
    assert s.errors_by_message == {"app error INTERNAL_ERROR: nope": 1}
    assert "WebSocket extensions: permessage-deflate" in format_summary(s)


# -- the WebRTC shape --------------------------------------------------------------
def test_video_run_has_its_duration_bytes_and_frame_outcomes() -> None:
    s = v2v_run(sessions=2, frames=90, lost=3, tail=2).summary()
    assert s.sent == 0 and s.frames is not None
    f = s.frames
    assert (f.frames_out, f.frames_in, f.frames_lost) == (180, 170, 6)
    assert f.in_flight == 4  # out = in + lost + in flight
    assert s.duration_s == pytest.approx(89 * 33.333333 / 1000, rel=1e-6)
    assert f.fps_out == pytest.approx(60.0, rel=0.02)  # two sessions at 30 fps each
    assert f.time_to_connected_ms == 42.0
    assert f.frame_latency_ms.p50 == pytest.approx(60.0, rel=0.001)
    assert (s.bytes_in, s.bytes_out) == (200_000, 400_000)  # the last getStats of each session
    assert s.throughput_in_bytes_per_s == pytest.approx(200_000 / s.duration_s, rel=1e-3)
    (table,) = s.outcome_tables()  # no messages table of zeros
    assert table.unit == "Frames" and table.total == 180
    assert dict(table.rows) == {"Frames in": 170, "Lost": 6, "In flight at the end": 4}
    assert table.accounted == table.total


def test_video_run_reports_frames_not_zero_messages() -> None:
    s = v2v_run().summary()
    tl = Timeline()
    doc = render_html(s, tl)
    assert "Every sent frame has exactly one outcome (180 = 180)" in doc
    assert "Sent (measured)" not in doc and "msg/s" not in doc
    assert "<dt>Duration</dt><dd>2.97 s</dd>" in doc
    assert re.search(r"60\.\d\d fps out", doc)
    assert "Frame latency histogram" in doc
    text = format_summary(s)
    assert "sent 0" not in text and "2.967 s" in text and "in 200000 B" in text
    assert "frames out 180" in text and "in flight at the end 4" in text


def test_generated_video_keeps_the_action_table() -> None:
    """A world model: no frames go out, actions are the messages."""
    agg = Aggregator(transport="webrtc")
    for i in range(30):
        agg.feed(FrameSample(0, "in", T0 + i * 33 * MS, i))
    agg.feed(Sample(0, 0, "received", T0, T0, T0 + 80 * MS))
    s = agg.summary()
    assert [t.unit for t in s.outcome_tables()] == ["Messages"]
    assert "action → frame (ms)" in format_summary(s)
    assert s.duration_s == pytest.approx(29 * 0.033)


# -- histograms from the HDR counters ------------------------------------------------
def test_log_bins_hold_every_sample_where_it_was_recorded() -> None:
    h = LatencyHistogram()
    values_ms = [0.5, 1.0, 1.0, 1.05, 9.99, 10.0, 150.0, 150.0, 150.0, 2_000.0]
    for v in values_ms:
        h.record_ns(int(v * MS))
    bins = h.log_bins(per_decade=10)
    assert bins.total == h.count == len(values_ms)
    assert bins.edges_ms[0] == pytest.approx(0.1) and bins.edges_ms[-1] == pytest.approx(10_000)
    assert len(bins.edges_ms) == len(bins.counts) + 1
    edges = np.asarray(bins.edges_ms)
    expected = np.histogram(values_ms, bins=edges)[0]  # exact values: no bin edge is close
    assert list(bins.counts) == expected.tolist()
    i = int(np.searchsorted(edges, 1.0, side="right")) - 1
    assert bins.counts[i] == 3  # 1.0, 1.0 and 1.05 ms: a value on an edge starts its bin


def test_report_histogram_draws_the_hdr_counts() -> None:
    rng = np.random.default_rng(5)
    h = LatencyHistogram()
    for v in rng.lognormal(np.log(20 * MS), 0.6, 5_000).astype(np.int64).tolist():
        h.record_ns(v)
    bins = h.log_bins()
    assert bins.total == 5_000
    svg = latency_histogram(bins, h.summary(), "t")
    bars = re.findall(r'height="([^"]+)" fill="#0072B2" fill-opacity="0.8"', svg)
    nonzero = [n for n in bins.counts if n]
    assert len(bars) == len(nonzero)
    heights = np.asarray(bars, dtype=float)
    assert int(np.argmax(heights)) == int(np.argmax(nonzero))
    # the p50 line sits over the bar holding the 2,500th sample
    p50 = h.summary().p50
    cum = np.cumsum(bins.counts)
    k = int(np.searchsorted(cum, 2_500))
    assert bins.edges_ms[k] <= p50 < bins.edges_ms[k + 1] * 1.001


def test_summary_carries_the_run_histogram_beyond_the_timeline_ring() -> None:
    agg, tl = Aggregator(transport="ws"), Timeline(capacity=100)
    for i in range(1_000):
        e = Sample(0, i, "received", T0 + i * MS, T0 + i * MS, T0 + i * MS + (5 + i % 7) * MS)
        agg.feed(e)
        tl.feed(e)
    s = agg.summary()
    assert len(tl.latency()[1]) == 100  # the ring kept the last 100
    assert s.rtt_histogram.total == s.rtt_ms.count == 1_000  # the histogram has them all


# -- GUI counters ------------------------------------------------------------------
def test_counter_texts_have_sensible_precision() -> None:
    agg = Aggregator(transport="ws")
    for i in range(10):
        agg.feed(Sample(0, i, "received", T0, T0, T0 + 178_400_000))
    texts = counter_texts(agg.summary(), "connected")
    assert tuple(texts) == COUNTER_NAMES
    assert texts["p50"] == "178 ms" and texts["sent"] == "10"
    assert texts["fps in/out"] == "–"
    video = counter_texts(v2v_run(sessions=1).summary(), "finished")
    assert video["p50"] == "60.0 ms" and video["fps in/out"] == "30.0 / 30.0"  # per frame
    assert video["sent"] == "90" and video["received"] == "85" and video["dropped"] == "3"


def test_unmatched_frames_are_counted_apart_from_sent_and_their_bytes_come_in() -> None:
    agg = Aggregator(transport="realtime", target="t")
    agg.feed(Sample(0, 0, "received", T0, T0, T0 + MS, bytes_out=5, bytes_in=10))
    agg.feed(Unmatched(0, T0 + MS, {"duplicate": 2, "unsolicited": 1}, bytes_in=300))
    agg.feed(Unmatched(1, T0 + 2 * MS, {"unknown": 1}, bytes_in=7))
    agg.feed(Unmatched(1, T0 + 3 * MS, {}, bytes_in=40))  # a notice's bytes alone
    s = agg.summary()
    assert (s.sent, s.received, s.unmatched, s.bytes_in) == (1, 1, 4, 357)
    assert s.unmatched_by_reason == {"late": 0, "duplicate": 2, "unknown": 1, "unsolicited": 1}
    assert [line.unmatched for line in s.per_session] == [3, 1]
    flood = "flood: 2 frames that no input asked for, more than the 1 replies received"
    assert s.flood_warning() == flood
    data = json.loads(dumps(s))
    assert data["unmatched"] == 4 and data["unmatched_by_reason"]["duplicate"] == 2
    assert Summary.from_json(data) == s
    # a file written before these keys existed still reads, as nothing unmatched
    old = {k: v for k, v in data.items() if not k.startswith("unmatched")}
    old["per_session"] = [
        {k: v for k, v in line.items() if k != "unmatched"} for line in old["per_session"]
    ]
    back = Summary.from_json(old)
    assert back.unmatched == 0 and back.flood_warning() is None
    # every view shows them, and the flood in one line
    text = format_summary(s)
    assert "  unmatched 4 (duplicate 2, unknown 1, unsolicited 1)" in text
    assert text.count(flood) == 1
    html = render_html(s, Timeline())
    assert "Unmatched frames" in html and html.count(flood) == 1
    assert "unmatched" in COUNTER_NAMES and counter_texts(s, "closed")["unmatched"] == "4 (flood)"
    assert "unmatched" not in format_summary(back)


def test_duplicates_beyond_the_replies_are_no_flood() -> None:
    """A server-streaming app answers one input with many outputs: duplicates, not a flood."""
    agg = Aggregator(transport="realtime", target="t")
    agg.feed(Sample(0, 0, "received", T0, T0, T0 + MS, bytes_in=10))
    agg.feed(Unmatched(0, T0 + MS, {"duplicate": 4, "late": 3}, bytes_in=70))
    s = agg.summary()
    assert s.unmatched == 7 and s.flood_warning() is None
    assert "flood" not in format_summary(
        s
    ) and "unmatched 7 (late 3, duplicate 4)" in format_summary(s)
