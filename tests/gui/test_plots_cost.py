"""What the live plots leave undone each frame, so the GUI takes less CPU from the
engine: the p50/p99 tags and the histogram follow at a few Hz (and exactly at the end),
the round-trip curve holds about two points per pixel column, and a range change does
not re-set an axis title's HTML. Counted calls, never timings."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from app.core.events import RunFinished, Sample
from app.core.live import LiveRun
from app.core.report.fmt import fmt_sig
from app.gui.plots import HIST_EVERY, MARKER_EVERY, MIN_CURVE_POINTS, LivePlots
from app.gui.stats_plots import PANELS

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
    qtbot.waitExposed(widget)
    return widget


def _feed(
    live: LiveRun, n: int, t0_ms: float, rtt_ms: float | None = None, spike_at: int = -1
) -> None:
    """`n` replies 0.5 ms apart from `t0_ms`, sub-ms (or all `rtt_ms`), one of 150 ms."""
    rng = np.random.default_rng(int(t0_ms))
    events = []
    for i in range(n):
        t = int((t0_ms + i * 0.5) * MS)
        rtt = int((rtt_ms if rtt_ms is not None else rng.uniform(0.2, 0.9)) * MS)
        rtt = 150 * MS if i == spike_at else rtt
        events.append(Sample(0, i, "received", t, t, t + rtt))
    live.feed_many(events)


class Calls:
    """Counts the calls of one method of one object, still calling it."""

    def __init__(self, obj: object, name: str) -> None:
        self.n = 0
        original = getattr(obj, name)

        def counted(*args: object, **kwargs: object) -> object:
            self.n += 1
            return original(*args, **kwargs)

        setattr(obj, name, counted)


def test_tags_and_histogram_follow_at_a_few_hz_and_exactly_at_the_end(
    qtbot, plots: LivePlots, live: LiveRun
) -> None:
    markers = Calls(plots.markers, "set_markers")
    hist = Calls(plots.hist_curve, "setData")
    curve = Calls(plots.rtt_curve, "setData")
    redraws = 60  # two seconds at 30 Hz, new data every frame
    for k in range(redraws):
        _feed(live, 20, k * 33.0)
        plots.redraw(live)
    assert curve.n == redraws  # the curve is the 30 fps part
    assert markers.n <= redraws // MARKER_EVERY + 1
    assert hist.n <= redraws // HIST_EVERY + 1
    assert markers.n >= 2 and hist.n >= 2  # and they do follow
    # the end of the run: the tags and the bars show every sample, whatever the tick
    _feed(live, 500, redraws * 33.0, rtt_ms=50.0)
    live.feed_many([RunFinished(int((redraws + 300) * 33.0 * MS), "done")])
    assert live.finished
    plots.redraw(live)
    rtt = live.aggregator.rtt
    texts = [m.text for m in plots.markers.markers]
    assert texts == [
        f"p50 {fmt_sig(rtt.percentile_ms(50))}",
        f"p99 {fmt_sig(rtt.percentile_ms(99))}",
    ]
    assert plots.p99_line.value() == rtt.percentile_ms(99)
    assert int(np.sum(plots.hist_curve.yData)) == rtt.count


def test_unchanged_data_draws_nothing(qtbot, plots: LivePlots, live: LiveRun) -> None:
    _feed(live, 200, 0.0)
    plots.redraw(live)
    calls = [
        Calls(item, "setData") for item in (plots.rtt_curve, plots.hist_curve, *plots._rate_curves)
    ]
    markers = Calls(plots.markers, "set_markers")
    for _ in range(2 * HIST_EVERY):
        plots.redraw(live)
    assert [c.n for c in calls] == [0] * len(calls) and markers.n == 0


def test_the_curve_holds_two_points_per_pixel_column(qtbot, plots: LivePlots, live) -> None:
    _feed(live, 20_000, 0.0, spike_at=12_345)
    plots.redraw(live)
    xs, ys = plots.rtt_curve.getData()
    width = int(plots.rtt.vb.width())
    assert width > 0
    wanted = max(MIN_CURVE_POINTS, 2 * width)
    assert len(xs) <= wanted + 20_000 // (wanted // 2)  # and the newest chunk as it is
    assert float(np.max(ys)) == pytest.approx(150.0, rel=0.01)  # the spike survives


def test_a_range_change_does_not_reset_axis_titles(qtbot, plots: LivePlots) -> None:
    axes = [plots.rtt.getAxis(side) for side in ("left", "bottom")]
    axes += [plots.rtt.getAxis("top"), plots.hist.getAxis("left"), plots.markers]
    sets = [Calls(axis.label, "setHtml") for axis in axes]
    for k in range(1, 20):
        plots.rtt.setXRange(0, k * 10, padding=0)
        plots.rtt.setYRange(0, k * 1e-4, padding=0)  # sub-µs: an SI prefix would come in
        plots.hist.setYRange(0, k * 10**6, padding=0)
    assert [s.n for s in sets] == [0] * len(sets)


def test_webrtc_stats_plots_are_made_only_when_first_shown(qtbot, window) -> None:
    """The stats plots, which most panels never show: a ws panel never makes them,
    a WebRTC panel makes them when its stats tab is first shown."""
    ws = window.add_connection_for("ws")
    window.show()
    qtbot.waitExposed(window)
    ws.clear()
    assert not ws.stats_plots.built
    assert ws.stats_plots.graphics.ci.layout.count() == 0
    rtc = window.add_connection_for("webrtc")
    assert not rtc.stats_plots.built  # the Video tab is the one shown
    rtc.views.setCurrentWidget(rtc.stats_plots)
    qtbot.waitUntil(lambda: rtc.stats_plots.built, timeout=3_000)
    assert len(rtc.stats_plots.plots) == len(PANELS) and "bitrate_in_kbps" in rtc.stats_plots.curves
    assert not ws.stats_plots.built


def test_axes_lie_outside_the_data_area(qtbot, plots: LivePlots, live: LiveRun) -> None:
    """A new curve repaints its view only: no axis' bounds reach into a data area."""
    _feed(live, 2_000, 0.0)
    plots.redraw(live)
    qtbot.waitUntil(lambda: plots.rtt.vb.width() > 100, timeout=3_000)
    for plot in (plots.rtt, plots.hist, plots.rates):
        view = plot.vb.sceneBoundingRect().adjusted(1, 1, -1, -1)
        for side in ("left", "bottom", "right"):
            axis = plot.getAxis(side)
            if axis.isVisible():
                assert not axis.mapRectToScene(axis.boundingRect()).intersects(view), side
