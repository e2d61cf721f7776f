"""`benchmarks/gui_probes.py`: the interval arithmetic that says whether slow samples
coincide with the GUI's bursts, and the run-queue wait read from /proc."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from benchmarks.gui_probes import VARIANTS, Busy, coincidence, overlaps, wait_ns


def test_overlaps_finds_intervals_that_touch_each_sample() -> None:
    a = np.array([0.0, 2.0, 5.0, 9.0])
    b = np.array([1.0, 3.0, 6.0, 9.5])
    busy = [(2.5, 2.6), (5.9, 7.0), (0.5, 0.6), (6.5, 8.0)]  # unsorted, two overlapping
    assert overlaps(a, b, busy).tolist() == [True, True, True, False]
    assert overlaps(a, b, []).tolist() == [False] * 4
    assert overlaps(a, b, [(8.5, 8.9)], pad_s=0.2).tolist() == [False, False, False, True]


def test_coincidence_compares_the_slowest_samples_with_all() -> None:
    t = np.arange(0.0, 10.0, 0.01)  # 1,000 samples, 1 ms each
    ms = np.ones_like(t)
    ms[::100] = 50.0  # 10 slow ones, each at the start of a paint
    busy = Busy(paints=[(float(x), float(x) + 0.002) for x in t[::100]])
    got = coincidence([(t, ms)], busy, (0.0, 10.0))
    assert got["tail_overlap_paint"] == 1.0
    assert got["all_overlap_paint"] == pytest.approx(0.01, abs=0.005)
    assert got["paint_share_of_time"] == pytest.approx(0.002, rel=0.01)
    assert coincidence([], busy, (0.0, 1.0)) == {"samples": 0.0}
    assert coincidence([(t[:50], ms[:50])], busy, (0.0, 10.0)) == {"samples": 50.0}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_run_queue_wait_is_read_for_a_live_process() -> None:
    assert wait_ns(os.getpid()) >= 0
    assert wait_ns(2**22 + 12345) == 0  # no such process: nothing, not an error


def test_every_variant_is_named() -> None:
    assert {"base", "idle", "batch", "pin-split", "slice", "hog"} <= set(VARIANTS)
