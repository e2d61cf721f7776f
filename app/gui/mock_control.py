"""The embedded mock server, seen from the GUI: start/stop it in its own process (so it
never shares the GUI's thread or GIL with what it serves) and edit its faults live."""

from __future__ import annotations

import threading
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal

from server_mock.process import MockProcess


class MockControl(QObject):
    sigStarted = Signal(str)  # base URL
    sigStopped = Signal()
    sigError = Signal(str)
    sigFaults = Signal(dict)  # the server's fault settings after a change

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process: MockProcess | None = None
        self.base_url: str | None = None

    @property
    def running(self) -> bool:
        return self.base_url is not None

    def start(self) -> None:
        if self.process is not None:
            return
        self.process = MockProcess()
        threading.Thread(target=self._start, args=(self.process,), daemon=True).start()

    def _start(self, process: MockProcess) -> None:
        try:
            base = process.start()
        except Exception as exc:
            self.process = None
            self.sigError.emit(f"embedded mock server failed to start: {exc}")
            return
        self.base_url = base
        self.sigStarted.emit(base)

    def stop(self) -> None:
        process, self.process, self.base_url = self.process, None, None
        if process is not None:
            process.stop()
            self.sigStopped.emit()

    def set_faults(self, faults: dict[str, Any]) -> None:
        """PUT the faults in a worker thread; the answer or a one-line error comes back."""
        base = self.base_url
        if base is None:
            self.sigError.emit("start the embedded mock server first")
            return

        def put() -> None:
            try:
                r = httpx.put(f"{base}/_mock/faults", json=faults, timeout=5)
            except httpx.HTTPError as exc:
                self.sigError.emit(f"mock faults not changed: {exc}")
                return
            if r.status_code != 200:
                self.sigError.emit(f"mock faults not changed: {r.json().get('detail', r.text)}")
                return
            self.sigFaults.emit(r.json())

        threading.Thread(target=put, daemon=True).start()
