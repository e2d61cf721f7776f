"""The embedded mock's own health in the window: its `/health` read every few seconds
for the status bar (its loop thread's CPU and event-loop lag), and once after each run
that went to it, over the run's length, so the panel and the summary card say when the
mock was the bottleneck ("server (mock) saturated: …"), as `rtprobe run --mock` does.

Only the mock the window started (or was pointed at as its mock) is asked; HTTP runs as
coroutines on the GUI's qasync loop, as `MockControl` does; a reading that cannot be had
is left out, never an error (the mock may be stopping)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from app.core.health.figures import ServerHealth
from app.core.health.mock_reading import server_health

POLL_MS = 2_000
POLL_WINDOW_S = 5.0  # the status bar's reading: the mock's last seconds
TIMEOUT_S = 2.0


def running_loop() -> asyncio.AbstractEventLoop | None:
    """qasync's loop while the window's Qt loop runs it; None without one (the window
    is closing, or a test drives Qt alone): a Qt timer or signal can outlive it."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return None if loop.is_closed() else loop


def label_text(base_url: str, reading: ServerHealth | None) -> str:
    """The mock label: where it listens and, once read, its loop CPU and lag."""
    text = f"embedded mock server: {base_url}"
    if reading is not None:
        text += (
            f" · loop CPU {reading.cpu:.0f}% · lag p50 {reading.loop_lag_p50_ms:.1f} ms"
            f" p99 {reading.loop_lag_p99_ms:.1f} ms"
        )
        if reading.saturated:
            text += " · saturated"
    return f"  {text}  "


def on_mock(url: str, base_url: str) -> bool:
    """Whether a run's target URL (ws://, http://) is on the mock at `base_url`."""
    host = base_url.split("://", 1)[-1].rstrip("/")
    return url.split("://", 1)[-1].startswith(host + "/") or url.split("://", 1)[-1] == host


class MockHealth(QObject):
    """`watch(base)` when the mock listens, `watch(None)` when it stopped; `sigReading`
    every `POLL_MS` with the latest reading; `await over(window_s)` for one run."""

    sigReading = Signal(object)  # ServerHealth

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.base_url: str | None = None
        self.latest: ServerHealth | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._task: asyncio.Task[None] | None = None

    def watch(self, base_url: str | None) -> None:
        self.base_url, self.latest = base_url, None
        if base_url is None:
            self.timer.stop()
        else:
            self.timer.start()
            self.poll()

    async def over(self, window_s: float) -> ServerHealth | None:
        """The mock's reading over its last `window_s` seconds (at least 0.5 s)."""
        base = self.base_url
        if base is None:
            return None
        body: Any = None
        with contextlib.suppress(httpx.HTTPError, ValueError):
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                window = {"window": f"{max(0.5, window_s):.3f}"}
                r = await client.get(f"{base}/health", params=window)
                body = r.json()
        return server_health(body) if base == self.base_url else None

    def poll(self) -> None:
        """One reading in the background; none while the last is still out, and none
        once the window's loop is gone (a timer can outlive it: the poll stops then)."""
        loop = running_loop()
        if loop is None:
            self.timer.stop()
            return
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._poll())

    async def _poll(self) -> None:
        reading = await self.over(POLL_WINDOW_S)
        if reading is not None and shiboken6.isValid(self):  # the window may have closed
            self.latest = reading
            self.sigReading.emit(reading)
