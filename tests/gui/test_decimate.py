"""The curve's points, thinned: bounded in number, every spike and dip kept, in order."""

from __future__ import annotations

import numpy as np

from app.gui.decimate import min_max


def test_short_series_pass_unchanged() -> None:
    t = np.arange(100, dtype=float)
    y = np.random.default_rng(1).random(100)
    tt, yy = min_max(t, y, max_points=200)
    assert tt is t and yy is y


def test_long_series_are_bounded_and_keep_spikes_and_dips() -> None:
    rng = np.random.default_rng(2)
    n = 100_003  # not a multiple of the chunk: the tail is kept as it is
    t = np.cumsum(rng.random(n))
    y = rng.random(n) + 1.0
    y[12_345] = 200.0  # one start-up spike
    y[77_777] = 0.001  # one very fast reply
    tt, yy = min_max(t, y, max_points=4_000)
    assert len(yy) <= 4_000 + 50
    assert yy.max() == 200.0 and yy.min() == 0.001
    assert np.all(np.diff(tt) > 0)  # time order, no point twice
    assert tt[-1] == t[-1]  # the newest point is always drawn
    # every kept point is a real sample at its own time
    index = np.searchsorted(t, tt)
    assert np.array_equal(t[index], tt) and np.array_equal(y[index], yy)
