"""The workspace scales: a dozen connections at 1280x800 and eight at 1920x1080 stay
inside the window, each reachable by scrolling and tall enough for its plots; the
window never opens larger than the screen; the empty state says what to do first."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.gui.connection_panel import EXAMPLES
from app.gui.main_window import MainWindow
from app.gui.window_help import clamp_to
from app.gui.workspace import AUTO, PANEL_MIN_HEIGHT

TRANSPORTS = list(EXAMPLES)


def _fill(qtbot, window: MainWindow, count: int, size: QSize) -> None:
    for i in range(count):
        window.add_connection_for(TRANSPORTS[i % len(TRANSPORTS)])
    window.resize(size)
    qtbot.waitUntil(lambda: window.size() == size, timeout=5_000)
    window.workspace.relayout()
    qtbot.waitUntil(lambda: all(p.isVisible() for p in window.panels), timeout=5_000)
    window.workspace.grid.activate()  # geometry now, not on the next layout pass


def _assert_fits(qtbot, window: MainWindow, size: QSize) -> None:
    assert window.width() <= size.width() and window.height() <= size.height()
    for widget in window.findChildren(QWidget):
        if widget.isVisible() and not widget.isWindow():
            assert widget.width() <= window.width(), widget
    viewport = window.workspace.area.viewport()
    for panel in window.panels:
        assert panel.height() >= PANEL_MIN_HEIGHT
        assert panel.plots.height() >= 200  # plots, not 30-pixel strips
        window.select_connection(panel)  # as a click in the sidebar does
        top_left = panel.mapTo(viewport, QPoint(0, 0))
        seen = QRect(top_left, panel.size()).intersected(viewport.rect())
        assert seen.height() >= min(panel.height(), viewport.height()) - 1, panel.title.text()
        assert 0 <= top_left.y() < viewport.height(), "its title and form in view"
        right = panel.mapTo(window, QPoint(panel.width(), 0)).x()
        assert right <= window.width()


def test_twelve_connections_fit_1280x800(qtbot, window) -> None:
    size = QSize(1280, 800)
    _fill(qtbot, window, 12, size)
    assert window.workspace.effective_columns() == 1  # 723-px panels beside a sidebar
    assert window.sidebar.count() == 12
    _assert_fits(qtbot, window, size)
    assert window.workspace.area.verticalScrollBar().maximum() > 0  # it scrolls instead
    window.select_connection(window.panels[0])
    in_view = window.workspace.visible_panels()
    assert window.panels[0] in in_view and 1 <= len(in_view) <= 3
    window.select_connection(window.panels[-1])
    assert window.panels[-1] in window.workspace.visible_panels()
    assert window.panels[0] not in window.workspace.visible_panels()


def test_eight_connections_at_1920x1080_in_two_columns(qtbot, window) -> None:
    size = QSize(1920, 1080)
    _fill(qtbot, window, 8, size)
    assert window.workspace.effective_columns() == 2
    qtbot.waitUntil(lambda: len({p.x() for p in window.panels}) == 2, timeout=5_000)
    _assert_fits(qtbot, window, size)


def test_focus_mode_shows_the_selected_panel_alone(qtbot, window) -> None:
    _fill(qtbot, window, 4, QSize(1280, 800))
    chosen = window.panels[2]
    window.select_connection(chosen)
    window.focus_action.trigger()
    assert window.workspace.focus_mode
    assert [p for p in window.panels if p.isVisible()] == [chosen]
    viewport = window.workspace.area.viewport()
    qtbot.waitUntil(lambda: chosen.height() >= viewport.height() - 10, timeout=5_000)
    window.focus_action.trigger()
    qtbot.waitUntil(lambda: all(p.isVisible() for p in window.panels), timeout=5_000)


def test_sidebar_rows_follow_the_panels_and_clicks_select(qtbot, window, mock_base) -> None:
    window.show_mock(mock_base)
    a, b = window.add_connection_for("realtime"), window.add_connection_for("ws")
    assert window.sidebar.count() == 2
    a.start(count=5)
    qtbot.waitUntil(lambda: "p99" in window.sidebar.item(0).text(), timeout=20_000)
    assert window.sidebar.item(0).text().splitlines()[1].startswith("realtime")
    assert "ws" in window.sidebar.item(1).text()
    item = window.sidebar.item(1)
    qtbot.mouseClick(
        window.sidebar.viewport(),
        Qt.MouseButton.LeftButton,
        pos=window.sidebar.visualItemRect(item).center(),
    )
    assert window.workspace.selected is b and window.current_panel() is b
    window.remove_connection(a)
    assert window.sidebar.count() == 1


def test_empty_state_until_the_first_connection(qtbot, window) -> None:
    empty = window.workspace.empty
    assert window.workspace.currentWidget() is empty and empty.isVisible()
    assert not window.start_action.isEnabled()
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=5_000)
    empty.layout().activate()
    for label in empty.findChildren(QLabel):  # every line of the text shown, none cut off
        if label.wordWrap():
            assert label.height() >= label.heightForWidth(label.width()), label.text()
    empty.add_buttons["sse"].click()
    assert len(window.panels) == 1 and window.panels[0].settings().transport == "sse"
    assert not empty.isVisible() and window.start_action.isEnabled()
    window.remove_connection(window.panels[0])
    assert empty.isVisible()


def test_clamp_keeps_a_window_on_the_screen() -> None:
    screen = QRect(0, 0, 1280, 800)
    assert clamp_to(QRect(100, 50, 1918, 1969), screen) == QRect(0, 0, 1280, 800)
    assert clamp_to(QRect(900, 700, 600, 400), screen) == QRect(680, 400, 600, 400)


@pytest.mark.parametrize("screen", [QRect(0, 0, 1280, 800), QRect(0, 0, 1920, 1080)])
def test_window_never_opens_larger_than_the_screen(
    qtbot, qasync_loop, tmp_path: Path, monkeypatch, screen: QRect
) -> None:
    monkeypatch.setattr(MainWindow, "available_geometry", lambda self: screen)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    first = MainWindow(settings=settings, autosave=False)
    qtbot.addWidget(first)
    assert first.width() <= screen.width() and first.height() <= screen.height()
    first.setGeometry(QRect(0, 0, 1918, 1969))  # as saved on a taller screen
    first.set_columns(2)
    first.splitter.setSizes([300, 1000])
    first.shutdown()
    second = MainWindow(settings=settings, autosave=False)
    qtbot.addWidget(second)
    second.restore_layout()
    try:
        frame = second.frameGeometry()
        assert frame.width() <= screen.width() and frame.height() <= screen.height()
        assert screen.contains(frame.topLeft())
        assert second.workspace.columns == 2 and second.column_actions[2].isChecked()
        assert second.splitter.sizes()[0] > 0
    finally:
        second.shutdown()
        second.set_columns(AUTO)


def test_a_new_connection_is_brought_into_view(qtbot, window) -> None:
    """Added below a screenful of others, the new connection is the one shown (the
    sidebar selected it while the view stayed on the first)."""
    size = QSize(1280, 800)
    _fill(qtbot, window, 4, size)
    window.select_connection(window.panels[0])
    new = window.add_connection_for("ws")
    assert window.workspace.selected is new
    viewport = window.workspace.area.viewport()

    def shown_from_its_top() -> bool:
        top = new.mapTo(viewport, QPoint(0, 0)).y()
        seen = QRect(QPoint(0, top), new.size()).intersected(viewport.rect()).height()
        return top >= 0 and seen >= min(new.height(), viewport.height()) - 1

    qtbot.waitUntil(shown_from_its_top, timeout=5_000)


def test_sidebar_rows_fit_their_width_and_keep_the_whole_target_in_the_tooltip(
    qtbot, window, mock_base
) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    long_target = (
        mock_base.replace("http", "ws")
        + "/mock/echo/ws?"
        + "&".join(f"param{i}=value{i}" for i in range(12))
    )
    panel.target.setText(long_target)
    panel.title.setText(long_target)
    sidebar = window.sidebar
    sidebar.refresh()
    qtbot.waitUntil(lambda: "…" in sidebar.item(0).text(), timeout=5_000)
    metrics, width = sidebar.fontMetrics(), sidebar.viewport().width()
    for line in sidebar.item(0).text().splitlines():
        assert metrics.horizontalAdvance(line) <= width, line
    assert sidebar.item(0).text().startswith(long_target[:8])  # elided in the middle
    assert long_target in sidebar.item(0).toolTip()
    assert sidebar.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways
