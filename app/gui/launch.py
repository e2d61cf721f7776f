"""Start the GUI: a qasync loop that also runs the embedded mock server."""

from __future__ import annotations

import asyncio
import sys

from PySide6.QtWidgets import QApplication


def run_gui(*, mock: bool = True, quit_after_s: float | None = None) -> int:
    import qasync

    from app.gui.main_window import MainWindow
    from server_mock import MockServer

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("rtprobe")
    window = MainWindow()
    window.show()
    server = MockServer() if mock else None

    async def main() -> None:
        closed = asyncio.Event()
        app.lastWindowClosed.connect(closed.set)
        if server is not None:
            try:
                window.show_mock(await server.start())
            except Exception as exc:
                window.show_error(f"embedded mock server failed to start: {exc}")
        try:
            if quit_after_s is not None:
                await asyncio.wait_for(closed.wait(), quit_after_s)
            else:
                await closed.wait()
        except TimeoutError:
            pass
        finally:
            if server is not None:
                await server.stop()

    qasync.run(main())
    return 0
