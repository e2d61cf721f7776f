"""One connection: what to hit and how (form), the traffic controls, live counters,
plots and the message inspector. It asks the bridge to run; it never opens sockets.

WebRTC connections also get a video source row (synthetic / file / webcam, size, fps,
data channel) and a Video tab (`VideoPane`): thumbnails of the sent and returned video
and, for generated video, the keyboard as the controller.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import inputs
from app.core.engine.config import RunConfig, WebRtcParams
from app.core.errors import ProbeError, TargetError
from app.core.events import Event, Message, VideoFrame
from app.core.live import MAX_CSV_ROWS, LiveRun
from app.core.report.html import write_html
from app.core.report.jsonfile import write_json
from app.core.sessionfile import ConnectionSpec
from app.core.targets import resolve
from app.core.transports.wsbase import Credentials, WsOptions
from app.gui.bridge import EngineBridge
from app.gui.counters import counter_texts
from app.gui.inspector import MessageInspector
from app.gui.plots import LivePlots
from app.gui.video_pane import VideoPane

EXAMPLES: dict[str, tuple[str, str]] = {
    "realtime": ("mock/echo", '{"prompt": "hello", "n": 1}'),
    "ws": ("mock/echo/ws", '{"hello": "websocket"}'),
    "sse": (
        "mock/diffusion",
        '{"prompt": "a cat", "steps": 8, "step_ms": 20, "width": 64, "height": 64}',
    ),
    "webrtc": ("mock/yolo/webrtc", "{}"),
}
FOREVER_S = 24 * 3600.0
VIDEO_SIZES = ("320x240", "640x480", "1280x720")
GENERATED_TIP = "the server generates this video: nothing is sent"


def cameras() -> list[str]:
    """Camera devices worth offering: the /dev/video* nodes on Linux; elsewhere the
    platform default (it cannot be probed without opening it)."""
    if sys.platform.startswith("linux"):
        return [str(p) for p in sorted(Path("/dev").glob("video[0-9]*"))]
    return [""]


@dataclass
class ConnectionSettings:
    """What the form holds; saved in session files (never a key)."""

    transport: str = "realtime"
    target: str = "mock/echo"
    payload: str = EXAMPLES["realtime"][1]
    payload_format: str = "json"
    max_buffering: int = 0  # 0: not sent
    headers: str = ""  # "Name: value; Name2: value"
    rate: float = 0.0  # messages/s; 0: closed loop
    concurrency: int = 1
    duration_s: float = 10.0
    timeout_s: float = 10.0
    use_jwt: bool = True
    # webrtc only
    video_source: str = "synthetic"  # synthetic | file:PATH | camera[:DEVICE]
    video_size: str = "640x480"
    video_fps: float = 30.0
    data_channel: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def to_spec(s: ConnectionSettings) -> ConnectionSpec:
    """The form as a session-file entry (secret header values are dropped on save)."""
    try:
        headers = parse_headers(s.headers)
    except TargetError:
        headers = {}
    return ConnectionSpec(
        name=f"{s.transport} {s.target}",
        transport=s.transport,
        target=s.target,
        payload=s.payload,
        payload_format=s.payload_format,
        max_buffering=s.max_buffering,
        headers=headers,
        rate=s.rate,
        duration=s.duration_s,
        concurrency=s.concurrency,
        timeout=s.timeout_s,
        use_jwt=s.use_jwt,
        video_source=s.video_source,
        video_size=s.video_size,
        video_fps=s.video_fps,
        data_channel=s.data_channel,
    )


def from_spec(spec: ConnectionSpec) -> ConnectionSettings:
    return ConnectionSettings(
        transport=spec.transport,
        target=spec.target,
        payload=spec.payload,
        payload_format=spec.payload_format if spec.payload_format != "bytes" else "json",
        max_buffering=spec.max_buffering,
        headers="; ".join(f"{k}: {v}" for k, v in spec.headers.items()),
        rate=spec.rate,
        concurrency=spec.concurrency,
        duration_s=spec.duration if spec.duration else 10.0,
        timeout_s=spec.timeout,
        use_jwt=spec.use_jwt,
        video_source=spec.video_source,
        video_size=spec.video_size,
        video_fps=spec.video_fps,
        data_channel=spec.data_channel,
    )


def parse_headers(text: str) -> dict[str, str]:
    """The form's one-line `Name: value; Other: value`."""
    return inputs.parse_headers(text.replace("\n", ";").split(";"))


