"""`LatencyHistogram.to_wire`/`add_wire`: histograms that cross processes merge exactly."""

from __future__ import annotations

import random

import msgpack
import pytest

from app.core.metrics import LatencyHistogram
from app.core.metrics.histogram import MAX_TRACKABLE_US


def _fed(values_ns: list[int]) -> LatencyHistogram:
    h = LatencyHistogram()
    for v in values_ns:
        h.record_ns(v)
    return h


def test_a_histogram_split_in_parts_merges_back_to_the_one_fed_every_sample() -> None:
    rng = random.Random(7)
    values = [int(rng.lognormvariate(13, 1.5)) for _ in range(20_000)]
    values += [MAX_TRACKABLE_US * 1000 * 2]  # clamped, and it must travel as such
    whole = _fed(values)
    merged = LatencyHistogram()
    for part in (values[:5_000], values[5_000:5_001], values[5_001:]):
        wire = msgpack.unpackb(msgpack.packb(_fed(part).to_wire()))
        merged.add_wire(wire)
    assert merged.summary() == whole.summary()
    assert merged.count == len(values) and merged.clamped == whole.clamped == 1
    assert [b.tolist() for b in merged.buckets()] == [b.tolist() for b in whole.buckets()]


def test_an_empty_histogram_travels_in_a_few_bytes_and_adds_nothing() -> None:
    h = _fed([1_000_000])
    before = h.summary()
    wire = LatencyHistogram().to_wire()
    assert len(msgpack.packb(wire)) < 64
    h.add_wire(wire)
    assert h.summary() == before


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"index": b"\x00\x00\x00\x00", "counts": b"", "n": 1, "sum": 1, "min": 1, "max": 1},
        {
            "index": b"\xff\xff\xff\x00",
            "counts": (1).to_bytes(8, "little"),
            "n": 1,
            "sum": 1,
            "min": 1,
            "max": 1,
            "clamped": 0,
        },
        {
            "index": b"\x00\x00\x00\x00",
            "counts": (2).to_bytes(8, "little"),
            "n": 1,
            "sum": 1,
            "min": 1,
            "max": 1,
            "clamped": 0,
        },
    ],
)
def test_what_is_not_a_histogram_is_refused_and_changes_nothing(broken: dict) -> None:
    h = _fed([2_000_000])
    before = h.summary()
    with pytest.raises(ValueError, match="not a histogram"):
        h.add_wire(broken)
    assert h.summary() == before
