from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.metrics import LatencyHistogram, Ring
from app.core.metrics.histogram import MAX_TRACKABLE_US, counts_index


def test_percentiles_match_exact_values_within_precision() -> None:
    rng = np.random.default_rng(1)
    samples_ms = rng.lognormal(mean=0.0, sigma=1.0, size=20_000)
    h = LatencyHistogram()
    for ms in samples_ms:
        h.record_ns(int(ms * 1e6))
    s = h.summary()
    assert s.count == 20_000
    for got, p in ((s.p50, 50), (s.p90, 90), (s.p99, 99), (s.p999, 99.9)):
        exact = float(np.percentile(samples_ms, p))
        assert got == pytest.approx(exact, rel=0.01, abs=0.002)
    assert s.max == pytest.approx(samples_ms.max(), rel=0.001)
    assert s.mean == pytest.approx(samples_ms.mean(), rel=0.01)


def test_empty_and_merge_and_clamp() -> None:
    a, b = LatencyHistogram(), LatencyHistogram()
    assert a.summary().count == 0 and a.summary().p99 == 0.0
    a.record_ns(1_000_000)
    b.record_ns(3_000_000)
    b.record_ns(10**13)  # ~2.8 hours: clamped to the one-hour ceiling, and counted as such
    a.merge(b)
    assert a.count == 3 and a.clamped == 1
    assert a.summary().min == pytest.approx(1.0, rel=0.001)
    assert a.summary().max == pytest.approx(3_600_000, rel=0.001)
    a.reset()
    assert a.count == 0 and a.clamped == 0


def test_sub_microsecond_samples_count_as_one_microsecond() -> None:
    h = LatencyHistogram()
    h.record_ns(0)
    h.record_ns(400)
    assert h.count == 2 and h.summary().max == pytest.approx(0.001)


@given(st.integers(1, 50), st.lists(st.floats(-1e6, 1e6), max_size=200))
def test_ring_keeps_the_last_rows_in_order(capacity: int, values: list[float]) -> None:
    ring = Ring(capacity, width=1)
    for v in values:
        ring.append(v)
    assert ring.view()[:, 0].tolist() == values[-capacity:] if values else len(ring) == 0
    assert ring.total == len(values)


@given(st.integers(1, 30), st.lists(st.integers(0, 40), max_size=10))
def test_ring_extend_equals_appends(capacity: int, chunk_sizes: list[int]) -> None:
    a, b = Ring(capacity), Ring(capacity)
    n = 0
    for size in chunk_sizes:
        rows = np.arange(n, n + size * 2, dtype=float).reshape(-1, 2)
        n += size * 2
        a.extend(rows)
        for row in rows:
            b.append(*row)
    assert np.array_equal(a.view(), b.view())
    assert a.total == b.total


def test_ring_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError):
        Ring(0)


def test_percentiles_agree_with_the_hdrhistogram_package() -> None:
    """Same layout, same rule: our numpy histogram answers as hdrhistogram does."""
    from hdrh.histogram import HdrHistogram

    rng = np.random.default_rng(7)
    values_us = np.concatenate(
        [
            rng.integers(1, 2000, 5000),
            rng.integers(1, 10**9, 300),
            [1, 2047, 2048, 2049, 4095, 4096, 10**6],
        ]
    )
    ours, theirs = LatencyHistogram(), HdrHistogram(1, 3_600_000_000, 3)
    for us in values_us.tolist():
        ours.record_ns(us * 1000)
        theirs.record_value(us)
    for p in (0.1, 1, 25, 50, 90, 99, 99.9, 99.99):
        assert ours.percentile_ms(p) * 1000 == theirs.get_value_at_percentile(p), p
    # at the top we report the exact maximum; hdrhistogram its bucket's upper edge
    assert ours.percentile_ms(100) * 1000 == pytest.approx(
        theirs.get_value_at_percentile(100), rel=0.001
    )
    assert ours.summary().max * 1000 == values_us.max()
    # and our buckets carry over into theirs count for count (the layouts are one)
    copy = HdrHistogram(1, MAX_TRACKABLE_US, 3)
    for value, count in zip(*(a.tolist() for a in ours.buckets()), strict=True):
        copy.record_value(max(1, value), count)
    assert copy.get_total_count() == len(values_us)
    assert copy.get_value_at_percentile(99) == theirs.get_value_at_percentile(99)


def test_a_pickled_histogram_keeps_recording_into_the_counts_it_reads() -> None:
    """The engine's process sends histograms through a pipe (pickle): the unpickled
    copy must still be one buffer behind both views, or records would vanish from
    its percentiles."""
    import pickle

    h = LatencyHistogram()
    for ns in (1_000_000, 2_000_000, 3_000_000):
        h.record_ns(ns)
    copy = pickle.loads(pickle.dumps(h))
    assert copy.summary() == h.summary()
    copy.record_ns(50_000_000)
    h.record_ns(50_000_000)
    assert copy.summary() == h.summary() and copy.percentile_ms(100) == h.percentile_ms(100)
    other = LatencyHistogram()
    other.merge(copy)
    assert other.summary() == copy.summary()


def test_record_ns_files_every_value_in_the_counter_counts_index_names() -> None:
    """`record_ns` inlines `counts_index` (the per-message path): both must agree for
    every bucket's edges, from 1 µs to the hour, or percentiles would shift silently."""
    values = {1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, MAX_TRACKABLE_US}
    for shift in range(0, MAX_TRACKABLE_US.bit_length()):
        edge = 1 << shift
        values |= {edge - 1, edge, edge + 1, edge + edge // 3}
    for us in sorted(v for v in values if 1 <= v <= MAX_TRACKABLE_US):
        h = LatencyHistogram()
        h.record_ns(us * 1000)
        _, counts = h.buckets()
        assert counts.tolist() == [1], us
        assert np.nonzero(h._counts)[0].tolist() == [counts_index(us)], us
