"""The window's run history: every ended run stored (RunRecorder), the stored runs in a
dock (HistoryView, View ▸ History, Ctrl+H), and *Compare…* for live connections.

Kept apart from the main window so the window only creates it, hands it each new panel,
and closes it: the history's own parts stay in app.gui.history_view / compare_view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow

from app.gui.compare_figures import CompareRun
from app.gui.compare_view import CompareView, panel_runs
from app.gui.connection_panel import ConnectionPanel
from app.gui.history_view import HistoryView
from app.gui.run_recorder import RunRecorder


class HistoryDock:
    def __init__(
        self,
        window: QMainWindow,
        *,
        panels: Callable[[], Sequence[ConnectionPanel]],
        selected: Callable[[], Sequence[ConnectionPanel]],
        status: Callable[[str], None],
    ) -> None:
        """`panels()` are the window's connections, `selected()` those picked in its
        sidebar; `status` takes one-line messages for the status bar."""
        self._panels = panels
        self._selected = selected
        self.recorder = RunRecorder(parent=window)
        self.recorder.sigStatus.connect(status)
        self.view = HistoryView()
        self.view.sigStatus.connect(status)
        self.view.live_runs = lambda: panel_runs(self._panels())
        self.recorder.sigRecorded.connect(self._recorded)
        self.dock = QDockWidget("Run history", window)
        self.dock.setObjectName("history-dock")
        self.dock.setWidget(self.view)
        self.dock.setToolTip("Stored runs: filter, open, compare, export, delete")
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()  # until asked for: the connections keep the room

    def attach(self, panel: ConnectionPanel) -> None:
        """Store each run of `panel` when it ends (finished, failed or stopped)."""
        panel.sigRunEnded.connect(self.recorder.record)
        panel.sigServerHealth.connect(self.recorder.add_server_health)

    def wire(self, history_action: QAction, compare_action: QAction) -> None:
        """The View menu's hooks: History toggles the dock, Compare… opens the view."""
        history_action.setCheckable(True)
        history_action.setEnabled(True)
        history_action.toggled.connect(self.dock.setVisible)
        self.dock.visibilityChanged.connect(history_action.setChecked)
        compare_action.setEnabled(True)
        compare_action.triggered.connect(self.compare_connections)

    def _recorded(self, _run_id: int) -> None:
        if self.dock.isVisible():
            self.view.refresh()

    def compare_connections(self) -> CompareView:
        """The connections picked in the sidebar (two or more), else all of them, side by
        side and followed while they run; the first is the baseline."""

        def runs() -> list[CompareRun]:
            chosen = list(self._selected())
            return panel_runs(chosen if len(chosen) >= 2 else self._panels())

        view = self.view.compare_window("Compare connections")  # the one compare window
        view.follow(runs)
        return view

    def close(self) -> None:
        if self.view.compare_view is not None:
            self.view.compare_view.follow(None)
        self.view.close_store()
