"""The main window's embedded mock server: the toolbar toggle, the label that says where
it listens, the connections told its base URL, and the faults sent to it. A base of
`WindowFiles` and so of `MainWindow`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core import faultschema
from app.gui.window_help import WindowHelp

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel

    from app.gui.connection_panel import ConnectionPanel
    from app.gui.fault_bar import FaultBar
    from app.gui.mock_control import MockControl


class WindowMock(WindowHelp):
    """What the mock's parts need of the window; `MainWindow` provides it."""

    panels: list[ConnectionPanel]
    mock: MockControl
    mock_action: QAction
    mock_label: QLabel
    mock_base: str | None
    fault_bar: FaultBar

    # -- mock ------------------------------------------------------------------------
    def _toggle_mock(self, on: bool) -> None:
        if on and not self.mock.busy:
            self.mock_label.setText("  embedded mock server: starting…  ")
            self.mock.start()
        elif not on and self.mock.busy:
            self.mock.stop()

    def show_mock(self, base_url: str) -> None:
        self.mock_base = base_url
        self.mock_label.setText(f"  embedded mock server: {base_url}  ")
        self.mock_action.blockSignals(True)
        self.mock_action.setChecked(True)
        self.mock_action.blockSignals(False)
        for panel in self.panels:
            panel.mock_base = base_url
        self.statusBar().showMessage(f"mock server listening on {base_url}")

    def _mock_stopped(self) -> None:
        self.mock_action.blockSignals(True)  # it may have ended by itself, or not started
        self.mock_action.setChecked(False)
        self.mock_action.blockSignals(False)
        self.mock_base = None
        self.mock_label.setText("  embedded mock server: off  ")
        for panel in self.panels:
            panel.mock_base = None
        self.statusBar().showMessage("mock server stopped")

    def apply_faults(self) -> None:
        self.mock.set_faults(self.fault_bar.values())

    def apply_network(self, spec: str) -> None:
        from app.gui import network_live

        network_live.apply_network(self, spec)

    def _faults_changed(self, faults: dict) -> None:
        self.statusBar().showMessage("mock faults: " + faultschema.describe(faults))
