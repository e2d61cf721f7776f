"""getStats over time for WebRTC runs, and a real WebRTC run against the mock filling
the counters, the latency plots and the stats plots (it showed zeros before)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.core.events import FrameSample, StatsSnapshot
from app.core.live import LiveRun
from app.gui.stats_plots import ALL, PANELS, StatsPlots
from tests.support.panels import wait_finished

MS = 1_000_000
S = 1_000_000_000


def _points(curve) -> int:
    xs = curve.getData()[0]
    return 0 if xs is None else len(xs)


def _snapshot(i: int) -> StatsSnapshot:
    jitter = 150.0 if i == 1 else 2.0 + 0.01 * i  # one start-up spike
    values = {
        "bitrate_in_kbps": 540.0,
        "bitrate_out_kbps": 550.0,
        "jitter_ms": jitter,
        "rtt_ms": 2.5,
        "packets_received": 60 * i,
        "packets_lost": i // 10,
    }
    return StatsSnapshot(0, i * S, values)


def test_stats_plots_draw_each_figure_over_time(qtbot) -> None:
    plots = StatsPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 600)
    plots.show()
    live = LiveRun("webrtc", "t")
    try:
        events: list = [_snapshot(i) for i in range(1, 121)]
        events += [
            FrameSample(0, "in", i * 33 * MS, i, latency_ns=80 * MS, hold_ns=33 * MS)
            for i in range(300)
        ]
        live.feed_many(events)
        plots.redraw(live)
        for key in ("bitrate_in_kbps", "bitrate_out_kbps", "rtt_ms", "jitter_ms", "hold_ms"):
            xs, _ys = plots.curves[key].getData()
            assert xs is not None and len(xs) > 0, key
        loss_x, loss = plots.curves["loss_pct"].getData()
        assert len(loss_x) == 119 and float(np.max(loss)) > 0  # per interval, the first has none
        jitter_top = plots.plots["jitter"].viewRange()[1][1]
        assert jitter_top < 10  # the 150 ms start-up spike does not flatten the rest
        plots.show_all = True  # the plots' context menu holds the same checkable action
        assert plots.plots["jitter"].viewRange()[1][1] >= 150
        assert plots.show_all_action in plots.plots["rtt"].vb.menu.actions()
        plots.show_all = False
        assert plots.plots["jitter"].viewRange()[1][1] < 10
        x_hi = plots.plots["bitrate"].viewRange()[0][1]
        assert 119 < x_hi < 119 * 1.2  # shared time axis, ending near the data
        assert [p.key for p in PANELS] == list(plots.plots)
        redraws_before = plots.redraws
        curve = plots.curves["rtt_ms"]
        plots.redraw(live)  # nothing new: nothing redrawn
        assert plots.redraws == redraws_before + 1 and plots.curves["rtt_ms"] is curve
        plots.clear_data()
        assert _points(plots.curves["rtt_ms"]) == 0
    finally:
        live.close()


def test_a_webrtc_run_fills_counters_plots_and_stats(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.target.setText("mock/yolo/webrtc")
    panel.video_size.setCurrentText("320x240")
    assert panel.start(duration_s=3.0)
    wait_finished(qtbot, panel)
    counters = {name: label.text() for name, label in panel.counter_labels.items()}
    assert int(counters["sent"].replace(",", "")) > 0, counters
    assert int(counters["received"].replace(",", "")) > 0, counters
    assert counters["p50"].endswith(" ms") and counters["p99"].endswith(" ms")
    assert counters["fps in/out"] != "–"
    plots = panel.plots
    assert plots.kind == "frame" and "frame latency" in plots.rtt_left.titles[0]
    xs, ys = plots.rtt_curve.getData()
    assert xs is not None and len(xs) > 10 and float(np.min(ys)) > 0
    assert int(np.sum(plots.hist_curve.yData)) == panel.live.aggregator.frame_latency.count
    stats = StatsPlots()
    qtbot.addWidget(stats)
    stats.redraw(panel.live)  # hidden (another tab): nothing drawn yet
    assert _points(stats.curves["bitrate_in_kbps"]) == 0
    stats.show()  # shown: drawn at once
    bitrate = stats.curves["bitrate_in_kbps"].getData()[1]
    assert bitrate is not None and len(bitrate) >= 1 and float(np.max(bitrate)) > 0
    hold = stats.curves["hold_ms"].getData()[1]
    assert hold is not None and len(hold) > 0


def test_the_panel_shows_webrtc_stats_in_its_own_tab(qtbot, window, mock_base: str) -> None:
    """Wiring in ConnectionPanel: the tab and the column names follow the transport."""
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    tab = panel.views.indexOf(panel.stats_plots)
    assert panel.views.isTabVisible(tab)
    assert panel.counters.heads["sent"].text() == "frames sent"
    panel.target.setText("mock/yolo/webrtc")
    panel.video_size.setCurrentText("320x240")
    panel.views.setCurrentIndex(tab)
    assert panel.start(duration_s=2.5)
    qtbot.waitUntil(
        lambda: _points(panel.stats_plots.curves["bitrate_in_kbps"]) > 0,
        timeout=20_000,
    )
    wait_finished(qtbot, panel)
    panel.transport.setCurrentText("ws")
    assert not panel.views.isTabVisible(tab) and panel.counters.heads["sent"].text() == "sent"


def test_a_two_session_webrtc_run_plots_either_session_or_both(
    qtbot, window, mock_base: str
) -> None:
    """--concurrency 2: the picker appears, lists both sessions and "all"; each choice
    plots that session's own getStats, "all" overlays both in their own colours."""
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.set_settings(
        replace(panel.settings(), target="mock/yolo/webrtc", concurrency=2, video_size="320x240")
    )
    stats = panel.stats_plots
    panel.views.setCurrentWidget(stats)
    assert panel.start(duration_s=4.0)
    qtbot.waitUntil(lambda: stats.sessions == [0, 1], timeout=20_000)
    wait_finished(qtbot, panel)
    stats.redraw(panel.live)
    assert stats.picker_row.isVisible()
    picks = [stats.session_picker.itemData(i) for i in range(stats.session_picker.count())]
    assert picks == [0, 1, ALL]
    tl = panel.live.timeline
    for session in (0, 1):
        stats.choose_session(session)
        expected = tl.stats_series(session)["t_s"]
        xs, _ys = stats.curves["rtt_ms"].getData()
        assert xs is not None and len(xs) > 0
        assert set(np.round(xs, 6)) <= set(np.round(expected, 6)), session
        assert not any(_points(c) for c in stats.overlay.values())  # one session only
        hold_t, _ = stats.curves["hold_ms"].getData()
        assert len(hold_t) == len(tl.frame_hold(session)[0]) > 0
    stats.choose_session(ALL)
    firsts = stats.curves["bitrate_in_kbps"]
    second = stats.overlay[("bitrate_in_kbps", 1)]
    assert _points(firsts) > 0 and _points(second) > 0
    assert firsts.opts["pen"].color().name() != second.opts["pen"].color().name()
    assert "■" in stats.key_label.text()
    stats.choose_session(0)
    assert _points(second) == 0 and stats.key_label.text() == ""
    panel.clear()  # a new run: the picker goes until it has two sessions again
    assert not stats.picker_row.isVisible() and stats.sessions == []


