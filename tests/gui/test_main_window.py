"""The window as it stands: it shows the embedded mock's address and example targets."""

from __future__ import annotations

from app.gui.main_window import MainWindow


def test_window_lists_mock_targets(qtbot, mock_base: str) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.show_mock(mock_base)
    items = [window.targets.item(i).text() for i in range(window.targets.count())]
    ws = mock_base.replace("http://", "ws://")
    assert f"realtime   {ws}/mock/echo/realtime" in items
    assert any("/mock/yolo/webrtc" in item for item in items)
    assert mock_base in window.mock_label.text()
    assert mock_base in window.statusBar().currentMessage()


def test_window_shows_errors_in_status_bar(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_error("embedded mock server failed to start: port in use")
    assert window.statusBar().currentMessage().endswith("port in use")
