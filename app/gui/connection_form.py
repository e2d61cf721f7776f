"""The form of one connection: what to hit and with what (transport, target, payload,
format, max_buffering, headers and, for WebRTC, the video source row).

It shows only the fields the chosen transport uses, checks the payload as it is typed
(the builder's own check, so the form refuses what a run would refuse), and gives its
values as `ConnectionSettings`. The traffic controls (rate, concurrency, duration) and
the buttons belong to the panel that composes this form.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.assets import asset_path
from app.core.discovery.describe import Usage
from app.core.errors import TargetError
from app.core.network.profile import PRESETS, describe
from app.core.sessions import registry
from app.gui.connection_settings import EXAMPLES, ConnectionSettings, check_payload
from app.gui.route_picker import RoutePicker

VIDEO_SIZES = ("320x240", "640x480", "1280x720")
SAMPLE_LABEL = "sample video (bundled)"
GENERATED_TIP = "the server generates this video: nothing is sent"


def network_of(text: str) -> str:
    """The network combo's text as a setting ("none": clean, saved as "")."""
    text = text.strip()
    return "" if text.lower() == "none" else text


def schedule_of(text: str) -> tuple[str, ...]:
    """The changes field's `5s:3g; 12s:mock:none` as `--network-at` items (profiles
    hold commas, so items are separated by ';')."""
    return tuple(item.strip() for item in text.split(";") if item.strip())


def schedule_text(items: tuple[str, ...] | list[str]) -> str:
    return "; ".join(items)


def sample_video() -> Path:
    """The sample video shipped with rtprobe (it may be missing from a bare checkout)."""
    return asset_path("sample.mp4")


def cameras() -> list[str]:
    """Camera devices worth offering: the /dev/video* nodes on Linux; elsewhere the
    platform default (it cannot be probed without opening it)."""
    if sys.platform.startswith("linux"):
        return [str(p) for p in sorted(Path("/dev").glob("video[0-9]*"))]
    return [""]