def test_resolution_is_a_step_curve_of_the_received_frame_size(qtbot) -> None:
    plots = StatsPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 700)
    plots.show()
    live = LiveRun("webrtc", "t")
    try:
        sizes = [(640, 480)] * 60 + [(320, 240)] * 60  # halved at 2 s
        events: list = [
            FrameSample(0, "in", i * 33 * MS, i, hold_ns=33 * MS, width=w, height=h)
            for i, (w, h) in enumerate(sizes)
        ]
        events += [FrameSample(0, "out", i * 33 * MS, i, width=1280, height=720) for i in range(9)]
        live.feed_many(events)
        plots.redraw(live)
        t, w = plots.curves["width_in"].getData()
        _t, h = plots.curves["height_in"].getData()
        assert list(w) == [640, 640, 320, 320] and list(h) == [480, 480, 240, 240]  # "in" only
        assert list(t) == pytest.approx([0, 1.98, 1.98, 119 * 0.033])
        assert [p.key for p in PANELS].index("resolution") == 1  # beside the bitrate
        assert plots.plots["resolution"].viewRange()[1][1] >= 640
    finally:
        live.close()


def test_a_webrtc_run_plots_its_resolution_with_the_network_marks(
    qtbot, window, mock_base: str
) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.target.setText("mock/yolo/webrtc")
    panel.video_size.setCurrentText("320x240")
    stats = panel.stats_plots
    assert not stats.built  # made when the tab is first shown, like the others
    panel.views.setCurrentWidget(stats)
    assert panel.start(duration_s=4.0)
    qtbot.waitUntil(lambda: _points(stats.curves["width_in"]) > 0, timeout=20_000)
    section = window.fault_bar.network
    section.set_spec("3g")
    section.apply_button.click()
    t_mark, _label, lines = panel.network_marks[0]
    resolution = stats.plots["resolution"]
    assert any(line in resolution.items and line.value() == t_mark for line in lines)
    wait_finished(qtbot, panel, timeout_ms=40_000)
    stats.redraw(panel.live)
    t, w = stats.curves["width_in"].getData()
    _t, h = stats.curves["height_in"].getData()
    assert len(t) >= 2 and set(w) == {320} and set(h) == {240}
    assert t[-1] > t_mark  # held to the newest figure
