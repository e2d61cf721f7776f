"""The menu bar holds every action with its shortcut, every action and control of the
window says what it does, Ctrl+Q quits and Ctrl+S asks for a file only once."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QLineEdit,
    QListWidget,
    QWidget,
)

from app.gui.connection_panel import ConnectionPanel
from app.gui.menus import all_actions, shortcut_table

EXPECTED = {  # menu: action texts (without &), with the shortcut where there is one
    "File": {
        "Open session…": "Ctrl+O",
        "Save session": "Ctrl+S",
        "Save session as…": "Ctrl+Shift+S",
        "Export report…": "",
        "Export plot…": "",
        "FAL key…": "",
        "Quit": "Ctrl+Q",
    },
    "File ▸ New connection": {"realtime": "", "ws": "", "sse": "", "webrtc": ""},
    "Run": {
        "Start": "Ctrl+Return",
        "Timed test": "",
        "Send once": "",
        "Stop": "",
        "Stop all": "Ctrl+.",
        "Clear": "Ctrl+L",
    },
    "View": {
        "Focus selected": "Ctrl+Shift+F",
        "Connections sidebar": "Ctrl+B",
        "Mock faults": "",
        "History": "Ctrl+H",
        "Compare connections…": "Ctrl+Shift+C",
    },
    "View ▸ Columns": {"Auto columns": "", "1 column": "", "2 columns": "", "3 columns": ""},
    "Help": {"Keyboard shortcuts": "F1", "Documentation": "", "About rtprobe": ""},
}


def test_menus_hold_every_action_with_its_shortcut(qtbot, window) -> None:
    found: dict[str, dict[str, str]] = {}
    for where, action in all_actions(window.menuBar()):
        found.setdefault(where, {})[action.text().replace("&", "")] = action.shortcut().toString()
    assert found == EXPECTED
    table = dict(shortcut_table(window.menuBar()))
    assert table["Ctrl+Q"] == "File ▸ Quit" and table["Ctrl+S"] == "File ▸ Save session"
    assert "Ctrl+Shift+S" in window.shortcuts_text()
    # the history's actions are wired (app.gui.history_dock)
    assert window.history_action.isEnabled() and window.compare_action.isEnabled()


def _own_controls(window) -> list[QWidget]:
    """The window's own controls (panels are tested with their own module)."""
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QListWidget)
    out = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, kinds) or widget.objectName().startswith("qt_"):
            continue
        if isinstance(widget.parentWidget(), QLineEdit):
            continue  # a line edit's own clear button, Qt's, covered by the field's tooltip
        parent = widget.parentWidget()
        while parent is not None and not isinstance(parent, ConnectionPanel):
            parent = parent.parentWidget()
        if parent is None:
            out.append(widget)
    return out


def test_every_action_and_control_has_a_tooltip(qtbot, window) -> None:
    actions = [a for _, a in all_actions(window.menuBar())]
    actions += [a for a in window.toolbar.actions() if not a.isSeparator()]
    for action in actions:
        widget = window.toolbar.widgetForAction(action)
        if action.text():  # an action: its own tooltip, more than its name
            assert action.toolTip() not in ("", action.text().replace("&", "")), action.text()
        else:  # a widget in the toolbar (the mock's address, + Connection)
            assert widget is not None and widget.toolTip(), widget
    controls = _own_controls(window)
    assert len(controls) >= 10  # fault fields, Apply, + connection, the empty state's buttons
    for control in controls:
        assert control.toolTip(), f"{type(control).__name__} {control.objectName()!r}"


def test_ctrl_q_closes_the_window(qtbot, window, qapp) -> None:
    qapp.setQuitOnLastWindowClosed(False)  # pytest-qt's application outlives the window
    try:
        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
        assert window._shut_down
    finally:
        qapp.setQuitOnLastWindowClosed(True)


def test_ctrl_s_asks_for_a_file_only_the_first_time(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    target = tmp_path / "mine.json"
    asked: list[str] = []

    def dialog(_parent, _title, start, _filters):
        asked.append(start)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    window.add_connection_for("ws")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(asked) == 1 and target.is_file()
    assert window.session_path == target and "mine.json" in window.windowTitle()
    window.add_connection_for("sse")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(asked) == 1  # no second dialog
    saved = json.loads(target.read_text())
    assert [c["transport"] for c in saved["connections"]] == ["ws", "sse"]
    window.save_as_action.trigger()  # Save As always asks
    assert len(asked) == 2


def test_save_into_a_missing_folder_says_so(qtbot, window, tmp_path: Path) -> None:
    assert not window.save_session(tmp_path / "nowhere" / "s.json")
    assert window.statusBar().currentMessage().startswith("session not saved:")
    assert window.session_path is None


def test_run_menu_drives_the_current_connection(qtbot, window, mock_base: str) -> None:
    from tests.support.panels import wait_finished

    window.show_mock(mock_base)
    first, second = window.add_connection_for("realtime"), window.add_connection_for("ws")
    window.select_connection(second)
    window.send_once_action.trigger()
    wait_finished(qtbot, second)
    assert second.counter_labels["sent"].text() == "1" and first.live is None
    window.clear_action.trigger()
    assert second.counter_labels["sent"].text() == "–"
