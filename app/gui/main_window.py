"""The main window: the embedded mock and its faults in the toolbar, connections side
by side, status bar, shortcuts, and the layout restored on the next start."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSpinBox,
    QSplitter,
    QToolBar,
    QWidget,
)

from app import __version__
from app.core import faultschema
from app.core.credentials import load_key, store_key
from app.core.errors import ProbeError
from app.core.sessionfile import MockSpec, Session, SessionFileError, load, save
from app.gui.bridge import EngineBridge
from app.gui.connection_panel import (
    EXAMPLES,
    ConnectionPanel,
    ConnectionSettings,
    from_spec,
    to_spec,
)
from app.gui.mock_control import MockControl

PANELS_PER_ROW = 2
_SPIN_MAX = 2**31 - 1  # QSpinBox holds a C int


def _fault_box(f: faultschema.FaultField) -> QDoubleSpinBox | QSpinBox:
    """The editor of one fault setting, from the fault schema (unit, bounds, help)."""
    box: QDoubleSpinBox | QSpinBox
    if f.type is int:
        box = QSpinBox()
        box.setRange(int(f.low), min(int(f.high if f.high is not None else _SPIN_MAX), _SPIN_MAX))
    else:
        box = QDoubleSpinBox()
        box.setDecimals(3 if f.unit == "probability" else 1)
        box.setSingleStep(0.01 if f.unit == "probability" else 1)
        box.setRange(f.low, f.high if f.high is not None else 1e9)
    if f.zero:
        box.setSpecialValueText(f.zero)
    if f.unit == "ms":
        box.setSuffix(" ms")
    box.setToolTip(f"mock fault {f.name}: {f.help} (applies live to open sessions)")
    return box


class MainWindow(QMainWindow):
    def __init__(
        self,
        *,
        bridge: EngineBridge | None = None,
        mock: MockControl | None = None,
        settings: QSettings | None = None,
        autosave: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle(f"rtprobe {__version__}")
        self.resize(1400, 900)
        self.bridge = bridge or EngineBridge(self)
        self.mock = mock or MockControl(self)
        self.qsettings = settings or QSettings("rtprobe", "rtprobe")
        self.panels: list[ConnectionPanel] = []
        self.autosave = autosave
        self._shut_down = False
        self._typed_key: str | None = None
        self.mock_base: str | None = None  # where mock/… app ids go
        # connections side by side, PANELS_PER_ROW to a row, rows stacked
        self.grid = QSplitter(Qt.Orientation.Vertical)
        self.setCentralWidget(self.grid)
        self._build_toolbar()
        self._build_shortcuts()
        self.mock.sigStarted.connect(self.show_mock)
        self.mock.sigStopped.connect(self._mock_stopped)
        self.mock.sigError.connect(self.show_error)
        self.mock.sigFaults.connect(self._faults_changed)
        self.dropped_label = QLabel()
        self.dropped_label.setStyleSheet("color: #B00020")
        self.dropped_label.hide()  # until the engine drops an event
        self.statusBar().addPermanentWidget(self.dropped_label)
        self.bridge.sigDropped.connect(self.show_dropped)
        self.statusBar().showMessage("ready")

    # -- toolbar -------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("main")
        bar.setObjectName("main-toolbar")
        self.addToolBar(bar)
        self.mock_action = QAction("Mock server", self, checkable=True)
        self.mock_action.setToolTip("Start or stop the embedded mock server")
        self.mock_action.toggled.connect(self._toggle_mock)
        bar.addAction(self.mock_action)
        self.mock_label = QLabel("  embedded mock server: off  ")
        self.mock_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.mock_label)
        self.fault_inputs: dict[str, QDoubleSpinBox | QSpinBox] = {}
        for f in faultschema.fault_fields():
            if f.gui:
                bar.addWidget(QLabel(f" {f.label} "))
                self.fault_inputs[f.name] = _fault_box(f)
                bar.addWidget(self.fault_inputs[f.name])
        self.apply_faults_action = QAction("Apply faults", self)
        self.apply_faults_action.triggered.connect(self.apply_faults)
        bar.addAction(self.apply_faults_action)
        bar.addSeparator()
        for transport in EXAMPLES:
            action = QAction(f"+ {transport}", self)
            action.setToolTip(f"Add a {transport} connection")
            action.triggered.connect(lambda _=False, t=transport: self.add_connection_for(t))
            bar.addAction(action)

        bar.addSeparator()
        for name, slot, tip in (
            ("Key…", self.ask_key, "Enter a FAL key (kept in the OS keyring when there is one)"),
            ("Open…", self.open_session_dialog, "Open a session file (Ctrl+O)"),
            (
                "Save…",
                self.save_session_dialog,
                "Save the session: targets, payloads, settings, never keys (Ctrl+S)",
            ),
            (
                "Export report…",
                self.export_report_dialog,
                "Export the current connection's run as JSON, CSV or HTML",
            ),
            ("Export plot…", self.export_plot_dialog, "Save the current connection's plots as PNG"),
        ):
            action = QAction(name, self)
            action.setToolTip(tip)
            action.triggered.connect(slot)
            bar.addAction(action)

    def _build_shortcuts(self) -> None:
        for keys, slot, name in (
            ("Ctrl+Return", self.start_current, "Start"),
            ("Ctrl+.", self.stop_all, "Stop all"),
            ("Ctrl+L", self.clear_current, "Clear"),
            ("Ctrl+S", self.save_session_dialog, "Save session"),
            ("Ctrl+O", self.open_session_dialog, "Open session"),
        ):
            action = QAction(name, self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            self.addAction(action)

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
        self.mock.set_faults({name: box.value() for name, box in self.fault_inputs.items()})

    def _faults_changed(self, faults: dict) -> None:
        self.statusBar().showMessage("mock faults: " + faultschema.describe(faults))

    # -- connections -----------------------------------------------------------------
    def add_connection_for(self, transport: str) -> ConnectionPanel:
        target, payload = EXAMPLES[transport]
        return self.add_connection(
            ConnectionSettings(transport=transport, target=target, payload=payload)
        )

    def add_connection(self, settings: ConnectionSettings | None = None) -> ConnectionPanel:
        panel = ConnectionPanel(self.bridge, settings)
        panel.mock_base = self.mock_base
        panel.key_provider = self.key
        panel.sigStatus.connect(self.statusBar().showMessage)
        panel.sigCloseRequested.connect(self.remove_connection)
        self.panels.append(panel)
        self._reflow()
        return panel

    def remove_connection(self, panel: ConnectionPanel) -> None:
        if panel in self.panels:
            panel.close_down()
            self.panels.remove(panel)
            panel.setParent(None)
            panel.deleteLater()
            self._reflow()

    def _reflow(self) -> None:
        """Lay the panels out again in order: rows of PANELS_PER_ROW, so four
        connections make a 2 x 2 grid instead of four slivers."""
        rows = [cast(QSplitter, self.grid.widget(i)) for i in range(self.grid.count())]
        needed = max(1, -(-len(self.panels) // PANELS_PER_ROW))
        while len(rows) < needed:
            row = QSplitter(Qt.Orientation.Horizontal)
            self.grid.addWidget(row)
            rows.append(row)
        for i, panel in enumerate(self.panels):
            row = rows[i // PANELS_PER_ROW]
            if panel.parent() is not row or row.indexOf(panel) != i % PANELS_PER_ROW:
                row.insertWidget(i % PANELS_PER_ROW, panel)
        for row in rows[needed:]:
            row.setParent(None)
            row.deleteLater()

    def current_panel(self) -> ConnectionPanel | None:
        focus: QWidget | None = self.focusWidget()
        for panel in self.panels:
            if focus is not None and panel.isAncestorOf(focus):
                return panel
        return self.panels[0] if self.panels else None

    def start_current(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.start()

    def stop_all(self) -> None:
        for panel in self.panels:
            panel.stop()

    def clear_current(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.clear()

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message)

    def show_dropped(self, count: int) -> None:
        """Events the engine dropped because the GUI fell behind: counters, plots and
        the log of the runs then miss them, so it stays in sight, not just a message."""
        self.dropped_label.setText(f"  {count:,} events dropped  ")
        self.dropped_label.setToolTip(
            "The GUI did not drain the engine's events in time; runs shown miss these"
        )
        self.dropped_label.show()
        self.statusBar().showMessage(f"{count:,} events dropped: the GUI fell behind the engine")

    # -- keys ------------------------------------------------------------------------
    def key(self) -> str | None:
        """FAL_KEY from the environment, else the keyring, else one typed this session."""
        return load_key("env") or load_key("keyring") or self._typed_key

    def ask_key(self) -> None:
        key, ok = QInputDialog.getText(
            self, "FAL key", "Key (never saved in session files):", QLineEdit.EchoMode.Password
        )
        if not ok or not key.strip():
            return
        if store_key(key.strip()):
            self.statusBar().showMessage("key stored in the OS keyring")
        else:
            self._typed_key = key.strip()
            self.statusBar().showMessage("no OS keyring here: the key is kept until you quit")

    # -- sessions ----------------------------------------------------------------------
    def session(self) -> Session:
        faults: dict[str, float | int | None] = {
            name: box.value() for name, box in self.fault_inputs.items()
        }
        return Session(
            connections=[to_spec(p.settings()) for p in self.panels],
            mock=MockSpec(enabled=self.mock.running or self.mock_action.isChecked(), faults=faults),
        )

    def apply_session(self, session: Session) -> None:
        for panel in list(self.panels):
            self.remove_connection(panel)
        for spec in session.connections:
            panel = self.add_connection(from_spec(spec))
            if spec.redacted_headers:
                panel.show_error(
                    "header values not saved (secret): " + ", ".join(spec.redacted_headers)
                )
        for name, box in self.fault_inputs.items():
            value = session.mock.faults.get(name)
            box.setValue(value or 0)  # type: ignore[arg-type]  # an int field has a QSpinBox
        if session.mock.enabled and not self.mock.running:
            self.mock_action.setChecked(True)

    def save_session(self, path: str | Path) -> None:
        save(path, self.session())
        self.statusBar().showMessage(f"session saved to {path}")

    def open_session(self, path: str | Path) -> bool:
        try:
            session = load(path)
        except SessionFileError as exc:
            self.show_error(str(exc))
            return False
        self.apply_session(session)
        self.statusBar().showMessage(f"session opened from {path}")
        return True

    def save_session_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save session", "session.rtprobe.json", "rtprobe sessions (*.json)"
        )
        if path:
            self.save_session(path)

    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", "", "rtprobe sessions (*.json)")
        if path:
            self.open_session(path)

    @staticmethod
    def autosave_path() -> Path:
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
        return Path(base or Path.home() / ".config" / "rtprobe") / "last-session.json"

    def restore_session(self) -> None:
        path = self.autosave_path()
        if path.exists():
            self.open_session(path)

    # -- export ------------------------------------------------------------------------
    def export_report(self, path: str | Path) -> bool:
        panel = self.current_panel()
        if panel is None or panel.live is None:
            self.show_error("nothing to export: run a connection first")
            return False
        try:
            panel.export_report(Path(path))
        except (OSError, ProbeError) as exc:
            self.show_error(f"export failed: {exc}")
            return False
        self.statusBar().showMessage(f"report written to {path}")
        return True

    def export_report_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export report", "report.html", "HTML (*.html);;JSON (*.json);;CSV (*.csv)"
        )
        if path:
            self.export_report(path)

    def export_plot_dialog(self) -> None:
        panel = self.current_panel()
        if panel is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export plot", "plot.png", "PNG (*.png)")
        if path and not panel.plots.grab().save(path, "PNG"):
            self.show_error(f"could not write {path}")

    # -- lifecycle -------------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.qsettings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def save_layout(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState())

    def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        self.save_layout()
        if self.autosave:
            try:
                path = self.autosave_path()
                path.parent.mkdir(parents=True, exist_ok=True)
                save(path, self.session())
            except (OSError, ProbeError):
                pass  # losing the autosave must not block quitting
        for panel in list(self.panels):
            panel.close_down()
        self.bridge.close()
        self.mock.shutdown()  # now: the loop may end before a coroutine could run

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
