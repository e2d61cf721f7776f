"""File dialogs open in the folder used last (kept in the settings), never in the
folder the app started from."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from app.gui.file_dialogs import LAST_FOLDER_KEY, last_folder


def test_last_folder_is_remembered_across_dialogs(qtbot, window, tmp_path: Path, monkeypatch):
    chosen = tmp_path / "sessions"
    chosen.mkdir()
    starts: list[str] = []

    def save_dialog(_parent, _title, start, _filters):
        starts.append(start)
        return str(chosen / "mine.json"), ""

    def open_dialog(_parent, _title, start, _filters):
        starts.append(start)
        return "", ""  # cancelled: nothing changes

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_dialog)
    window.add_connection_for("ws")
    window.save_as_action.trigger()
    assert Path(starts[0]).parent != Path(os.getcwd())  # documents or home, not here
    assert Path(starts[0]).name == "session.rtprobe.json"
    assert window.qsettings.value(LAST_FOLDER_KEY) == str(chosen)
    window.open_action.trigger()
    assert Path(starts[1]) == chosen
    window.save_as_action.trigger()
    assert Path(starts[2]) == chosen / "mine.json"  # the session's own name proposed


def test_a_folder_that_went_away_is_not_proposed(qtbot, window, tmp_path: Path) -> None:
    window.qsettings.setValue(LAST_FOLDER_KEY, str(tmp_path / "gone"))
    assert last_folder(window.qsettings) != tmp_path / "gone"
    assert last_folder(window.qsettings).is_dir()
