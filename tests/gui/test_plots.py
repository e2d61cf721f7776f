"""The live plots people read: a spike does not flatten sub-ms traffic, p50/p99 are
labelled beside the data, the time axis ends at the data, video runs plot frames."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtGui import QFontMetricsF

from app.core.events import FrameSample, Sample
from app.core.live import LiveRun
from app.core.report.fmt import fmt_sig
from app.gui.plots import FRAME_TITLES, RTT_TITLES, LivePlots

MS = 1_000_000


@pytest.fixture
def live() -> Iterator[LiveRun]:
    run = LiveRun("ws", "t")
    yield run
    run.close()


@pytest.fixture
def plots(qtbot) -> LivePlots:
    widget = LivePlots()
    qtbot.addWidget(widget)
    widget.resize(800, 450)
    widget.show()
    return widget


def _spike_then_sub_ms(live: LiveRun, n: int = 3_000, t0: int = 0) -> None:
    """Three 200 ms start-up replies, then sub-millisecond traffic every 3 ms."""
    rng = np.random.default_rng(5)
    events = []
    for i in range(n):
        t = t0 + i * 3 * MS
        rtt = 200 * MS if i < 3 else int(rng.uniform(0.2, 0.6) * MS)
        events.append(Sample(0, i, "received", t, t, t + rtt))
    live.feed_many(events)


def _y_top(plots: LivePlots) -> float:
    return float(plots.rtt.viewRange()[1][1])


def test_a_spike_does_not_flatten_sub_ms_traffic(qtbot, plots: LivePlots, live) -> None:
    _spike_then_sub_ms(live)
    plots.redraw(live)
    assert _y_top(plots) < 2.0  # near the sub-ms p99 (0.6 x 1.2), not 200 ms
    assert plots.above.isVisible() and "3 above" in plots.above.text()
    plots.show_all = True  # as the context menu's checkable action does
    assert plots.show_all_action.isChecked()
    assert _y_top(plots) >= 200.0 and not plots.above.isVisible()
    plots.show_all_action.setChecked(False)
    assert _y_top(plots) < 2.0
    assert plots.show_all_action in plots.rtt.vb.menu.actions()


def test_p50_and_p99_are_tags_beside_the_data(qtbot, plots: LivePlots, live) -> None:
    _spike_then_sub_ms(live)
    plots.redraw(live)
    qtbot.waitUntil(lambda: len(plots.markers.tags) == 2, timeout=3_000)  # painted
    texts = [text for _, text, _ in plots.markers.tags]
    rtt = live.aggregator.rtt
    assert set(texts) == {
        f"p50 {fmt_sig(rtt.percentile_ms(50))}",
        f"p99 {fmt_sig(rtt.percentile_ms(99))}",
    }
    assert all(len(t.split()[1].replace(".", "").lstrip("0")) == 3 for t in texts)  # 3 s.f.
    data_area = plots.rtt.vb.sceneBoundingRect()
    tags = [plots.markers.mapRectToScene(rect) for rect, _, _ in plots.markers.tags]
    for tag in tags:
        assert not tag.intersects(data_area)  # in the right margin, not over the data
        assert plots.markers.sceneBoundingRect().contains(tag)  # and not cut
    assert not tags[0].intersects(tags[1])
    assert {c for _, _, c in plots.markers.tags} == {"#00674C", "#A34700"}  # dark, readable


def test_the_time_axis_ends_near_the_last_sample(qtbot, plots: LivePlots, live) -> None:
    _spike_then_sub_ms(live, n=1_000)
    plots.redraw(live)
    last = float(live.timeline.latency()[0][-1])
    lo, hi = plots.rtt.viewRange()[0]
    assert last < hi <= last + max(1.0, 0.13 * last) + 0.05 * (hi - lo)
    rates_hi = plots.rates.viewRange()[0][1]
    assert rates_hi <= last + 2 + 0.05 * rates_hi


def test_redraws_reuse_their_items_and_rarely_move_axes(qtbot, plots: LivePlots, live) -> None:
    items = len(plots.rtt.items)
    for k in range(30):
        _spike_then_sub_ms(live, n=100, t0=k * 300 * MS)
        plots.redraw(live)
    assert len(plots.rtt.items) == items
    assert plots._rtt_y.changes <= 3 and plots._rtt_x.changes <= 12


def test_a_video_run_plots_each_frames_latency(qtbot, plots: LivePlots) -> None:
    live = LiveRun("webrtc", "t")
    try:
        events = []
        for i in range(90):
            t = i * 33 * MS
            events.append(FrameSample(0, "out", t, i))
            latency = (80 + i % 7) * MS
            events.append(FrameSample(0, "in", t + latency, i, latency_ns=latency))
        live.feed_many(events)
        plots.redraw(live)
        assert plots.kind == "frame" and plots.rtt_left.titles == FRAME_TITLES
        xs, ys = plots.rtt_curve.getData()
        assert len(xs) == 90 and float(np.min(ys)) >= 80 and float(np.max(ys)) < 87
        assert int(np.sum(plots.hist_curve.yData)) == 90
        assert plots.fps_in_curve.getData()[0] is not None
        plots.clear_data()
        assert plots.kind == "rtt" and plots.rtt_left.titles == RTT_TITLES
    finally:
        live.close()


def test_axis_titles_fit_a_small_plot(qtbot, live) -> None:
    small = LivePlots()
    qtbot.addWidget(small)
    small.resize(360, 170)
    small.show()
    _spike_then_sub_ms(live, n=200)
    small.redraw(live)
    qtbot.waitUntil(lambda: small.rtt_left.title != "", timeout=2_000)
    axis = small.rtt_left
    assert QFontMetricsF(axis.label.font()).horizontalAdvance(axis.title) <= axis.size().height()
    assert axis.title != "round trip (ms)"  # the short one, not a cut long one


def test_equal_p50_and_p99_tags_do_not_cover_each_other(qtbot, plots: LivePlots, live) -> None:
    live.feed_many(Sample(0, i, "received", i * MS, i * MS, i * MS + 5 * MS) for i in range(500))
    plots.redraw(live)
    qtbot.waitUntil(lambda: len(plots.markers.tags) == 2, timeout=3_000)
    (a, _, _), (b, _, _) = plots.markers.tags
    assert not a.intersects(b)
