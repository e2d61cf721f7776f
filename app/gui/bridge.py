"""The one QObject between the engine and the widgets.

Widgets never hold the engine: they start, stop and steer runs through this bridge
(`submit`, `stop`, `send_action`, `pause`) and listen to its `sig*` signals. A timer
drains the engine's batched events and hands each run's batch to whoever listens,
then asks views to redraw. When the engine had to drop events because the GUI did not
drain in time (its `overflowed` counter), `sigDropped` says how many, so a view never
shows a partial run as if it were whole.

`start=False` spawns the engine later: at `start_engine()` (the GUI calls it after the
window's first paint) or at the first control that needs it. `sigReady` says when the
engine took its first command.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.config import RunConfig
from app.core.engine.gc_tuning import freeze_startup
from app.core.engine.process import EngineProcess
from app.core.engine.thread import EngineThread
from app.core.events import Event, RunFinished

REDRAW_HZ = 30


class EngineBridge(QObject):
    sigBatch = Signal(int, list)  # run id, events (in order)
    sigRedraw = Signal()  # after each drain: views redraw now, never per message
    sigDropped = Signal(int)  # events the engine dropped so far, each time that grows
    sigReady = Signal()  # once: the engine is up

    def __init__(
        self,
        parent: QObject | None = None,
        hz: int = REDRAW_HZ,
        *,
        in_process: bool = False,
        start: bool = True,
    ) -> None:
        """The engine runs in a child process (see app.core.engine.process for why);
        `in_process=True` keeps it on a thread of this process instead. `start=False`:
        not before `start_engine()` or the first control."""
        super().__init__(parent)
        self._in_process = in_process
        self._engine: EngineThread | EngineProcess | None = None
        self._ready = False
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, round(1000 / hz)))
        self.timer.timeout.connect(self.drain)
        self.timer.start()
        self.redraws = 0
        self.dropped = 0  # the engine's `overflowed` as last reported
        self.closed = False  # after close(), controls are ignored (a closing window's keys)
        self.running: set[int] = set()  # runs submitted whose RunFinished did not come yet
        self._gc_quiet = False
        if start:
            self.start_engine()

    # -- the engine ----------------------------------------------------------------
    def start_engine(self) -> None:
        """Spawn the engine (once) without waiting for it: `sigReady` says when it is up."""
        if self._engine is None and not self.closed:
            self._engine = self._spawn()

    @property
    def engine(self) -> EngineThread | EngineProcess:
        """The bridge's alone: widgets call the methods below (tests may look inside).
        Started here if it was not yet."""
        if self._engine is None:
            self._engine = self._spawn()
        return self._engine

    def _spawn(self) -> EngineThread | EngineProcess:
        return EngineThread() if self._in_process else EngineProcess(wait=False)

    @property
    def started(self) -> bool:
        return self._engine is not None

    # -- controls ------------------------------------------------------------------
    def submit(self, config: RunConfig) -> int:
        """Start a run; its events come back through `sigBatch` under the returned id."""
        if self.closed:
            raise RuntimeError("the engine is closed")
        if not self._gc_quiet:
            # what start-up built (Qt, pyqtgraph, the window) frozen, so no full collection
            # walks it mid-run (app.core.engine.gc_tuning). Not collected first: profiled,
            # a full collection of this heap took ~2 s on a loaded machine before the run
            self._gc_quiet = True
            freeze_startup(collect=False)
        run_id = self.engine.submit(config)
        self.running.add(run_id)
        return run_id

    def stop(self, run_id: int) -> None:
        if not self.closed:
            self.engine.stop(run_id)

    def send_action(self, run_id: int, action: str) -> None:
        """Send a WebRTC action ("w u") to a running run; a failure arrives as the run's
        ErrorEvent, never as an exception here."""
        if self.closed:
            return
        with contextlib.suppress(RuntimeError):  # the engine is shutting down
            self.engine.send_action(run_id, action)

    def pause(self, run_id: int, paused: bool) -> None:
        """Pause (True) or resume a WebRTC run's generated video; failures as ErrorEvents."""
        if self.closed:
            return
        with contextlib.suppress(RuntimeError):
            self.engine.pause(run_id, paused)

    def act(self, run_id: int, what: str, value: object) -> None:
        """Any other control (`"network", "4g"`; wma: `"prompt", text` / `"reset", None`);
        failures arrive as ErrorEvents."""
        if not self.closed:
            with contextlib.suppress(RuntimeError):
                self.engine.act(run_id, what, value)

    # -- events --------------------------------------------------------------------
    def drain(self) -> None:
        if self._engine is None:
            return
        batch = self._engine.drain()
        if not self._ready and self._engine.ready:
            self._ready = True
            self.sigReady.emit()
        if batch:
            per_run: dict[int, list[Event]] = defaultdict(list)
            for run_id, event in batch:
                per_run[run_id].append(event)
                if isinstance(event, RunFinished):
                    self.running.discard(run_id)
            for run_id, events in per_run.items():
                self.sigBatch.emit(run_id, events)
        overflowed = self._engine.overflowed
        if overflowed > self.dropped:
            self.dropped = overflowed
            self.sigDropped.emit(overflowed)
        self.redraws += 1
        self.sigRedraw.emit()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.timer.stop()
        if self._engine is not None:
            self._engine.close()
