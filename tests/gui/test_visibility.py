"""Unseen panels do not redraw: on a hidden tab or scrolled out of view a connection
panel leaves its plots alone (its counters go on, a few times a second), and catches up
with the whole run as soon as it is shown. A real panel, a real in-process engine and
the real mock."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QLabel, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from app.gui.bridge import EngineBridge
from app.gui.connection_panel import ConnectionPanel, ConnectionSettings
from app.gui.visibility import on_screen

COUNT = 40


@pytest.fixture
def bridge(qapp) -> Iterator[EngineBridge]:
    b = EngineBridge(in_process=True)
    yield b
    b.close()


def _tabs(panel: QWidget) -> tuple[QWidget, Callable[[], None], Callable[[], None]]:
    tabs = QTabWidget()
    tabs.addTab(QLabel("another connection"), "other")
    tabs.addTab(panel, "this one")
    return tabs, lambda: tabs.setCurrentIndex(0), lambda: tabs.setCurrentIndex(1)


def _scroll(panel: QWidget) -> tuple[QWidget, Callable[[], None], Callable[[], None]]:
    content = QWidget()
    layout = QVBoxLayout(content)
    spacer = QLabel("connections above")
    spacer.setFixedHeight(3000)
    layout.addWidget(spacer)
    layout.addWidget(panel)
    area = QScrollArea()
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.resize(900, 500)
    bar = area.verticalScrollBar()
    return area, lambda: bar.setValue(0), lambda: bar.setValue(bar.maximum())


def test_on_screen_follows_tabs_scrolling_and_minimizing(qtbot) -> None:
    inner = QLabel("x")
    tabs, hide, show = _tabs(inner)
    qtbot.addWidget(tabs)
    tabs.show()
    hide()
    assert not on_screen(inner)
    show()
    assert on_screen(inner)
    tabs.showMinimized()
    qtbot.waitUntil(tabs.isMinimized, timeout=5_000)
    assert not on_screen(inner)

    far = QLabel("far down")
    area, top, bottom = _scroll(far)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0, timeout=5_000)
    top()
    assert not on_screen(far)
    bottom()
    assert on_screen(far)


@pytest.mark.parametrize("container", [_tabs, _scroll], ids=["hidden tab", "scrolled out"])
def test_an_unseen_panel_does_not_redraw_and_catches_up_when_shown(
    qtbot, bridge: EngineBridge, mock_base: str, container
) -> None:
    panel = ConnectionPanel(
        bridge, ConnectionSettings(transport="realtime", target="mock/echo", payload='{"n": 1}')
    )
    panel.mock_base = mock_base
    outer, hide, show = container(panel)
    qtbot.addWidget(outer)
    outer.resize(1000, 600)
    outer.show()
    qtbot.waitUntil(lambda: outer.isVisible(), timeout=5_000)
    hide()
    qtbot.waitUntil(lambda: not on_screen(panel.plots), timeout=5_000)
    assert panel.start(count=COUNT)
    qtbot.waitUntil(lambda: panel.live is not None and panel.live.finished, timeout=20_000)
    ticks = bridge.redraws
    qtbot.waitUntil(lambda: bridge.redraws >= ticks + 5, timeout=5_000)  # redraw ticks came
    assert panel.plots.redraws == 0
    assert panel.live.aggregator.rtt.count == COUNT  # the data kept flowing meanwhile
    # the counters (which the sidebar and status bar read) go on while unseen
    qtbot.waitUntil(lambda: panel.counter_labels["received"].text() == str(COUNT), timeout=5_000)
    assert panel.counter_labels["state"].text() == "finished"

    show()
    qtbot.waitUntil(lambda: panel.plots.redraws >= 1, timeout=10_000)
    x, _ = panel.plots.rtt_curve.getData()
    assert x is not None and len(x) == COUNT  # the whole run, not what came after showing
    _, counts = panel.plots.hist_curve.getData()
    assert counts is not None and int(counts.sum()) == COUNT  # the histogram caught up too
    assert panel.counter_labels["received"].text() == str(COUNT)
    panel.close_down()
