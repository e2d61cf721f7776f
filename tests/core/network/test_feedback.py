"""The summary adds each WebRTC session's final feedback counters (NACK, PLI, freezes)."""

from __future__ import annotations

import json

from app.core.events import FrameSample, StatsSnapshot
from app.core.report.jsonfile import dumps
from app.core.report.model import Summary
from app.core.summary import Aggregator
from app.core.transports.webrtc_network import FreezeCounter

T0 = 1_000_000_000


def test_final_counters_are_summed_and_the_longest_freeze_kept() -> None:
    agg = Aggregator(transport="webrtc", target="ws://example.test/v2v")
    for s, (nacks, longest) in enumerate(((3, 120.0), (5, 300.0))):
        agg.feed(StatsSnapshot(s, T0, {"transport": "webrtc"}))
        agg.feed(FrameSample(s, "in", T0, 1, latency_ns=10))
        agg.feed(StatsSnapshot(s, T0, {"nack_sent": 99}))  # not final: not counted
        final = {"final": True, "nack_sent": nacks, "pli_sent": 1, "freezes": 2,
                 "freeze_ms": 400.0, "longest_freeze_ms": longest}  # fmt: skip
        agg.feed(StatsSnapshot(s, T0 + 1, final))
    summary = agg.summary()
    assert summary.frames is not None
    fb = summary.frames.feedback
    assert fb["nack_sent"] == 8 and fb["pli_sent"] == 2 and fb["freezes"] == 4
    assert fb["freeze_ms"] == 800.0 and fb["longest_freeze_ms"] == 300.0
    again = Summary.from_json(json.loads(dumps(summary)))
    assert again.frames is not None and dict(again.frames.feedback) == dict(fb)


def test_a_freeze_is_a_gap_over_three_frame_intervals() -> None:
    f = FreezeCounter(30)
    ms = 1_000_000
    t = 0
    for gap in (33, 33, 90, 101, 33, 500, 33):  # 3 x 33.3 = 100 ms: 90 is not, 101 is
        t += gap * ms
        f.frame(t)
    assert f.values() == {"freezes": 2, "freeze_ms": 601.0, "longest_freeze_ms": 500.0}
    f.reset_gap()
    f.frame(t + 10_000 * ms)  # across a reconnect: not a freeze
    assert f.freezes == 2