def parse_payload(text: str, fmt: str) -> Any:
    return inputs.parse_payload(text, fmt)


def webrtc_params(s: ConnectionSettings) -> WebRtcParams:
    """The form's video settings, with previews on (the Video tab shows them)."""
    w, h = inputs.parse_size(s.video_size)
    return WebRtcParams(
        source=s.video_source,
        width=w,
        height=h,
        fps=s.video_fps,
        data_channel=s.data_channel,
        video_preview=True,
    )


def build_config(
    s: ConnectionSettings,
    *,
    mock_base: str | None,
    key: str | None,
    count: int | None,
    duration_s: float | None,
    record: bool = True,
) -> RunConfig:
    """The run a form asks for. `mock/…` app ids go to the embedded mock."""
    base = mock_base if s.target.startswith("mock/") else None
    if s.target.startswith("mock/") and mock_base is None:
        raise TargetError("mock/… targets need the embedded mock server: start it in the toolbar")
    target = resolve(s.transport, s.target, base_url=base)
    ws = WsOptions(
        credentials=Credentials(key=key, use_jwt=s.use_jwt),
        max_buffering=s.max_buffering or None,
        headers=parse_headers(s.headers),
        open_timeout_s=max(1.0, s.timeout_s),
    )
    return RunConfig(
        target=target,
        payload=parse_payload(s.payload, s.payload_format),
        count=count,
        duration_s=duration_s,
        rate=s.rate or None,
        concurrency=s.concurrency,
        timeout_s=s.timeout_s,
        ws=ws,
        ws_format=s.payload_format,  # type: ignore[arg-type]
        record_messages=record,
        webrtc=webrtc_params(s) if s.transport == "webrtc" else WebRtcParams(),
    )