class ConnectionForm(QWidget):
    sigValid = Signal(bool)  # the payload can (not) be sent as typed
    sigTransportShown = Signal(str)  # the form now shows this transport's fields
    sigTitle = Signal(str)  # "transport · target", for the panel's title
    sigError = Signal(str)  # a problem that is not the payload's (a file cannot be read)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.valid = True
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(2)
        self.transport = QComboBox()
        self.transport.addItems(list(registry.TRANSPORTS))
        self.transport.currentTextChanged.connect(self._transport_changed)
        self.target = QLineEdit()
        self.target.setPlaceholderText("fal app id (owner/alias[/path]) or ws:// / http:// URL")
        self.target.textChanged.connect(self._update_title)
        self.payload = QPlainTextEdit()
        self.payload.setFont(QFont("monospace"))
        self.payload.setMaximumHeight(44)
        self.payload.textChanged.connect(self.validate)
        self.payload_error = QLabel("")
        self.payload_error.setStyleSheet("color: #D55E00")
        self.payload_format = QComboBox()
        self.payload_format.addItems(["json", "msgpack", "text"])
        self.payload_format.currentTextChanged.connect(self.validate)
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
        # beside it, the app's routes from its openapi.json (app.gui.route_picker)
        self.route_picker = RoutePicker()
        self.target.textChanged.connect(self.route_picker.follow)
        self.target.textEdited.connect(self.route_picker.watch)
        self.route_picker.sigRoutePicked.connect(self._apply_route)
        self.route_picker.sigSchemaChanged.connect(self.validate)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 3)
        target_row.addWidget(self.route_picker, 2)
        form.addRow("target", target_row)
        form.addRow("payload", self.payload)
        form.addRow("", self.payload_error)
        form.addRow("headers", self.headers)
        self.form = form
        self._build_network_row(form)
        self._build_webrtc_row(form)

    def _build_network_row(self, form: QFormLayout) -> None:
        """The run's network from its start (a preset, or a profile typed in) and, for
        WebRTC, changes at set times (`--network-at`); both saved in session files."""
        self.network = QComboBox()
        self.network.setEditable(True)
        self.network.addItems(list(PRESETS))
        for i, profile in enumerate(PRESETS.values()):
            self.network.setItemData(i, describe(profile), Qt.ItemDataRole.ToolTipRole)
        self.network.setToolTip(
            "Network from the start of the run: a preset or a profile such as "
            "delay=100,jitter=20,loss=2%,rate=1000 (WebRTC: its packets; realtime, ws, "
            "SSE: the rtprobe mock's toxics). docs/network.md"
        )
        self.network_at = QLineEdit()
        self.network_at.setPlaceholderText("changes: 5s:3g; 12s:mock:none")
        self.network_at.setToolTip(
            "WebRTC: network changes at set times from the session's start, as "
            "--network-at takes them, separated by ';': TIME:PROFILE (the client's "
            "packets) or TIME:mock:PROFILE (the mock's side of the session)"
        )
        row = QHBoxLayout()
        row.addWidget(self.network, 1)
        row.addWidget(self.network_at, 2)
        form.addRow("network", row)
        self.network_row = row

    def _build_webrtc_row(self, form: QFormLayout) -> None:
        self.video_source = QComboBox()
        self.video_source.addItem("synthetic pattern", "synthetic")
        self._add_sample_video()
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
        self.record_pixels = QCheckBox("pixels")
        self.record_pixels.setToolTip(
            "With Record: keep pictures of each session's first 900 received frames too "
            "(160 px wide JPEGs), which `rtprobe mock --from` sends again"
        )
        row = QHBoxLayout()
        row.addWidget(self.video_source, 1)
        row.addWidget(QLabel("size"))
        row.addWidget(self.video_size)
        row.addWidget(self.video_fps)
        row.addWidget(self.data_channel)
        row.addWidget(self.record_pixels)
        form.addRow("video", row)
        self.video_row = row
        self.jitter_release = QComboBox()
        self.jitter_release.addItem("on the marker bit, as browsers do", "marker")
        self.jitter_release.addItem("when the next frame begins (aiortc, +1 frame)", "next-frame")
        self.jitter_release.setToolTip(
            "When a received video frame leaves the jitter buffer (--jitter-release)"
        )
        form.addRow("frame release", self.jitter_release)

    def _add_sample_video(self) -> None:
        """The bundled sample (assets/sample.mp4, in the PyInstaller bundle too), as a
        file source; greyed out, saying so, when this install lacks it."""
        path = sample_video()
        if path.is_file():
            self.video_source.addItem(SAMPLE_LABEL, f"file:{path}")
            self.video_source.setItemData(
                self.video_source.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole
            )
            return
        self.video_source.addItem(f"{SAMPLE_LABEL}: not found", "")
        last = self.video_source.count() - 1
        self.video_source.model().item(last).setEnabled(False)  # type: ignore[attr-defined]  # a QStandardItemModel
        self.video_source.setItemData(last, f"{path} is missing", Qt.ItemDataRole.ToolTipRole)

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
    def settings(self, base: ConnectionSettings | None = None) -> ConnectionSettings:
        """The form's fields over `base` (which carries what the form does not show)."""
        return replace(
            base or ConnectionSettings(),
            transport=self.transport.currentText(),
            target=self.target.text().strip(),
            payload=self.payload.toPlainText(),
            payload_format=self.payload_format.currentText(),
            max_buffering=self.max_buffering.value(),
            headers=self.headers.text(),
            video_source=self.video_source.currentData() or "synthetic",
            video_size=self.video_size.currentText(),
            video_fps=self.video_fps.value(),
            data_channel=self.data_channel.isChecked(),
            record_pixels=self.record_pixels.isChecked(),
            jitter_release=self.jitter_release.currentData() or "marker",
            network=network_of(self.network.currentText()),
            network_at=schedule_of(self.network_at.text()),
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
        self.set_video_source(s.video_source)
        self.video_size.setCurrentText(s.video_size)
        self.video_fps.setValue(s.video_fps)
        self.data_channel.setChecked(s.data_channel)
        self.record_pixels.setChecked(s.record_pixels)
        self.jitter_release.setCurrentIndex(max(0, self.jitter_release.findData(s.jitter_release)))
        self.network.setCurrentText(s.network.strip() or "none")
        self.network_at.setText(schedule_text(s.network_at))
        self._show_transport(s.transport)
        self._update_title()
        self.validate()

    def _transport_changed(self, transport: str) -> None:
        target, payload = EXAMPLES[transport]
        if not self.target.text() or self.target.text().startswith("mock/"):
            self.target.setText(target)
            self.payload.setPlainText(payload)
        self._show_transport(transport)
        self.validate()  # a payload fine for raw ws may not be for realtime

    def _show_transport(self, transport: str) -> None:
        """Only the fields this transport uses; WebRTC swaps payload for video."""
        facts = registry.transport(transport)
        self.payload_format.setEnabled(facts.chooses_format)
        self.max_buffering.setEnabled(facts.takes_max_buffering)
        for field_ in (self.payload, self.payload_error):
            self.form.setRowVisible(field_, not facts.measures_frames)
        self.form.setRowVisible(self.video_row, facts.measures_frames)
        self.form.setRowVisible(self.jitter_release, facts.measures_frames)
        self.network_at.setVisible(facts.impairs_packets)  # scheduled changes: WebRTC's
        self.sigTransportShown.emit(transport)

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
            self.sigError.emit(f"cannot read payload file {str(path)!r}: {reason}")
            return False
        self.payload.setPlainText(text)
        return True

    def _update_title(self) -> None:
        self.sigTitle.emit(f"{self.transport.currentText()} · {self.target.text() or '…'}")
        # world models generate the video (the engine's default_mode): nothing to send
        generated = any(w in self.target.text().lower() for w in ("world", "matrix", "wma"))
        for w in (self.video_source, self.video_size, self.video_fps, self.data_channel):
            w.setEnabled(not generated)
            w.setToolTip(GENERATED_TIP if generated else w.property("tip") or "")

    def _apply_route(self, usage: Usage) -> None:
        """A route picked from the app's openapi.json: its transport, target,
        max_buffering and an example payload built from its input schema."""
        if usage.route.transport is not None:
            self.transport.blockSignals(True)  # keep the target: no example swap
            self.transport.setCurrentText(usage.route.transport)
            self.transport.blockSignals(False)
            self._show_transport(usage.route.transport)
        self.target.setText(usage.target)
        self.max_buffering.setValue(usage.max_buffering or 0)
        if registry.fact(usage.route.transport or "", "sends_payload"):
            self.payload.setPlainText(json.dumps(usage.example, default=str))
        self.validate()

    def validate(self) -> bool:
        """Check the payload as the run would; say why under it, and tell the panel.
        A picked route's schema is checked too, shown in amber: it does not block."""
        try:
            check_payload(self.settings())
        except TargetError as exc:
            self.payload_error.setText(str(exc))
            self.payload_error.setStyleSheet("color: #D55E00")
            self.valid = False
        else:
            problem = self.route_picker.schema_problem(self.payload.toPlainText())
            self.payload_error.setText(problem or "")
            self.payload_error.setStyleSheet("color: #B8860B")
            self.valid = True
        self.sigValid.emit(self.valid)
        return self.valid
