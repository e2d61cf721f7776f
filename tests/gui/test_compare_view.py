"""The compare view on runs measured for real: a mock that answers at once against one
that adds 5 ms. The table's changes are what the two histograms say."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.core.history.compare import change_pct
from app.core.live import LiveRun
from app.core.report.fmt import fmt_sig
from app.gui.compare_figures import change_text
from app.gui.compare_view import PALETTE, CompareView, panel_runs, run_from_live
from app.gui.log_axis import LogTickAxis
from tests.support.panels import wait_finished
from tests.support.runs import measured_run


@pytest.fixture(scope="module")
def fast_and_slow(mock_base: str):
    from server_mock import FaultConfig, MockConfig, MockServer

    fast = measured_run(mock_base, "ws", count=60)
    with MockServer.in_thread(MockConfig(faults=FaultConfig(latency_ms=5))) as slow_base:
        slow = measured_run(slow_base, "ws", count=30)
    yield fast, slow
    fast.close()
    slow.close()


def _row(view: CompareView, figure: str) -> list[str]:
    for r in range(view.table.rowCount()):
        if view.table.item(r, 0).text() == figure:
            return [view.table.item(r, c).text() for c in range(view.table.columnCount())]
    raise AssertionError(f"no row {figure!r}")


def test_table_changes_are_the_histograms_changes(qtbot, fast_and_slow) -> None:
    fast, slow = fast_and_slow
    view = CompareView()
    qtbot.addWidget(view)
    view.set_runs([run_from_live("fast", fast), run_from_live("slow", slow)])
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert headers == ["figure", "fast", "slow", "Δ slow"]
    a, b = fast.aggregator.rtt, slow.aggregator.rtt
    for figure, p in (
        ("round trip p50 (ms)", 50),
        ("round trip p90 (ms)", 90),
        ("round trip p99 (ms)", 99),
        ("round trip p99.9 (ms)", 99.9),
    ):
        base, value = a.percentile_ms(p), b.percentile_ms(p)
        change = (value - base) / base * 100  # a loaded machine may slow "fast" down too
        sign = "+" if change > 0 else "−"
        assert _row(view, figure) == [
            figure,
            fmt_sig(base),
            fmt_sig(value),
            f"{sign}{fmt_sig(abs(change))} %",
        ]
    assert value >= 5.0  # the slow mock's 5 ms are in its percentiles
    assert _row(view, "round trip p50 (ms)")[3].startswith("+")  # and in its median
    assert _row(view, "errors")[1:] == ["0", "0", "±0 %"]
    max_change = change_pct(a.summary().max, b.summary().max)
    assert view.cell("round trip max (ms)", "Δ slow") == change_text(max_change)
    assert "fast" in view.message.text()


def test_curves_overlay_each_run_in_its_own_colour(qtbot, fast_and_slow) -> None:
    fast, slow = fast_and_slow
    view = CompareView()
    qtbot.addWidget(view)
    view.set_runs([run_from_live("fast", fast), run_from_live("slow", slow)])
    first_cdf = view._slots[0].cdf
    for index, (slot, live) in enumerate(zip(view._slots, (fast, slow), strict=True)):
        x, y = slot.cdf.getOriginalDataset()
        assert y[-1] == pytest.approx(100.0) and np.all(np.diff(y) >= 0)
        assert x[-1] == pytest.approx(live.aggregator.rtt.summary().max, rel=2e-3)
        _hx, hy = slot.hist.getOriginalDataset()
        assert hy.sum() == pytest.approx(100.0)  # shares of every sample of the run
        assert slot.cdf.opts["pen"].color().name() == PALETTE[index].lower()
        _t, rate = slot.rate.getData()
        assert rate.sum() == live.summary().received
    assert view.legend.getLabel(first_cdf).text == "fast"
    assert not view.fps.isVisible()  # no run measured frames
    # the same curves are reused when the runs change, and an empty slot is cleared
    view.set_runs([run_from_live("slow", slow)])
    assert view._slots[0].cdf is first_cdf
    assert view._slots[1].cdf.getData()[0] is None or not len(view._slots[1].cdf.getData()[0])
    assert view.legend.getLabel(view._slots[1].cdf) is None
    assert "two or more" in view.message.text()


def test_a_live_connection_compares_as_it_runs(qtbot, mock_base: str) -> None:
    """A run with nothing measured yet gives dashes, never a division by zero."""
    empty = LiveRun("ws", "mock/echo/ws")
    done = measured_run(mock_base, "ws", count=10)
    try:
        view = CompareView()
        qtbot.addWidget(view)
        view.set_runs([run_from_live("new", empty), run_from_live("done", done)])
        p50 = _row(view, "round trip p50 (ms)")
        assert p50[1] == "–" and p50[2] != "–" and p50[3] == "–"  # nothing to compare with
        assert _row(view, "errors")[1:] == ["0", "0", "±0 %"]
        assert view._slots[0].cdf.getData()[0] is None or not len(view._slots[0].cdf.getData()[0])
    finally:
        empty.close()
        done.close()


def test_live_connections_are_followed_while_they_run(qtbot, window, mock_base: str) -> None:
    """Two panels of the real window running against the mock, compared while they run:
    the view follows their growing counts and ends on their final figures."""
    window.show_mock(mock_base)
    panels = [window.add_connection_for("ws"), window.add_connection_for("realtime")]
    for panel in panels:
        panel.rate.setValue(100)
        assert panel.start(duration_s=2.0)
    view = CompareView()
    qtbot.addWidget(view)
    view.show()
    view.follow(lambda: panel_runs(panels), interval_ms=100)
    qtbot.waitUntil(
        lambda: len(view.runs) == 2 and view.runs[1].summary.received > 0, timeout=10_000
    )
    for panel in panels:
        wait_finished(qtbot, panel)
    final = [p.live.summary().received for p in panels]
    qtbot.waitUntil(lambda: [r.summary.received for r in view.runs] == final, timeout=5_000)
    header = view.rows_text()[0]
    assert header[1:3] == [panels[0].title.text(), panels[1].title.text()]
    assert view.cell("errors", header[1]) == "0"
    view.follow(None)


def test_latency_axes_are_the_plots_log_axis(qtbot, fast_and_slow) -> None:
    """The CDF and histogram label their log axes as the connection plots do
    (log_axis.LogTickAxis: 1-2-5 while the labels fit, never overlapping)."""
    fast, slow = fast_and_slow
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(1100, 800)
    view.show()
    view.set_runs([run_from_live("fast", fast), run_from_live("slow", slow)])
    for plot in (view.cdf, view.hist):
        axis = plot.getAxis("bottom")
        assert isinstance(axis, LogTickAxis)
        lo, hi = plot.viewRange()[0]
        (_spacing, labelled), _minor = axis.tickValues(lo, hi, axis.width())
        texts = axis.tickStrings(labelled, 1.0, 1.0)
        assert len(texts) >= 2 and all(texts), texts


def test_fps_plot_only_beside_runs_with_frames(qtbot, fast_and_slow) -> None:
    fast, slow = fast_and_slow
    view = CompareView()
    qtbot.addWidget(view)
    view.set_runs([run_from_live("fast", fast), run_from_live("slow", slow)])
    assert not view.fps.isVisible() and view.plots.ci.layout.itemAt(1, 1) is view.rate  # full row
    with_frames = run_from_live("video", slow)
    per_second = dict(with_frames.per_second)
    per_second["frames_in"] = np.full(len(per_second["t_s"]), 30.0)  # as a video run has
    view.set_runs([run_from_live("fast", fast), replace(with_frames, per_second=per_second)])
    view.show()
    assert view.fps.isVisible() and view.plots.ci.layout.itemAt(1, 1) is view.fps
    _t, fps = view._slots[1].fps.getOriginalDataset()
    assert list(fps) == [30.0] * len(per_second["t_s"])


def test_a_dozen_connections_stay_apart(qtbot, fast_and_slow) -> None:
    """Twelve runs: each its own pen (colour, then dashes past the palette), same-titled
    connections numbered, and the names in a row under the plots, not over the CDF."""
    fast, slow = fast_and_slow
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(1100, 800)
    view.show()
    view.set_runs([run_from_live(f"run {i}", fast if i % 2 else slow) for i in range(12)])
    pens = {(s.cdf.opts["pen"].color().name(), s.cdf.opts["pen"].style()) for s in view._slots}
    assert len(pens) == 12
    qtbot.waitUntil(  # laid out under the rates' plot
        lambda: view.legend.sceneBoundingRect().top() >= view.rate.sceneBoundingRect().bottom(),
        timeout=5_000,
    )
    assert not view.legend.sceneBoundingRect().intersects(view.cdf.vb.sceneBoundingRect())


def test_same_titled_connections_are_numbered(qtbot, window) -> None:
    panels = [window.add_connection_for("ws") for _ in range(2)]
    panels.append(window.add_connection_for("sse"))
    for panel in panels:
        panel.live = LiveRun(panel.settings().transport, "t")
    try:
        labels = [r.label for r in panel_runs(panels)]
        title = panels[0].title.text()
        assert labels == [f"{title} (1)", f"{title} (2)", panels[2].title.text()]
    finally:
        for panel in panels:
            panel.live.close()
