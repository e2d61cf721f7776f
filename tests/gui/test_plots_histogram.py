"""The live histogram's bars are the run's HDR counters: every sample, not the ring's."""

from __future__ import annotations

import numpy as np

from app.core.events import Sample
from app.core.live import LiveRun
from app.gui.plots import LivePlots

MS = 1_000_000


def test_live_histogram_draws_the_hdr_counts(qtbot) -> None:
    plots = LivePlots()
    qtbot.addWidget(plots)
    live = LiveRun("ws", "t")
    try:
        rng = np.random.default_rng(9)
        rtts = (rng.lognormal(np.log(30 * MS), 0.5, 2_000)).astype(np.int64).tolist()
        live.feed_many(
            Sample(0, i, "received", i * MS, i * MS, i * MS + r) for i, r in enumerate(rtts)
        )
        plots.redraw(live)
        edges, counts = plots.hist_curve.xData, plots.hist_curve.yData
        bins = live.aggregator.rtt.log_bins()
        assert int(np.sum(counts)) == live.aggregator.rtt.count == 2_000
        assert counts.tolist() == list(bins.counts)
        np.testing.assert_allclose(edges, bins.edges_ms)  # in ms; the axis does the log
    finally:
        live.close()
