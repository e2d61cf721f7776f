"""The main window: a connections sidebar beside a scrolling grid of connection panels
(app.gui.workspace), a menu bar that holds every action, a short toolbar (mock server,
+ connection, start/stop), the mock's faults in a dock, the status bar, and the layout
restored on the next start, never larger than the screen."""

from __future__ import annotations

import contextlib
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMenu,
    QSplitter,
    QToolBar,
    QToolButton,
    QWidget,
)

from app.core.errors import ProbeError
from app.core.sessionfile import save
from app.gui.bridge import EngineBridge
from app.gui.connection_list import ConnectionList
from app.gui.connection_panel import (
    EXAMPLES,
    ConnectionPanel,
    ConnectionSettings,
)
from app.gui.fault_bar import FaultBar
from app.gui.history_dock import HistoryDock
from app.gui.menus import make_action
from app.gui.mock_control import MockControl
from app.gui.panel_tips import add_tips
from app.gui.plot_export import DEFAULT_SIZE
from app.gui.window_files import WindowFiles
from app.gui.workspace import AUTO, MAX_COLUMNS, Workspace

DEFAULT_SIZE_PX = QSize(1400, 900)
SIDEBAR_WIDTH = 240


class MainWindow(WindowFiles):
    def __init__(
        self,
        *,
        bridge: EngineBridge | None = None,
        mock: MockControl | None = None,
        settings: QSettings | None = None,
        autosave: bool = True,
    ) -> None:
        super().__init__()
        self.bridge = bridge or EngineBridge(self, start=False)  # launch: after 1st paint
        self.mock = mock or MockControl(self)
        self.qsettings = settings or QSettings("rtprobe", "rtprobe")
        self.panels: list[ConnectionPanel] = []
        self.autosave = autosave
        self.session_path: Path | None = None  # where Save writes without asking
        self._shut_down = False
        self.mock_base: str | None = None  # where mock/… app ids go
        self.plot_size = DEFAULT_SIZE
        self._update_title()
        self.setMinimumSize(640, 480)

        self.sidebar = ConnectionList()
        self.sidebar.sigActivated.connect(self.select_connection)
        self.workspace = Workspace()
        self.workspace.empty.sigAdd.connect(self.add_connection_for)
        self.workspace.empty.sigOpen.connect(self.open_session_dialog)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("workspace-splitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.workspace)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([SIDEBAR_WIDTH, DEFAULT_SIZE_PX.width() - SIDEBAR_WIDTH])
        self.setCentralWidget(self.splitter)

        self.fault_bar = FaultBar()
        self.fault_inputs = self.fault_bar.inputs
        self.fault_bar.sigApply.connect(self.apply_faults)
        self.fault_bar.network.sigApply.connect(self.apply_network)
        self.fault_bar.network.sigError.connect(self.show_error)
        self.fault_dock = QDockWidget("Mock faults", self)
        self.fault_dock.setObjectName("faults-dock")
        self.fault_dock.setWidget(self.fault_bar)
        self.fault_dock.setAllowedAreas(
            Qt.DockWidgetArea.TopDockWidgetArea | Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.fault_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.fault_dock.setToolTip("Faults the embedded mock server injects (Apply to send)")
        self.fault_dock.setTitleBarWidget(QWidget())  # one row, not two: View ▸ Mock faults
        self.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.fault_dock)

        self.history = HistoryDock(
            self,
            panels=lambda: self.panels,
            selected=self.sidebar.selected_panels,
            status=self.statusBar().showMessage,
        )
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self.history.wire(self.history_action, self.compare_action)
        self.mock.sigStarted.connect(self.show_mock)
        self.mock.sigStopped.connect(self._mock_stopped)
        self.mock.sigError.connect(self.show_error)
        self.mock.sigFaults.connect(self._faults_changed)
        self.dropped_label = QLabel()
        self.dropped_label.setStyleSheet("color: #B00020")
        self.dropped_label.hide()  # until the engine drops an event
        self.statusBar().addPermanentWidget(self.dropped_label)
        self.bridge.sigDropped.connect(self.show_dropped)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        self.fit_to_screen(DEFAULT_SIZE_PX)
        self._relayout()
        self.statusBar().showMessage("ready")

    # -- actions and menus -------------------------------------------------------
    def _build_actions(self) -> None:
        a = make_action
        self.new_actions: dict[str, QAction] = {
            t: a(self, t, f"Add a {t} connection", partial(self.add_connection_for, t))
            for t in EXAMPLES
        }
        self.open_action = a(
            self, "&Open session…", "Open a session file", self.open_session_dialog, "Ctrl+O"
        )
        self.save_action = a(
            self,
            "&Save session",
            "Save the session (targets, payloads, settings, never keys); asks for a file once",
            self.save_session_current,
            "Ctrl+S",
        )
        self.save_as_action = a(
            self,
            "Save session &as…",
            "Save the session to a new file",
            self.save_session_dialog,
            "Ctrl+Shift+S",
        )
        self.export_report_action = a(
            self,
            "Export &report…",
            "A report of all or the selected connections: HTML, JSON or CSV",
            self.export_report_dialog,
        )
        self.export_plot_action = a(
            self,
            "Export &plot…",
            "The current connection's plots with a title, as PNG or SVG",
            self.export_plot_dialog,
        )
        self.key_action = a(
            self,
            "FAL &key…",
            "Enter a FAL key (kept in the OS keyring when there is one)",
            self.ask_key,
        )
        self.quit_action = a(
            self,
            "&Quit",
            "Close rtprobe (runs are stopped, the session kept)",
            self.close,
            "Ctrl+Q",
        )
        self.start_action = a(
            self,
            "&Start",
            "Send on the current connection until stopped",
            self.start_current,
            "Ctrl+Return",
        )
        self.timed_action = a(
            self,
            "&Timed test",
            "Run the current connection for its set duration",
            self.timed_current,
        )
        self.send_once_action = a(
            self, "Send &once", "Send one message on the current connection", self.send_once_current
        )
        self.stop_action = a(self, "St&op", "Stop the current connection's run", self.stop_current)
        self.stop_all_action = a(
            self, "Stop &all", "Stop every connection's run", self.stop_all, "Ctrl+."
        )
        self.clear_action = a(
            self,
            "&Clear",
            "Clear the current connection's counters, plots and log",
            self.clear_current,
            "Ctrl+L",
        )
        self.column_group = QActionGroup(self)
        self.column_actions: dict[int, QAction] = {}
        for n in (AUTO, *range(1, MAX_COLUMNS + 1)):
            text = "&Auto columns" if n == AUTO else f"&{n} column{'s' if n > 1 else ''}"
            tip = (
                "As many columns as fit the width"
                if n == AUTO
                else f"Connections in {n} column{'s' if n > 1 else ''}"
            )
            action = a(self, text, tip, partial(self.set_columns, n), checkable=False)
            action.setCheckable(True)
            self.column_group.addAction(action)
            self.column_actions[n] = action
        self.column_actions[AUTO].setChecked(True)
        self.focus_action = a(
            self,
            "&Focus selected",
            "Show only the selected connection, as large as the window",
            self.set_focus_mode,
            "Ctrl+Shift+F",
            checkable=True,
        )
        self.sidebar_action = a(
            self,
            "Connections &sidebar",
            "Show or hide the list of connections",
            self.set_sidebar_visible,
            "Ctrl+B",
            checkable=True,
        )
        self.sidebar_action.setChecked(True)
        self.faults_action = self.fault_dock.toggleViewAction()
        self.faults_action.setText("Mock &faults")
        self.faults_action.setToolTip("Show or hide the mock server's fault settings")
        # wired by the history (app.gui.history_dock)
        self.history_action = a(
            self, "&History", "Past runs, stored on this machine", None, "Ctrl+H"
        )
        self.compare_action = a(
            self,
            "&Compare connections…",
            "The selected connections (or all) side by side: CDFs, histograms, figures",
            None,
            "Ctrl+Shift+C",
        )
        self.about_action = a(
            self, "&About rtprobe", "Version and what rtprobe is", self.show_about
        )
        self.shortcuts_action = a(
            self,
            "&Keyboard shortcuts",
            "Every shortcut of the menus",
            self.show_shortcuts,
            QKeySequence.StandardKey.HelpContents,
        )
        self.docs_action = a(
            self, "&Documentation", "Open the README (how to use rtprobe)", self.open_docs
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        new = file.addMenu("&New connection")
        new.setToolTipsVisible(True)
        new.addActions(list(self.new_actions.values()))
        file.addActions([self.open_action, self.save_action, self.save_as_action])
        file.addSeparator()
        file.addActions([self.export_report_action, self.export_plot_action])
        file.addSeparator()
        file.addAction(self.key_action)
        file.addSeparator()
        file.addAction(self.quit_action)
        run = bar.addMenu("&Run")
        run.addActions([self.start_action, self.timed_action, self.send_once_action])
        run.addSeparator()
        run.addActions([self.stop_action, self.stop_all_action])
        run.addSeparator()
        run.addAction(self.clear_action)
        view = bar.addMenu("&View")
        columns = view.addMenu("&Columns")
        columns.addActions(list(self.column_actions.values()))
        view.addActions([self.focus_action, self.sidebar_action, self.faults_action])
        view.addSeparator()
        view.addActions([self.history_action, self.compare_action])
        help_ = bar.addMenu("&Help")
        help_.addActions([self.shortcuts_action, self.docs_action, self.about_action])
        for menu in (file, run, view, help_, columns):
            menu.setToolTipsVisible(True)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main toolbar")
        bar.setObjectName("main-toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)
        self.toolbar = bar
        self.mock_action = make_action(
            self,
            "Mock server",
            "Start or stop the embedded mock server",
            self._toggle_mock,
            checkable=True,
        )
        bar.addAction(self.mock_action)
        self.mock_label = QLabel("  embedded mock server: off  ")
        self.mock_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.mock_label.setToolTip("Where the embedded mock listens; mock/… targets go there")
        bar.addWidget(self.mock_label)
        bar.addSeparator()
        self.add_button = QToolButton()
        self.add_button.setText("+ Connection")
        self.add_button.setToolTip("Add a connection: pick its transport")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        menu.addActions(list(self.new_actions.values()))
        self.add_button.setMenu(menu)
        bar.addWidget(self.add_button)
        bar.addSeparator()
        bar.addActions([self.start_action, self.stop_action, self.stop_all_action])
        self.addAction(self.quit_action)  # shortcuts work with the menu bar hidden too

    # -- connections -----------------------------------------------------------------
    def add_connection_for(self, transport: str) -> ConnectionPanel:
        target, payload = EXAMPLES[transport]
        return self.add_connection(
            ConnectionSettings(transport=transport, target=target, payload=payload)
        )

    def add_connection(self, settings: ConnectionSettings | None = None) -> ConnectionPanel:
        panel = ConnectionPanel(self.bridge, settings)
        self.attach_mock(panel)  # its mock base, and the mock's health after its runs
        panel.key_provider = self.key
        panel.sigStatus.connect(self.statusBar().showMessage)
        panel.sigCloseRequested.connect(self.remove_connection)
        panel.inspector.sigError.connect(self.show_error)
        self.history.attach(panel)
        add_tips(panel)
        self.panels.append(panel)
        self._relayout()
        self.select_connection(panel)
        return panel

    def remove_connection(self, panel: ConnectionPanel) -> None:
        if panel in self.panels:
            panel.close_down()
            self.panels.remove(panel)
            panel.setParent(None)
            panel.deleteLater()
            self._relayout()

    def _relayout(self) -> None:
        self.workspace.set_panels(self.panels)
        self.sidebar.set_panels(self.panels)
        if self.workspace.selected is not None:
            self.sidebar.select(self.workspace.selected)
        has_panels = bool(self.panels)
        for action in (
            self.start_action,
            self.timed_action,
            self.send_once_action,
            self.stop_action,
            self.stop_all_action,
            self.clear_action,
            self.export_plot_action,
            self.export_report_action,
        ):
            action.setEnabled(has_panels)

    def select_connection(self, panel: ConnectionPanel) -> None:
        """Make `panel` the current one: selected in the sidebar, scrolled into view."""
        self.workspace.select(panel)
        self.sidebar.select(panel)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or self._shut_down:
            return
        for panel in self.panels:
            if panel.isAncestorOf(new):
                self.workspace.selected = panel
                self.sidebar.select(panel)
                return

    def set_columns(self, columns: int) -> None:
        self.workspace.set_columns(columns)
        if columns in self.column_actions:
            self.column_actions[columns].setChecked(True)

    def set_focus_mode(self, on: bool) -> None:
        self.workspace.set_focus_mode(on)
        if self.focus_action.isChecked() != on:
            self.focus_action.setChecked(on)

    def set_sidebar_visible(self, on: bool) -> None:
        self.sidebar.setVisible(on)
        if self.sidebar_action.isChecked() != on:
            self.sidebar_action.setChecked(on)

    def current_panel(self) -> ConnectionPanel | None:
        """The panel holding the keyboard focus, else the one selected, else the first."""
        focus: QWidget | None = self.focusWidget()
        for panel in self.panels:
            if focus is not None and panel.isAncestorOf(focus):
                return panel
        if self.workspace.selected in self.panels:
            return self.workspace.selected
        return self.panels[0] if self.panels else None

    def start_current(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.start()

    def timed_current(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.start(duration_s=panel.duration.value())

    def send_once_current(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.start(count=1)

    def stop_current(self) -> None:
        panel = self.current_panel()
        if panel is not None:
            panel.stop()

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

    # -- layout ----------------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.qsettings.value("window/state")
        if state is not None:
            self.restoreState(state)
        sizes = self.qsettings.value("window/splitter")
        if sizes is not None:
            self.splitter.restoreState(sizes)
        with contextlib.suppress(TypeError, ValueError):
            self.set_columns(int(self.qsettings.value("view/columns", AUTO)))  # type: ignore[call-overload]
        sidebar = self.qsettings.value("view/sidebar", True)
        self.set_sidebar_visible(sidebar not in (False, "false", "0", 0))
        self.fit_to_screen()  # a screen smaller than the last one, or a geometry from elsewhere

    def save_layout(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState())
        self.qsettings.setValue("window/splitter", self.splitter.saveState())
        self.qsettings.setValue("view/columns", self.workspace.columns)
        self.qsettings.setValue("view/sidebar", self.sidebar_action.isChecked())

    # -- lifecycle -------------------------------------------------------------------
    def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        app = QApplication.instance()
        if isinstance(app, QApplication):
            with contextlib.suppress(RuntimeError, TypeError):
                app.focusChanged.disconnect(self._focus_changed)
        self.sidebar.timer.stop()
        self.save_layout()
        if self.autosave:
            try:
                path = self.autosave_path()
                path.parent.mkdir(parents=True, exist_ok=True)
                save(path, self.session())
            except (OSError, ProbeError):
                pass  # losing the autosave must not block quitting
        for panel in list(self.panels):
            panel.close_down()  # a running one ends as stopped, and is stored so
        self.history.close()
        self.bridge.close()
        self.mock.shutdown()  # now: the loop may end before a coroutine could run

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
