from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.assertions import parse
from app.core.errors import TargetError
from app.core.events import FrameSample, Sample
from app.core.metrics import Percentiles
from app.core.summary import Aggregator

SUMMARY = replace(
    Aggregator(transport="ws").summary(),
    sent=100,
    received=98,
    errors=2,
    rate_per_s=50.0,
    rtt_ms=Percentiles(
        count=98, p50=1.5, p90=3.0, p99=40.0, p999=60.0, max=70.0, mean=2.0, min=0.5
    ),
    server_ms=Percentiles(
        count=98, p50=0.1, p90=0.2, p99=0.3, p999=0.4, max=0.5, mean=0.1, min=0.05
    ),
)


@pytest.mark.parametrize(
    "text",
    [
        "p99<50ms",
        "p99 < 0.05s",
        "p50<=1500us",
        "errors<=2",
        "received>=98",
        "rate>=50",
        "server_p99<1ms",
        "max<71",
        "sent==100",
        "dropped==0",
    ],
)
def test_holding_thresholds(text: str) -> None:
    assert parse(text).check(SUMMARY) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("p99<30ms", "assertion 'p99<30ms' failed: p99 was 40.000 ms"),
        ("errors==0", "assertion 'errors==0' failed: errors was 2"),
        ("ttfe_p50<10ms", "assertion 'ttfe_p50<10ms' failed: this run measured no ttfe_p50"),
        ("fps_in>=28", "assertion 'fps_in>=28' failed: this run measured no fps_in"),
    ],
)
def test_failing_thresholds_say_why(text: str, reason: str) -> None:
    assert parse(text).check(SUMMARY) == reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p99 50ms", "cannot read assertion"),
        ("latency<5", "unknown name 'latency'"),
        ("errors<2ms", "errors is not a latency"),
        ("p99<<5", "cannot read assertion"),
    ],
)
def test_bad_assertions_are_target_errors(text: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        parse(text)


def test_video_and_stream_figures_are_read_from_their_blocks() -> None:
    video = Aggregator(transport="webrtc")
    for i in range(31):  # 30 fps for one second, each frame back 40 ms later
        t = i * 33_333_333
        video.feed(FrameSample(0, "out", t, i))
        video.feed(FrameSample(0, "in", t + 40_000_000, i, latency_ns=40_000_000))
    summary = video.summary()
    assert parse("fps_in>=28").check(summary) is None
    assert parse("frames_out==31").check(summary) is None
    assert parse("frame_p99<41ms").check(summary) is None
    assert parse("duration_s>1").check(summary) is None
    assert "no events" in (parse("events>0").check(summary) or "")
    sse = Aggregator(transport="sse")
    sse.feed(Sample(0, 0, "received", 0, 0, 9_000_000, first_ns=2_000_000, events=3))
    assert parse("events==3").check(sse.summary()) is None
    assert parse("ttfe_p50<=2ms").check(sse.summary()) is None
