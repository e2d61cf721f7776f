"""The one QObject between the engine thread and the widgets: drains batched events on
a timer and hands each run's batch to whoever listens, then asks views to redraw."""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.engine.config import RunConfig
from app.core.engine.process import EngineProcess
from app.core.engine.thread import EngineThread
from app.core.events import Event

REDRAW_HZ = 30


class EngineBridge(QObject):
    sigBatch = Signal(int, list)  # run id, events (in order)
    sigRedraw = Signal()  # after each drain: views redraw now, never per message

    def __init__(
        self, parent: QObject | None = None, hz: int = REDRAW_HZ, *, in_process: bool = False
    ) -> None:
        """The engine runs in a child process (see app.core.engine.process for why);
        `in_process=True` keeps it on a thread of this process instead."""
        super().__init__(parent)
        self.engine: EngineThread | EngineProcess = (
            EngineThread() if in_process else EngineProcess()
        )
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, round(1000 / hz)))
        self.timer.timeout.connect(self.drain)
        self.timer.start()
        self.redraws = 0

    def submit(self, config: RunConfig) -> int:
        return self.engine.submit(config)

    def stop(self, run_id: int) -> None:
        self.engine.stop(run_id)

    def drain(self) -> None:
        batch = self.engine.drain()
        if batch:
            per_run: dict[int, list[Event]] = defaultdict(list)
            for run_id, event in batch:
                per_run[run_id].append(event)
            for run_id, events in per_run.items():
                self.sigBatch.emit(run_id, events)
        self.redraws += 1
        self.sigRedraw.emit()

    def close(self) -> None:
        self.timer.stop()
        self.engine.close()
