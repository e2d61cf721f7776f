"""The main window's help, key and screen-fitting parts, which need nothing of its
connections: About, the shortcut table, the docs, the FAL key prompt, and a size that
never runs past the screen. The base of `WindowFiles` and so of `MainWindow`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMainWindow, QMessageBox

from app import __version__
from app.core.credentials import load_key, store_key
from app.gui.menus import shortcut_table


def clamp_to(geometry: QRect, screen: QRect) -> QRect:
    """`geometry` made to fit inside `screen`: no larger, and moved onto it."""
    w = min(geometry.width(), screen.width())
    h = min(geometry.height(), screen.height())
    x = min(max(geometry.x(), screen.x()), screen.x() + screen.width() - w)
    y = min(max(geometry.y(), screen.y()), screen.y() + screen.height() - h)
    return QRect(x, y, w, h)


class WindowHelp(QMainWindow):
    _typed_key: str | None = None  # a key typed this session, when there is no keyring

    def show_error(self, message: str) -> None:
        raise NotImplementedError

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

    # -- help ------------------------------------------------------------------------
    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About rtprobe",
            f"<b>rtprobe {__version__}</b><br>Test and profile realtime AI endpoints: fal "
            "realtime, WebSocket, SSE and WebRTC, with an embedded mock server.",
        )

    def shortcuts_text(self) -> str:
        rows = "".join(
            f"<tr><td><b>{k}</b></td><td>{w}</td></tr>" for k, w in shortcut_table(self.menuBar())
        )
        return f"<table>{rows}</table>"

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", self.shortcuts_text())

    @staticmethod
    def docs_path() -> Path:
        return Path(__file__).resolve().parents[2] / "README.md"

    def open_docs(self) -> None:
        path = self.docs_path()
        if path.is_file() and QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            return
        self.show_error("documentation: see `rtprobe --help` and the README of the project")

    # -- screen ----------------------------------------------------------------------
    def available_geometry(self) -> QRect:
        """The screen's area for windows (without panels and docks of the desktop)."""
        screen = self.screen() or QApplication.primaryScreen()
        return screen.availableGeometry()

    def fit_to_screen(self, size: QSize | None = None) -> None:
        """Resize to `size` (or keep the size), never past the available screen."""
        available = self.available_geometry()
        frame = self.frameGeometry()
        extra_w = max(0, frame.width() - self.width())
        extra_h = max(0, frame.height() - self.height())
        want = size or self.size()
        w = min(want.width(), available.width() - extra_w)
        h = min(want.height(), available.height() - extra_h)
        self.resize(max(w, self.minimumWidth()), max(h, self.minimumHeight()))
        geometry = clamp_to(self.frameGeometry(), available)
        self.move(geometry.topLeft())
