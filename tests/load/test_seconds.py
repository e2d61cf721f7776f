"""Per-second series: a worker's seconds, and the master's exact merge of them."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest

from app.core.events import ErrorEvent, FrameSample, Sample
from app.core.metrics import LatencyHistogram
from app.core.report.html import render_html
from app.core.summary import Aggregator
from app.load.seconds import HORIZON_S, MergedSeconds, SecondsWindow

S = 1_000_000_000


def _wire(rows: list) -> list:
    return msgpack.unpackb(msgpack.packb(rows), strict_map_key=False)  # as Locust sends


def test_counters_and_percentiles_of_two_workers_merge_per_second_exactly() -> None:
    rng = np.random.default_rng(7)
    merged, every = MergedSeconds(), {k: LatencyHistogram() for k in range(3)}
    for offset in (0, 250_000_000):  # two workers, clocks a quarter second apart
        w = SecondsWindow(offset_ns=offset)
        for i in range(400):
            t = 10 * S + i * 5_000_000  # 200 msg/s for 2 s of the engine clock
            rtt = int(rng.integers(200_000, 5_000_000))
            w.feed(Sample(0, i, "received", t, t, t + rtt, bytes_out=3, bytes_in=5))
            every[(t + offset) // S - 10].record_ns(rtt)
        w.feed(Sample(0, 999, "timed_out", 11 * S, 11 * S, 11 * S + 1))
        w.feed(ErrorEvent(0, 11 * S, "ProtocolError", "x"))
        merged.add(_wire(w.encode()))
    ps = merged.per_second()
    assert ps["t_s"].tolist() == [0.0, 1.0, 2.0]
    assert ps["sent"].sum() == 802 and ps["received"].sum() == 800
    assert ps["timed_out"].sum() == 2 and ps["error_events"].sum() == 2
    assert ps["bytes_in"].sum() == 4000
    lat = merged.latency("rtt")
    assert lat["t_s"].tolist() == [0.0, 1.0, 2.0]
    for k, sec in enumerate(lat["t_s"].astype(int).tolist()):
        want = every[sec].summary()  # one histogram fed every sample of that second
        assert lat["count"][k] == want.count and lat["p99"][k] == want.p99
        assert lat["p50"][k] == want.p50 and lat["max"][k] == want.max


def test_old_seconds_are_read_once_and_late_samples_counted() -> None:
    merged = MergedSeconds(horizon_s=5)
    for sec in (0, 1, 20):
        w = SecondsWindow(offset_ns=0)
        w.feed(Sample(0, sec, "received", sec * S, sec * S, sec * S + 1_000_000))
        merged.add(_wire(w.encode()))
    late = SecondsWindow(offset_ns=0)
    late.feed(Sample(0, 5, "received", 0, 0, 3_000_000))  # for second 0, long read
    merged.add(_wire(late.encode()))
    assert merged.late == 1
    lat = merged.latency("rtt")
    assert lat["count"].tolist() == [1, 1, 1] and lat["max"][0] == 1.0
    assert merged.per_second()["received"][0] == 2  # the counters still count it
    assert HORIZON_S >= 10  # a worker reports every 3 s: seconds stay open well past that


def test_frames_and_their_latency_have_series_of_their_own() -> None:
    w = SecondsWindow(offset_ns=0)
    for i in range(30):
        w.feed(FrameSample(0, "out", i * S // 30))
        w.feed(FrameSample(0, "in", i * S // 30 + 1, latency_ns=40_000_000))
    merged = MergedSeconds()
    merged.add(_wire(w.encode()))
    ps = merged.per_second()
    assert (ps["frames_out"].sum(), ps["frames_in"].sum()) == (30, 30)
    assert merged.latency("frame_latency")["p50"].tolist() == [40.0]
    assert merged.latency("rtt") == {}


def test_the_merged_html_report_plots_rates_and_latency_over_time() -> None:
    merged, agg = MergedSeconds(), Aggregator("ws", "ws://x")
    w = SecondsWindow(offset_ns=0)
    for i in range(300):
        t = i * 10_000_000
        s = Sample(0, i, "received", t, t, t + (i % 7 + 1) * 1_000_000, bytes_in=9)
        w.feed(s)
        agg.feed(s)
    merged.add(_wire(w.encode()))
    html = render_html(agg.summary(), merged.timeline())
    assert "Round-trip latency per second" in html and "Messages per second" in html
    assert "Bytes per second" in html and "No samples were recorded" not in html
    data = merged.to_json()
    assert data["received"] == [100.0, 100.0, 100.0] and data["rtt_ms"]["count"] == [100] * 3


@pytest.mark.parametrize(
    "rows", ["nope", [[1, [0.0], {}]], [[1, [0.0] * 10, {"x": {}}]], [[1, [0.0] * 10, {"rtt": {}}]]]
)
def test_rows_that_are_not_seconds_are_refused(rows: object) -> None:
    with pytest.raises(ValueError):
        MergedSeconds().add(rows)
