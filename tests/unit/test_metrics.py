from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.metrics import LatencyHistogram, Ring


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
