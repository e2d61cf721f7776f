"""The main window's embedded mock server: the toolbar toggle, the label that says where
it listens, the connections told its base URL, and the faults sent to it. A base of
`WindowFiles` and so of `MainWindow`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core import faultschema
from app.core.health.figures import ServerHealth
from app.gui.mock_health import MockHealth, label_text, on_mock, running_loop
from app.gui.window_help import WindowHelp

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel

    from app.gui.connection_panel import ConnectionPanel
    from app.gui.fault_bar import FaultBar
    from app.gui.mock_control import MockControl


MOCK_STARTING = "  embedded mock server: starting…  "


class WindowMock(WindowHelp):
    """What the mock's parts need of the window; `MainWindow` provides it."""

    panels: list[ConnectionPanel]
    mock: MockControl
    mock_action: QAction
    mock_label: QLabel
    mock_base: str | None
    fault_bar: FaultBar

    # -- mock ------------------------------------------------------------------------
    @property
    def mock_health(self) -> MockHealth:
        """The mock's /health, polled for the label and read after each run to it."""
        health: MockHealth | None = self.__dict__.get("_mock_health")
        if health is None:
            health = self.__dict__["_mock_health"] = MockHealth(self)
            health.sigReading.connect(self._show_mock_health)
        return health

    def attach_mock(self, panel: ConnectionPanel) -> None:
        """A new panel: it targets the mock's base, and its runs get the mock's health."""
        panel.mock_base = self.mock_base
        panel.sigRunEnded.connect(self._mock_run_ended)

    def _show_mock_health(self, reading: ServerHealth) -> None:
        if self.mock_base is not None:
            self.mock_label.setText(label_text(self.mock_base, reading))

    def _mock_run_ended(self, panel: ConnectionPanel) -> None:
        """A run to the mock ended: read the mock's health over the run's length and
        let the panel say when the mock was the bottleneck."""
        base, live, config = self.mock_base, panel.live, panel.last_config
        if base is None or live is None or config is None or not on_mock(config.target.url, base):
            return
        window_s, run_id = live.elapsed_s, panel.run_id

        async def read() -> None:
            reading = await self.mock_health.over(window_s)
            if reading is not None and panel.run_id == run_id and panel.live is live:
                panel.show_server_health(reading)

        loop = running_loop()
        if loop is None:
            return  # no loop to read on: no reading
        task = loop.create_task(read())
        self.__dict__.setdefault("_mock_reads", set()).add(task)
        task.add_done_callback(self.__dict__["_mock_reads"].discard)

    def show_mock_starting(self) -> None:
        """The toggle on and the label saying "starting…", before `start_mock` starts
        it (the GUI starts it after the window's first paint)."""
        self.mock_action.blockSignals(True)
        self.mock_action.setChecked(True)
        self.mock_action.blockSignals(False)
        self.mock_label.setText(MOCK_STARTING)

    def start_mock(self) -> None:
        """Start the embedded mock (as the toggle does), unless it is up or starting."""
        self.mock_action.blockSignals(True)
        self.mock_action.setChecked(True)
        self.mock_action.blockSignals(False)
        self._toggle_mock(True)

    def _toggle_mock(self, on: bool) -> None:
        if on and not self.mock.busy:
            self.mock_label.setText(MOCK_STARTING)
            self.mock.start()
        elif not on and self.mock.busy:
            self.mock.stop()

    def show_mock(self, base_url: str) -> None:
        self.mock_base = base_url
        self.mock_label.setText(label_text(base_url, None))
        self.mock_health.watch(base_url)
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
        self.mock_health.watch(None)
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