class ConnectionPanel(QFrame):
    sigStatus = Signal(str)  # one-line messages for the status bar
    sigCloseRequested = Signal(object)

    def __init__(
        self,
        bridge: EngineBridge,
        settings: ConnectionSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.mock_base: str | None = None
        self.key_provider = lambda: None  # set by the window: FAL_KEY or the keyring
        self.run_id: int | None = None
        self.live: LiveRun | None = None
        self._webrtc_run = False  # the current run shows video
        self._dirty = False
        self._ticks = 0
        self._pending_messages: list[Message] = []
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._build()
        self.set_settings(settings or ConnectionSettings())
        bridge.sigBatch.connect(self._on_batch)
        bridge.sigRedraw.connect(self._on_redraw)

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(3)
        title = QHBoxLayout()
        self.title = QLabel("connection")
        self.title.setStyleSheet("font-weight: bold")
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Close this connection")
        close.clicked.connect(lambda: self.sigCloseRequested.emit(self))
        title.addWidget(self.title, 1)
        title.addWidget(close)
        outer.addLayout(title)

        form = QFormLayout()
        form.setVerticalSpacing(2)
        self.transport = QComboBox()
        self.transport.addItems(["realtime", "ws", "sse", "webrtc"])
        self.transport.currentTextChanged.connect(self._transport_changed)
        self.target = QLineEdit()
        self.target.setPlaceholderText("fal app id (owner/alias[/path]) or ws:// / http:// URL")
        self.target.textChanged.connect(self._update_title)
        self.payload = QPlainTextEdit()
        self.payload.setFont(QFont("monospace"))
        self.payload.setMaximumHeight(44)
        self.payload.textChanged.connect(self._validate)
        self.payload_error = QLabel("")
        self.payload_error.setStyleSheet("color: #D55E00")
        self.payload_format = QComboBox()
        self.payload_format.addItems(["json", "msgpack", "text"])
        self.payload_format.currentTextChanged.connect(self._validate)
        self.max_buffering = QSpinBox()
        self.max_buffering.setRange(0, 60)
        self.max_buffering.setSpecialValueText("off")
        self.headers = QLineEdit()
        self.headers.setPlaceholderText("Name: value; Other: value")
        row = QHBoxLayout()
        row.addWidget(self.transport)
        row.addWidget(QLabel("format"))
        row.addWidget(self.payload_format)
        row.addWidget(QLabel("max_buffering"))
        row.addWidget(self.max_buffering)
        self.load_payload = QPushButton("Load…")
        self.load_payload.setToolTip("Read the payload from a file (JSON or text)")
        self.load_payload.clicked.connect(self._load_payload_dialog)
        row.addWidget(self.load_payload)
        form.addRow("transport", row)
        form.addRow("target", self.target)
        form.addRow("payload", self.payload)
        form.addRow("", self.payload_error)
        form.addRow("headers", self.headers)
        self.form = form
        self._build_webrtc_row(form)
        outer.addLayout(form)

        controls = QHBoxLayout()
        self.send_once = QPushButton("Send once")
        self.send_once.clicked.connect(lambda: self.start(count=1))
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0, 100_000)
        self.rate.setDecimals(1)
        self.rate.setSuffix(" msg/s")
        self.rate.setSpecialValueText("closed loop")
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 1000)
        self.concurrency.setPrefix("× ")
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Send until stopped (Ctrl+Return)")
        self.start_button.clicked.connect(lambda: self.start())
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.1, FOREVER_S)
        self.duration.setSuffix(" s")
        self.timed = QPushButton("Timed test")
        self.timed.clicked.connect(lambda: self.start(duration_s=self.duration.value()))
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        for w in (
            self.send_once,
            self.rate,
            self.concurrency,
            self.start_button,
            self.duration,
            self.timed,
            self.stop_button,
            self.clear_button,
        ):
            controls.addWidget(w)
        outer.addLayout(controls)

        self.counters = QGridLayout()
        self.counters.setVerticalSpacing(0)
        self.counter_labels: dict[str, QLabel] = {}
        names = [
            "state",
            "sent",
            "received",
            "errors",
            "dropped",
            "timeouts",
            "p50",
            "p99",
            "p99.9",
            "rate",
            "fps in/out",
        ]
        for i, name in enumerate(names):
            head = QLabel(name)
            head.setStyleSheet("color: #666")
            value = QLabel("–")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.counters.addWidget(head, 0, i)
            self.counters.addWidget(value, 1, i)
            self.counter_labels[name] = value
        outer.addLayout(self.counters)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #D55E00")
        self.error.setWordWrap(True)
        outer.addWidget(self.error)

        # plots, video and the message log as tabs: four connections in a 2 x 2 grid
        # still fit a 1080p screen, and the counters above stay in sight on every tab
        self.plots = LivePlots()
        self.video = VideoPane()
        self.video.sigAction.connect(self._send_action)
        self.video.sigPause.connect(self._send_pause)
        self.inspector = MessageInspector()
        self.views = QTabWidget()
        self.views.addTab(self.plots, "Plots")
        self.views.addTab(self.video, "Video")
        self.views.addTab(self.inspector, "Messages")
        self.views.setTabVisible(1, False)
        outer.addWidget(self.views, 1)

    def _build_webrtc_row(self, form: QFormLayout) -> None:
        self.video_source = QComboBox()
        self.video_source.addItem("synthetic pattern", "synthetic")
        self.video_source.addItem("video file…", "file:")
        devices = cameras()
        for device in devices:
            self.video_source.addItem(f"webcam {device}".strip(), f"camera:{device}".rstrip(":"))
        if not devices:
            self.video_source.addItem("webcam (none found)", "")
            self.video_source.model().item(self.video_source.count() - 1).setEnabled(False)  # type: ignore[attr-defined]
        self.video_source.activated.connect(self._source_picked)
        self._source_index = 0
        self.video_size = QComboBox()
        self.video_size.addItems(VIDEO_SIZES)
        self.video_fps = QDoubleSpinBox()
        self.video_fps.setRange(1, 60)
        self.video_fps.setDecimals(0)
        self.video_fps.setSuffix(" fps")
        self.data_channel = QCheckBox("data channel")
        self.data_channel.setProperty(
            "tip", "Open a data channel (yolo-style detections come back on it)"
        )
        row = QHBoxLayout()
        row.addWidget(self.video_source, 1)
        row.addWidget(QLabel("size"))
        row.addWidget(self.video_size)
        row.addWidget(self.video_fps)
        row.addWidget(self.data_channel)
        form.addRow("video", row)
        self.video_row = row

    def _source_picked(self, index: int) -> None:
        """'video file…' asks for the file; cancelling keeps the previous source."""
        if self.video_source.itemData(index) == "file:":
            path, _ = QFileDialog.getOpenFileName(
                self, "Video file to send", "", "Video (*.mp4 *.mkv *.webm *.mov *.avi);;All (*)"
            )
            if not path:
                self.video_source.setCurrentIndex(self._source_index)
                return
            self.set_video_source(f"file:{path}")
            return
        self._source_index = index

    def set_video_source(self, spec: str) -> None:
        """Select `spec` (synthetic, file:PATH, camera[:DEV]), adding a file or device entry."""
        index = self.video_source.findData(spec)
        if index < 0:
            kind, _, arg = spec.partition(":")
            label = f"file: {Path(arg).name}" if kind == "file" else spec
            index = (
                self.video_source.findData("file:") if kind == "file" else self.video_source.count()
            )
            self.video_source.insertItem(index, label, spec)
            self.video_source.setItemData(index, arg, Qt.ItemDataRole.ToolTipRole)
        self.video_source.setCurrentIndex(index)
        self._source_index = index

    # -- settings ------------------------------------------------------------------
    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(
            transport=self.transport.currentText(),
            target=self.target.text().strip(),
            payload=self.payload.toPlainText(),
            payload_format=self.payload_format.currentText(),
            max_buffering=self.max_buffering.value(),
            headers=self.headers.text(),
            rate=self.rate.value(),
            concurrency=self.concurrency.value(),
            duration_s=self.duration.value(),
            video_source=self.video_source.currentData() or "synthetic",
            video_size=self.video_size.currentText(),
            video_fps=self.video_fps.value(),
            data_channel=self.data_channel.isChecked(),
        )

    def set_settings(self, s: ConnectionSettings) -> None:
        self.transport.blockSignals(True)
        self.transport.setCurrentText(s.transport)
        self.transport.blockSignals(False)
        self.target.setText(s.target)
        self.payload.setPlainText(s.payload)
        self.payload_format.setCurrentText(s.payload_format)
        self.max_buffering.setValue(s.max_buffering)
        self.headers.setText(s.headers)
        self.rate.setValue(s.rate)
        self.concurrency.setValue(s.concurrency)
        self.duration.setValue(s.duration_s)
        self.set_video_source(s.video_source)
        self.video_size.setCurrentText(s.video_size)
        self.video_fps.setValue(s.video_fps)
        self.data_channel.setChecked(s.data_channel)
        self._show_transport(s.transport)
        self._update_title()
        self._validate()

    def _transport_changed(self, transport: str) -> None:
        target, payload = EXAMPLES[transport]
        if not self.target.text() or self.target.text().startswith("mock/"):
            self.target.setText(target)
            self.payload.setPlainText(payload)
        self._show_transport(transport)

    def _show_transport(self, transport: str) -> None:
        """Only the fields this transport uses; WebRTC swaps payload for video."""
        webrtc = transport == "webrtc"
        self.payload_format.setEnabled(transport == "ws")
        self.max_buffering.setEnabled(transport in ("realtime", "ws"))
        self.rate.setEnabled(not webrtc)  # the source's fps sets the pace
        for field_ in (self.payload, self.payload_error):
            self.form.setRowVisible(field_, not webrtc)
        self.form.setRowVisible(self.video_row, webrtc)
        self.views.setTabVisible(self.views.indexOf(self.video), webrtc)
        self.views.setCurrentWidget(self.video if webrtc else self.plots)

    def _load_payload_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Payload file", "", "JSON or text (*)")
        if path:
            self.load_payload_file(path)

    def load_payload_file(self, path: str | Path) -> bool:
        """Put a file's text in the payload editor (validated as typed text is)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            self.show_error(f"cannot read payload file {str(path)!r}: {reason}")
            return False
        self.payload.setPlainText(text)
        return True

    def _update_title(self) -> None:
        self.title.setText(f"{self.transport.currentText()} · {self.target.text() or '…'}")
        # world models generate the video (the engine's default_mode): nothing to send
        generated = any(w in self.target.text().lower() for w in ("world", "matrix"))
        for w in (self.video_source, self.video_size, self.video_fps, self.data_channel):
            w.setEnabled(not generated)
            w.setToolTip(GENERATED_TIP if generated else w.property("tip") or "")

    def _validate(self) -> bool:
        try:
            parse_payload(self.payload.toPlainText(), self.payload_format.currentText())
        except TargetError as exc:
            self.payload_error.setText(str(exc))
            ok = False
        else:
            self.payload_error.setText("")
            ok = True
        for button in (self.send_once, self.start_button, self.timed):
            button.setEnabled(ok)
        return ok

    # -- running -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.run_id is not None and self.live is not None and not self.live.finished

    def start(self, count: int | None = None, duration_s: float | None = None) -> bool:
        """Start a run from the form; False (and a shown error) when the form is wrong."""
        if count is None and duration_s is None:
            duration_s = FOREVER_S  # until Stop
        settings = self.settings()
        try:
            config = build_config(
                settings,
                mock_base=self.mock_base,
                key=self.key_provider(),
                count=count,
                duration_s=None if count else duration_s,
            )
        except ProbeError as exc:
            self.show_error(str(exc))
            return False
        self.stop()
        self.clear()
        if self.live is not None:
            self.live.close()
        self.live = LiveRun(config.transport, config.target.display)
        self._webrtc_run = config.transport == "webrtc"
        self.video.reset()
        self.run_id = self.bridge.submit(config)
        self.video.running = self._webrtc_run
        self.sigStatus.emit(f"{config.transport} {config.target.display}: started")
        return True

    def stop(self) -> None:
        if self.run_id is not None:
            self.bridge.stop(self.run_id)

    def clear(self) -> None:
        self._pending_messages = []
        self.plots.clear_data()
        self.video.clear()
        self.inspector.clear()
        self.error.setText("")
        if self.live is not None and self.live.finished:
            self.live.close()
            self.live = None
            self.run_id = None
        for label in self.counter_labels.values():
            label.setText("–")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.sigStatus.emit(message)

    def _on_batch(self, run_id: int, events: list[Event]) -> None:
        if run_id != self.run_id or self.live is None:
            return
        before = self.live.last_error
        if self._webrtc_run:
            self.video.feed(events)
            events = [e for e in events if not isinstance(e, VideoFrame)]  # pixels, no figures
        messages = self.live.feed_many(events)
        if messages:
            self._pending_messages.extend(messages)
        if self.live.last_error != before:
            self.show_error(self.live.last_error)
        if self.live.finished:
            self.video.running = False
            self.sigStatus.emit(f"{self.live.aggregator.transport}: run finished")
        self._dirty = True

    def _send_action(self, action: str) -> None:
        """The video pane's keys; the engine reports failures as ErrorEvents of the run."""
        if self.running and self.run_id is not None:
            with contextlib.suppress(RuntimeError):  # the engine is shutting down
                self.bridge.engine.send_action(self.run_id, action)

    def _send_pause(self, paused: bool) -> None:
        if self.running and self.run_id is not None:
            with contextlib.suppress(RuntimeError):
                self.bridge.engine.pause(self.run_id, paused)

    def _on_redraw(self) -> None:
        """Plots follow every redraw tick; the log and the counters, which people read
        rather than watch, every third (10 Hz): they cost the GUI thread more than plots."""
        if not self._dirty or self.live is None:
            return
        self._ticks += 1
        slow_tick = self._ticks % 3 == 0 or self.live.finished
        self._dirty = not slow_tick  # keep ticking until the slow parts caught up
        self.plots.redraw(self.live)
        if not slow_tick:
            return
        if self._pending_messages:
            self.inspector.add_messages(self._pending_messages)
            self._pending_messages = []
        s = self.live.summary()
        values = counter_texts(s, "finished" if self.live.finished else self.live.state)
        for name, text in values.items():
            self.counter_labels[name].setText(text)
        if self._webrtc_run:
            self.video.redraw(s)

    def export_report(self, path: Path) -> None:
        """The same reports as `rtprobe run`: by extension .json, .csv or .html."""
        if self.live is None:
            raise TargetError("nothing to export: run this connection first")
        suffix = path.suffix.lower()
        if suffix == ".json":
            write_json(path, self.live.summary())
        elif suffix == ".html":
            write_html(path, self.live.summary(), self.live.timeline)
        elif suffix == ".csv":
            self.live.export_csv(path)
            if self.live.csv_truncated:
                self.show_error(f"CSV holds the first {MAX_CSV_ROWS:,} samples of this run only")
        else:
            raise TargetError(f"unknown report type {suffix!r}: use .json, .csv or .html")

    def close_down(self) -> None:
        self.video.running = False  # no more actions, not even "release" on focus loss
        self.stop()
        if self.live is not None:
            self.live.close()  # its temporary CSV goes too
        self.bridge.sigBatch.disconnect(self._on_batch)
        self.bridge.sigRedraw.disconnect(self._on_redraw)
