"""`rtprobe gui [SESSION_FILE]`: the file opens at start; a bad one leaves a one-line
error in the status bar over the normal start."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import cli
from app.gui import launch
from app.gui.launch import ENGINE_STARTING, after_first_paint, engine_ready, start_window
from app.gui.main_window import MainWindow


@pytest.fixture
def no_autosave(tmp_path: Path, monkeypatch) -> Path:
    """The last session lives in tmp, not in the user's config."""
    path = tmp_path / "config" / "last-session.json"
    monkeypatch.setattr(MainWindow, "autosave_path", staticmethod(lambda: path))
    return path


def test_session_file_opens_at_start(qtbot, window, tmp_path: Path, no_autosave) -> None:
    window.add_connection_for("sse")
    window.add_connection_for("ws")
    session = tmp_path / "two.json"
    assert window.save_session(session)
    for panel in list(window.panels):
        window.remove_connection(panel)
    window.session_path = None
    start_window(window, str(session))
    assert [p.settings().transport for p in window.panels] == ["sse", "ws"]
    assert window.session_path == session  # Ctrl+S writes back to it
    assert window.statusBar().currentMessage() == f"session opened from {session}"


def test_bad_session_file_is_one_line_then_the_normal_start(
    qtbot, window, tmp_path: Path, no_autosave
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    start_window(window, str(bad))
    message = window.statusBar().currentMessage()
    assert message.startswith("session not opened: bad.json: not JSON") and "\n" not in message
    assert [p.settings().transport for p in window.panels] == ["realtime", "ws", "sse", "webrtc"]
    assert window.session_path is None


def test_cli_passes_the_session_file_to_the_gui(monkeypatch, tmp_path: Path) -> None:
    args = cli.build_parser().parse_args(["gui", "s.json", "--no-mock"])
    assert (args.session_file, args.no_mock) == ("s.json", True)
    assert cli.build_parser().parse_args(["gui"]).session_file is None
    got: dict[str, object] = {}

    def run_gui(**kwargs: object) -> int:  # the window itself is tested above
        got.update(kwargs)
        return 0

    monkeypatch.setattr(launch, "run_gui", run_gui)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert cli.main(["gui", str(tmp_path / "s.json")]) == 0
    assert got == {"mock": True, "quit_after_s": None, "session_file": str(tmp_path / "s.json")}


def test_the_engine_waits_for_the_window(qtbot, window) -> None:
    """The window's own bridge spawns no engine child until asked (the GUI asks after
    the first paint); "starting the engine…" gives way to what was said before, or
    "ready", once the engine is up."""
    assert not window.bridge.started
    window.bridge.sigReady.connect(lambda: engine_ready(window))
    window.statusBar().showMessage(f"session opened from x.json; {ENGINE_STARTING}")
    with qtbot.waitSignal(window.bridge.sigReady, timeout=60_000):
        window.bridge.start_engine()
    assert window.statusBar().currentMessage() == "session opened from x.json"
    window.statusBar().showMessage(ENGINE_STARTING)
    engine_ready(window)
    assert window.statusBar().currentMessage() == "ready"


def test_after_first_paint_runs_once_after_the_window_painted(qtbot) -> None:
    from PySide6.QtWidgets import QWidget

    painted: list[bool] = []
    calls: list[bool] = []

    class Painted(QWidget):
        def paintEvent(self, event) -> None:
            painted.append(True)
            super().paintEvent(event)

    widget = Painted()
    qtbot.addWidget(widget)
    after_first_paint(widget, lambda: calls.append(bool(painted)))
    widget.show()
    qtbot.waitUntil(lambda: bool(calls), timeout=10_000)
    widget.repaint()
    assert len(painted) >= 2
    assert calls == [True]  # after the first paint, and once
