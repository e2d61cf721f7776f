"""Start the GUI: one qasync loop runs both Qt and the GUI's own async work (the
embedded mock's process and HTTP, see app.gui.mock_control), the engine in its own
process, the embedded mock in another. The window is built inside the loop, so a
slot it fires while starting (the mock toggle) already has a running loop.

The window paints first: the engine child and the embedded mock are spawned only after
its first paint (`after_first_paint`), with "starting the engine…" in the status bar
meanwhile, so their start-up (a second interpreter each, in a bundle a second
bootloader) never delays the window. RTPROBE_STARTUP_REPORT=1 prints the phases
(app.startup)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from app import startup
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


ENGINE_STARTING = "starting the engine…"  # the status line until the engine is up
PAINT_WAIT_MS = 2000  # a window that is never painted (minimised, no expose) still starts


class _FirstPaint(QObject):
    """Calls `then` once, just after `window`'s first paint (or after PAINT_WAIT_MS)."""

    def __init__(self, window: QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._window, self._then, self._fired = window, then, False
        window.installEventFilter(self)
        QTimer.singleShot(PAINT_WAIT_MS, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._fired:
            QTimer.singleShot(0, self._fire)  # once this paint is done and flushed
        return False

    def _fire(self) -> None:
        if not self._fired:
            self._fired = True
            self._window.removeEventFilter(self)
            self._then()


def engine_ready(window: MainWindow) -> None:
    """ "starting the engine…" goes, leaving what start-up said before it, or "ready"."""
    said = window.statusBar().currentMessage()
    if said.endswith(ENGINE_STARTING):
        window.statusBar().showMessage(said[: -len(ENGINE_STARTING)].rstrip("; ") or "ready")


def after_first_paint(window: QWidget, then: Callable[[], None]) -> QObject:
    """Run `then` right after the window's first paint; the returned filter is the
    window's child (kept alive by it)."""
    return _FirstPaint(window, then)


def run_gui(
    *, mock: bool = True, quit_after_s: float | None = None, session_file: str | None = None
) -> int:
    import qasync

    from app.gui.main_window import MainWindow

    startup.mark("imports")
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))
    app.setApplicationName("rtprobe")
    app.setOrganizationName("rtprobe")
    app.setDesktopFileName("rtprobe")  # matches packaging/rtprobe.desktop
    app.setQuitOnLastWindowClosed(False)  # main() ends the loop, after the mock is gone
    icon = asset_path("rtprobe.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))

    startup.mark("qt")

    async def main() -> None:
        window = MainWindow()
        startup.mark("window")
        install_excepthook(window)
        start_window(window, session_file)
        startup.mark("session")
        startup.expect("engine ready", *(["mock up"] if mock else []))
        window.bridge.sigReady.connect(lambda: engine_ready(window))
        window.bridge.sigReady.connect(lambda: startup.done("engine ready"))
        window.mock.sigStarted.connect(lambda _base: startup.done("mock up"))
        if mock:
            window.show_mock_starting()
        said = window.statusBar().currentMessage()  # a session opened, or not, ...
        window.statusBar().showMessage(
            ENGINE_STARTING if said in ("", "ready") else f"{said}; {ENGINE_STARTING}"
        )

        def painted() -> None:
            startup.mark("paint")
            window.bridge.start_engine()
            lower_gui_priority()  # once the engine's process is spawned: it keeps its own
            if mock:
                window.start_mock()

        after_first_paint(window, painted)
        window.show()
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
    startup.report()  # if what it waited for never came: marked "not ready"
    return 0
