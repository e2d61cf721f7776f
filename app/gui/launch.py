"""Start the GUI: one qasync loop runs both Qt and the GUI's own async work (the
embedded mock's process and HTTP, see app.gui.mock_control), the engine in its own
process, the embedded mock in another. The window is built inside the loop, so a
slot it fires while starting (the mock toggle) already has a running loop."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, cast

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.assets import asset_path
from app.core.sessions import registry
from app.gui.gui_priority import lower_gui_priority

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def install_excepthook(window: object) -> None:
    """An unexpected exception in a slot must not vanish nor open a dialog: one line in
    the status bar, the traceback on stderr for a bug report."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: object) -> None:
        previous(kind, exc, tb)  # type: ignore[arg-type]
        with contextlib.suppress(Exception):
            window.show_error(f"internal error: {kind.__name__}: {exc}")  # type: ignore[attr-defined]

    sys.excepthook = hook


def start_window(window: MainWindow, session_file: str | None = None) -> None:
    """What a start does before the window shows: the last layout, then the session
    file asked for (`rtprobe gui FILE`), else the last session, else one connection per
    transport. A session file that cannot be opened leaves its one-line error in the
    status bar, over the normal start."""
    window.restore_layout()
    error = ""
    if session_file is not None:
        if window.open_session(session_file):
            return
        error = window.statusBar().currentMessage()
    window.restore_session()
    if not window.panels:
        for transport in registry.TRANSPORTS:
            window.add_connection_for(transport)
    if error:
        window.show_error(f"session not opened: {error}")


def run_gui(
    *, mock: bool = True, quit_after_s: float | None = None, session_file: str | None = None
) -> int:
    import qasync

    from app.gui.main_window import MainWindow

    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))
    app.setApplicationName("rtprobe")
    app.setOrganizationName("rtprobe")
    app.setDesktopFileName("rtprobe")  # matches packaging/rtprobe.desktop
    app.setQuitOnLastWindowClosed(False)  # main() ends the loop, after the mock is gone
    icon = asset_path("rtprobe.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))

    async def main() -> None:
        window = MainWindow()
        install_excepthook(window)
        start_window(window, session_file)
        if mock:
            window.mock_action.setChecked(True)
        window.show()
        lower_gui_priority()  # after the engine's process started: it keeps its priority
        closed = asyncio.Event()
        app.lastWindowClosed.connect(closed.set)
        try:
            if quit_after_s is not None:
                await asyncio.wait_for(closed.wait(), quit_after_s)
            else:
                await closed.wait()
        except TimeoutError:
            window.close()
        await window.mock.closed()  # the mock's process and pipes, before the loop goes

    qasync.run(main())
    return 0
