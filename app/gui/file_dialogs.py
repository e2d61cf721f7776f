"""File dialogs that open in the folder last used (kept in QSettings), not in the
folder the app happened to start from (often the source tree)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

LAST_FOLDER_KEY = "dialogs/last_folder"


def last_folder(settings: QSettings) -> Path:
    """The folder of the last file chosen, else the user's documents (else home)."""
    saved = settings.value(LAST_FOLDER_KEY)
    if isinstance(saved, str) and saved and Path(saved).is_dir():
        return Path(saved)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) if docs and Path(docs).is_dir() else Path.home()


def remember(settings: QSettings, chosen: str | Path) -> None:
    settings.setValue(LAST_FOLDER_KEY, str(Path(chosen).parent))


def save_file(
    parent: QWidget | None, settings: QSettings, title: str, name: str, filters: str
) -> str:
    """A save dialog proposing `name` in the last folder; "" when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(last_folder(settings) / name), filters)
    if path:
        remember(settings, path)
    return path


def open_file(parent: QWidget | None, settings: QSettings, title: str, filters: str) -> str:
    """An open dialog in the last folder; "" when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(last_folder(settings)), filters)
    if path:
        remember(settings, path)
    return path
