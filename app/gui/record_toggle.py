"""The *Record* toggle of a connection: checked, it asks for a HAR file, and every run
of that connection from then on is recorded there (every frame both ways with its time,
`app.core.record`), written when the run ends; the status bar says where, or why not.

The GUI's runs already carry every frame (the inspector shows them), so recording costs
the engine nothing: the recorder folds the same event batches the panel gets, on the
GUI thread, and writes once at the end. Events the engine process had to drop on the
way to the GUI (a full pipe, shown as "events never delivered") are missing from the
recording too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QPushButton

from app import __version__
from app.core.engine.build import key_from_env
from app.core.events import Event, RunFinished
from app.core.record.recorder import Recorder
from app.core.redact import Redactor
from app.gui.file_dialogs import save_file

if TYPE_CHECKING:
    from app.gui.connection_panel import ConnectionPanel

HAR_FILTER = "HAR recordings (*.har);;All files (*)"


class RecordToggle(QPushButton):
    """A checkable *Record* button for one connection panel."""

    def __init__(self, panel: ConnectionPanel) -> None:
        super().__init__("Record")
        self.panel = panel
        self.setCheckable(True)
        self.setToolTip("Record this connection's runs (every frame, as HAR) to a file")
        self.path: str | None = None
        self.recorder: Recorder | None = None
        self._run_id: int | None = None
        self._writes_to: str | None = None
        # what asks for the file; tests swap it for one that answers at once
        self.choose: Callable[[], str] = self._ask
        self.toggled.connect(self._toggled)
        panel.bridge.sigBatch.connect(self._on_batch)

    def _ask(self) -> str:
        name = f"{self.panel.settings().transport}-recording.har"
        return save_file(self, QSettings("rtprobe", "rtprobe"), "Record to", name, HAR_FILTER)

    def _toggled(self, on: bool) -> None:
        if not on:
            self.path = None
            self.setToolTip("Record this connection's runs (every frame, as HAR) to a file")
            return
        path = self.choose()
        if not path:
            self.blockSignals(True)
            self.setChecked(False)
            self.blockSignals(False)
            return
        self.path = path
        self.setToolTip(f"Recording the next runs to {path}")
        self.panel.sigStatus.emit(f"the next runs of this connection are recorded to {path}")

    def _on_batch(self, run_id: int, events: list[Event]) -> None:
        if run_id != self.panel.run_id:
            return
        if run_id != self._run_id:  # a new run: record it when the toggle is on now
            self._run_id = run_id
            config = self.panel.last_config
            self.recorder = None
            if self.path and config is not None:
                self.recorder = Recorder(config, __version__)
                self._writes_to = self.path
        recorder = self.recorder
        if recorder is None:
            return
        for event in events:
            recorder.feed(event)
            if isinstance(event, RunFinished):
                self._write(recorder)
                self.recorder = None
                return

    def _write(self, recorder: Recorder) -> None:
        path = self._writes_to or ""
        cfg = recorder.config
        masks = Redactor.for_run(cfg.credentials.key, cfg.headers)
        try:
            recorder.write(path, masks, Redactor([key_from_env()]))
        except OSError as exc:
            self.panel.show_error(f"cannot write the recording {path!r}: {exc.strerror or exc}")
            return
        frames = recorder.frame_count()
        line = f"recorded {frames} frames to {path}"
        # after the panel's own line on the run's end, which this batch also brings
        QTimer.singleShot(0, self, lambda: self.panel.sigStatus.emit(line))
