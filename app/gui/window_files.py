"""The main window's files: session files (open, save, the autosave), reports of its
connections and plot pictures. A mixin of `MainWindow`, kept apart so the window's own
module holds its layout and actions; every method here runs on the window."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, QStandardPaths

from app import __version__
from app.core.errors import ProbeError
from app.core.sessionfile import MockSpec, Session, SessionFileError, load, save
from app.gui import export_dialogs, file_dialogs
from app.gui.connection_panel import ConnectionPanel, ConnectionSettings, from_spec, to_spec
from app.gui.exports import Measured, export_reports
from app.gui.plot_export import export_plot
from app.gui.window_mock import WindowMock

if TYPE_CHECKING:
    from app.gui.connection_list import ConnectionList

SESSION_FILTER = "rtprobe sessions (*.json)"
REPORT_FILTERS = {
    "html": "HTML report (*.html)",
    "json": "JSON report (*.json)",
    "csv": "CSV tables (*.csv)",
}
PLOT_FILTERS = {"png": "PNG picture (*.png)", "svg": "SVG drawing (*.svg)"}


class WindowFiles(WindowMock):
    """What the file actions need of the window; `MainWindow` provides it."""

    sidebar: ConnectionList
    qsettings: QSettings
    session_path: Path | None
    plot_size: QSize

    def current_panel(self) -> ConnectionPanel | None:
        raise NotImplementedError

    def add_connection(self, settings: ConnectionSettings | None = None) -> ConnectionPanel:
        raise NotImplementedError

    def remove_connection(self, panel: ConnectionPanel) -> None:
        raise NotImplementedError

    def select_connection(self, panel: ConnectionPanel) -> None:
        raise NotImplementedError

    # -- sessions ----------------------------------------------------------------------
    def session(self) -> Session:
        faults: dict[str, float | int | None] = dict(self.fault_bar.values())
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
        if self.panels:
            self.select_connection(self.panels[0])
        self.fault_bar.set_values(dict(session.mock.faults))
        if session.mock.enabled and not self.mock.running:
            self.mock_action.setChecked(True)

    def _update_title(self) -> None:
        name = f" — {self.session_path.name}" if self.session_path else ""
        self.setWindowTitle(f"rtprobe {__version__}{name}")

    def save_session(self, path: str | Path) -> bool:
        """Write the session to `path`, which becomes the file Save writes to."""
        try:
            save(path, self.session())
        except (OSError, ProbeError) as exc:
            self.show_error(f"session not saved: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.session_path = Path(path)
        self._update_title()
        self.statusBar().showMessage(f"session saved to {path}")
        return True

    def open_session(self, path: str | Path, *, remember: bool = True) -> bool:
        """Open a session file; `remember`: Save then writes back to it."""
        try:
            session = load(path)
        except SessionFileError as exc:
            self.show_error(str(exc))
            return False
        self.apply_session(session)
        if remember:
            self.session_path = Path(path)
            self._update_title()
        self.statusBar().showMessage(f"session opened from {path}")
        return True

    def save_session_current(self) -> None:
        """Save: to the session's file without asking once it has one."""
        if self.session_path is not None:
            self.save_session(self.session_path)
        else:
            self.save_session_dialog()

    def save_session_dialog(self) -> None:
        name = self.session_path.name if self.session_path else "session.rtprobe.json"
        path = file_dialogs.save_file(self, self.qsettings, "Save session", name, SESSION_FILTER)
        if path:
            self.save_session(path)

    def open_session_dialog(self) -> None:
        path = file_dialogs.open_file(self, self.qsettings, "Open session", SESSION_FILTER)
        if path:
            self.open_session(path)

    @staticmethod
    def autosave_path() -> Path:
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
        return Path(base or Path.home() / ".config" / "rtprobe") / "last-session.json"

    def restore_session(self) -> None:
        path = self.autosave_path()
        if path.exists():
            self.open_session(path, remember=False)

    # -- export ------------------------------------------------------------------------
    def export_report(self, path: str | Path) -> bool:
        """The current connection's report alone (by extension .json, .csv or .html)."""
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

    def export_reports(self, path: str | Path, panels: list[ConnectionPanel] | None = None) -> bool:
        """One report of `panels` (default: all) that have run; see app.gui.exports."""
        chosen = self.panels if panels is None else panels
        items = [
            Measured(p.title.text() or p.transport.currentText(), p.live)
            for p in chosen
            if p.live is not None
        ]
        try:
            written = export_reports(path, items)
        except (OSError, ProbeError) as exc:
            self.show_error(f"export failed: {getattr(exc, 'strerror', None) or exc}")
            return False
        more = (
            f" and {len(written.files) - 1} sample file(s) beside it"
            if len(written.files) > 1
            else ""
        )
        note = f" ({'; '.join(written.notes)})" if written.notes else ""
        count = f"{len(items)} connection{'s' if len(items) != 1 else ''}"
        self.statusBar().showMessage(f"report of {count} written to {path}{more}{note}")
        return True

    def export_report_dialog(self) -> None:
        selected = self.sidebar.selected_panels()
        choice = export_dialogs.ask_report(self, len(self.panels), len(selected))
        if choice is None:
            return
        path = file_dialogs.save_file(
            self,
            self.qsettings,
            "Export report",
            f"report.{choice.extension}",
            REPORT_FILTERS[choice.extension],
        )
        if path:
            if not Path(path).suffix:
                path += f".{choice.extension}"
            self.export_reports(path, selected if choice.selected_only else None)

    def plot_title(self, panel: ConnectionPanel) -> tuple[str, str]:
        """The picture's title (name, transport, target) and a line of figures."""
        title = panel.title.text() or "connection"
        for part in (panel.transport.currentText(), panel.target.text()):
            if part and part not in title:  # the panel's title often names both already
                title += f" — {part}"
        if panel.live is None:
            return title, "no run yet"
        s = panel.live.summary()
        r = s.rtt_ms
        figures = [
            s.started,
            f"sent {s.sent:,}",
            f"received {s.received:,}",
            f"errors {s.errors:,}",
        ]
        if r.count:
            figures += [f"p50 {r.p50:.3g} ms", f"p99 {r.p99:.3g} ms"]
        return title, " · ".join(figures)

    def export_plot(
        self,
        path: str | Path,
        panel: ConnectionPanel | None = None,
        size: QSize | None = None,
    ) -> bool:
        panel = panel or self.current_panel()
        if panel is None:
            self.show_error("nothing to export: add a connection first")
            return False
        title, subtitle = self.plot_title(panel)
        try:
            export_plot(
                panel.plots, path, title=title, subtitle=subtitle, size=size or self.plot_size
            )
        except (OSError, ProbeError) as exc:
            self.show_error(f"plot not exported: {exc}")
            return False
        self.statusBar().showMessage(f"plot written to {path}")
        return True

    def export_plot_dialog(self) -> None:
        panel = self.current_panel()
        if panel is None:
            return
        choice = export_dialogs.ask_plot(self, self.plot_size)
        if choice is None:
            return
        self.plot_size = choice.size
        path = file_dialogs.save_file(
            self,
            self.qsettings,
            "Export plot",
            f"plot.{choice.extension}",
            PLOT_FILTERS[choice.extension],
        )
        if path:
            if not Path(path).suffix:
                path += f".{choice.extension}"
            self.export_plot(path, panel, choice.size)
