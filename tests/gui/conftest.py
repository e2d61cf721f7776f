"""GUI fixtures: a real main window on a real mock, with settings kept out of $HOME,
and the GUI's async work on a qasync loop, as in the app."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings

from app.gui.main_window import MainWindow

LOOP_TEARDOWN_S = 10.0


@pytest.fixture(autouse=True)
def qt_garbage_on_the_main_thread(qapp) -> Iterator[None]:
    """Collect cycles only here, on the GUI thread, after the test's widgets are gone.

    The shared mock serves from a thread of this process; a collection that runs
    there and frees a Qt object's wrapper destroys the C++ object on that thread
    while the GUI thread destroys others: seen once as a deadlock (two threads,
    a Qt mutex and the GIL) in test_webrtc_pane."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        qapp.processEvents()  # deleteLater of the widgets pytest-qt closed
        gc.collect()
        if enabled:
            gc.enable()


@pytest.fixture
def qasync_loop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    """qasync's loop on the Qt loop pytest-qt drives (`already_running`), as
    app.gui.launch runs it, so `@asyncSlot`s work while a test waits on a signal.
    Let go after the test, so no later test inherits a running loop."""
    loop = qasync.QEventLoop(qapp, already_running=True)  # also the running loop now
    try:
        yield loop
    finally:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        deadline = time.monotonic() + LOOP_TEARDOWN_S
        while any(not t.done() for t in tasks) and time.monotonic() < deadline:
            qapp.processEvents()
        asyncio.events._set_running_loop(None)
        # qasync stops an already-running loop only with app.exit(), which would also
        # end every nested Qt loop of the later tests; mark it stopped instead
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]  # name-mangled
        loop.close()


@pytest.fixture
def window(qtbot, qasync_loop, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, autosave=False)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    yield w
    w.shutdown()
    # the mock's process ends on the loop, as app.gui.launch awaits mock.closed()
    qtbot.waitUntil(lambda: not w.mock.pending, timeout=15_000)
