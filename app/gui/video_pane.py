"""A WebRTC run's video: the sent and the returned frames side by side, with the live
figures beside them, and the keyboard as a controller for generated video.

The engine ships small RGB thumbnails (`VideoFrame`, a few a second); this pane keeps
only the newest per direction and paints at the bridge's redraw rate, never per frame.
For generated video (mock/world, world models) the focused pane turns keys into fal's
action tokens: W A S D move, I J K L turn the camera, combined as "<move> <look>" ("w u",
"q i", "w j"…; "q"/"u" = none), sent on every change and "q u" when released; P pauses.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFocusEvent, QImage, QKeyEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.core.codecs.webrtc_marker import unpack_world
from app.core.events import Event, Message, Sample, StatsSnapshot, VideoFrame
from app.core.report.fmt import fmt_sig, ms_text
from app.core.report.model import Summary
from app.gui.wma_controls import WmaControls

MOVE_KEYS = {Qt.Key.Key_W: "w", Qt.Key.Key_A: "a", Qt.Key.Key_S: "s", Qt.Key.Key_D: "d"}
LOOK_KEYS = {Qt.Key.Key_I: "i", Qt.Key.Key_J: "j", Qt.Key.Key_K: "k", Qt.Key.Key_L: "l"}
IDLE = "q u"
CTRL, ALT, META = (
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.AltModifier,
    Qt.KeyboardModifier.MetaModifier,
)
FOCUS_COLOUR = "#0072B2"


def _ms(value: Any) -> str:
    """Three significant figures, as everywhere: "83.7 ms", "2.36 ms"."""
    return ms_text(value) if isinstance(value, int | float) else "–"


def _rate(kbps: Any) -> str:
    if not isinstance(kbps, int | float):
        return "–"
    return f"{fmt_sig(kbps / 1000)} Mb/s" if kbps >= 1000 else f"{fmt_sig(kbps)} kb/s"


def _join(parts: list[str]) -> str:
    """Figures on one line that, when narrow, wraps between figures, never inside one."""
    return "   ·   ".join(p.replace(" ", "\u00a0") for p in parts)


class ImageView(QWidget):
    """One thumbnail, scaled to fit with its aspect kept, and a caption over it."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.world_marker = False  # the marker is (action id, seq), not a frame id
        self.placeholder = "no video yet"
        self.image = QImage()
        self.caption = ""
        self.highlight = False
        self._rgb = b""  # the bytes the QImage points into
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def show_frame(self, frame: VideoFrame) -> None:
        self._rgb = frame.rgb
        self.image = QImage(
            self._rgb, frame.width, frame.height, frame.width * 3, QImage.Format.Format_RGB888
        )
        size = f"{frame.source_width}×{frame.source_height}" if frame.source_width else ""
        ident = ""
        if frame.frame_id is not None and self.world_marker:
            action_id, seq = unpack_world(frame.frame_id)
            ident = f"#{seq}  action {action_id}"
        elif frame.frame_id is not None:
            ident = f"#{frame.frame_id}"
        self.caption = "  ".join(p for p in (self.title, size, ident) if p)
        self.update()

    def clear(self) -> None:
        self.image, self._rgb, self.caption = QImage(), b"", ""
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#1e1e1e"))
        if self.image.isNull():
            p.setPen(QColor("#aaaaaa"))
            p.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, f"{self.title}\n{self.placeholder}"
            )
        else:
            area = self.rect().adjusted(2, 2, -2, -2)
            iw, ih = self.image.width(), self.image.height()
            scale = min(area.width() / iw, area.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF(
                area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h
            )
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(target, self.image)
            self._draw_caption(p, target.toRect())
        if self.highlight:
            p.setPen(QPen(QColor(FOCUS_COLOUR), 3))
            p.drawRect(self.rect().adjusted(1, 1, -2, -2))
        p.end()

    def _draw_caption(self, p: QPainter, target: QRect) -> None:
        metrics = p.fontMetrics()
        box = metrics.boundingRect(self.caption).adjusted(-4, -2, 4, 2)
        box.moveBottomLeft(target.bottomLeft())  # the marker sits top left
        p.fillRect(box, QColor(0, 0, 0, 150))
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self.caption)


class VideoPane(QWidget):
    sigAction = Signal(str)  # an action to send now ("w u")
    sigPause = Signal(bool)  # pause (True) or resume the generated video

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.sent = ImageView("sent")
        self.received = ImageView("returned")
        for view in (self.sent, self.received):
            view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        images = QHBoxLayout()
        images.setSpacing(4)
        images.addWidget(self.sent)
        images.addWidget(self.received)
        self.figures = QLabel("–")
        self.transport_stats = QLabel("–")
        self.keys = QLabel("")
        for label in (self.figures, self.transport_stats, self.keys):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            label.setWordWrap(True)  # long figure lines must not widen the window
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(images, 1)
        outer.addWidget(self.figures)
        outer.addWidget(self.transport_stats)
        outer.addWidget(self.keys)
        self.wma = WmaControls()  # prompt and reset, for wma runs only
        self.sigControl = self.wma.sigControl
        outer.addWidget(self.wma)
        self.running = False
        self.reset()

    # -- state ------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the previous run: a new one starts."""
        self.mode = ""  # "v2v" | "generated", from the first StatsSnapshot
        self.info: dict[str, Any] = {}
        self.paused = False  # as acknowledged by the server
        self.pause_wanted = False  # as asked with P (acknowledged or not yet)
        self.clear()
        self._set_mode("")

    def clear(self) -> None:
        """Blank the pictures and figures (Clear); a running run keeps being steerable."""
        self.sent.clear()
        self.received.clear()
        self.stats: dict[str, Any] = {}  # the newest getStats figures
        self.newest: dict[str, VideoFrame] = {}  # not yet shown, per direction
        self.last_action = ""
        self.action_latency_ms: float | None = None
        self.actions_sent = 0
        self._moves: list[str] = []
        self._looks: list[str] = []
        self._show_keys()
        self.figures.setText("–")
        self.transport_stats.setText("–")

    @property
    def generated(self) -> bool:
        return self.mode == "generated"

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.sent.setVisible(mode != "generated")  # nothing is sent: the server makes it
        self.received.title = "generated" if mode == "generated" else "returned"
        self.received.world_marker = mode == "generated"
        self.sent.placeholder = "no video yet" if mode else "start a run to see video"
        self._show_keys()

    def feed(self, events: list[Event]) -> None:
        """Take a run's batch: keep the newest thumbnails and figures, note action results."""
        for e in events:
            if isinstance(e, VideoFrame):
                if e.session == 0:
                    self.newest[e.direction] = e
            elif isinstance(e, StatsSnapshot):
                if not self.info and "mode" in e.values:
                    self.info = dict(e.values)
                    self._set_mode(str(e.values.get("mode", "")))
                    self.wma.set_signaling(str(e.values.get("signaling", "")))
                elif "time_to_first_frame_ms" in e.values:
                    self.info.setdefault(
                        "time_to_first_frame_ms", e.values["time_to_first_frame_ms"]
                    )
                elif e.session == 0 and not e.values.get("final"):
                    self.stats = e.values
            elif isinstance(e, Sample) and self.generated:  # WebRTC Samples are actions
                if e.outcome == "received":
                    self.action_latency_ms = e.rtt_ns / 1e6
            elif (
                isinstance(e, Message)
                and e.kind == "signaling"
                and e.direction == "in"
                and isinstance(e.data, dict)
                and e.data.get("type") == "pause"
            ):
                self.paused = bool(e.data.get("paused"))
                self._show_keys()

    def redraw(self, summary: Summary) -> None:
        """Paint the newest thumbnails and figures (the bridge's redraw rate)."""
        if (f := self.newest.pop("out", None)) is not None:
            self.sent.show_frame(f)
        if (f := self.newest.pop("in", None)) is not None:
            self.received.show_frame(f)
        frames, st = summary.frames, self.stats
        fps_in = st.get("fps_in", frames.fps_in if frames else None)
        fps_out = st.get("fps_out", frames.fps_out if frames else None)
        parts = [
            f"fps in {fps_in:.1f}" if isinstance(fps_in, int | float) else "fps in –",
        ]
        if not self.generated:
            parts.append(f"out {fps_out:.1f}" if isinstance(fps_out, int | float) else "out –")
        if frames is not None and frames.frame_latency_ms.count:
            lat = frames.frame_latency_ms
            parts.append(f"frame latency p50 {_ms(lat.p50)}  p99 {_ms(lat.p99)}")
        if frames is not None and frames.frame_hold_ms.count:
            parts.append(f"jitter-buffer hold p50 {_ms(frames.frame_hold_ms.p50)}")
        frames_lost = (frames.frames_lost if frames else 0) or st.get("frames_lost")
        if frames_lost:
            parts.append(f"frames lost {frames_lost}")
        self.figures.setText(_join(parts))
        info = self.info
        self.transport_stats.setText(
            _join(
                [
                    f"bitrate in {_rate(st.get('bitrate_in_kbps'))}"
                    + ("" if self.generated else f" / out {_rate(st.get('bitrate_out_kbps'))}"),
                    f"packets lost {st.get('packets_lost', '–')}",
                    f"jitter {_ms(st.get('jitter_ms'))}",
                    f"RTT {_ms(st.get('rtt_ms'))}",
                    f"connected in {_ms(info.get('time_to_connected_ms'))}",
                    f"first frame {_ms(info.get('time_to_first_frame_ms'))}",
                ]
            )
        )
        self._show_keys()

    def _show_keys(self) -> None:
        if not self.generated:
            self.keys.setText("")
            self.keys.setVisible(False)
            return
        self.keys.setVisible(True)
        if not self.running:
            hint = "keys steer the video while it runs"
        elif self.hasFocus():
            hint = "keys → actions: W A S D move · I J K L look · P pause"
        else:
            hint = "click the video, then W A S D / I J K L to steer, P to pause"
        parts = [hint]
        if self.last_action:
            parts.append(f"last action “{self.last_action}”")
        if self.action_latency_ms is not None:
            parts.append(f"action → frame {_ms(self.action_latency_ms)}")
        if self.pause_wanted != self.paused:
            parts.append("pausing…" if self.pause_wanted else "resuming…")
        elif self.paused:
            parts.append("⏸ paused")
        self.keys.setText(_join(parts))

    # -- keys -------------------------------------------------------------------------
    def _steering(self) -> bool:
        return self.running and self.generated

    def _send(self) -> None:
        move = self._moves[-1] if self._moves else "q"
        look = self._looks[-1] if self._looks else "u"
        action = f"{move} {look}"
        if action != self.last_action:
            self.last_action = action
            self.actions_sent += 1
            self.sigAction.emit(action)
            self._show_keys()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        chord = event.modifiers() & (CTRL | ALT | META)
        if not self._steering() or chord != Qt.KeyboardModifier.NoModifier:  # shortcuts
            super().keyPressEvent(event)
            return
        if event.isAutoRepeat() and (key in MOVE_KEYS or key in LOOK_KEYS or key == Qt.Key.Key_P):
            event.accept()
            return
        if key in MOVE_KEYS:
            self._moves = [m for m in self._moves if m != MOVE_KEYS[key]] + [MOVE_KEYS[key]]
        elif key in LOOK_KEYS:
            self._looks = [k for k in self._looks if k != LOOK_KEYS[key]] + [LOOK_KEYS[key]]
        elif key == Qt.Key.Key_P:
            self.pause_wanted = not self.pause_wanted
            self.sigPause.emit(self.pause_wanted)
            self._show_keys()
            event.accept()
            return
        else:
            super().keyPressEvent(event)
            return
        event.accept()
        self._send()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if event.isAutoRepeat() or not self._steering():
            super().keyReleaseEvent(event)
            return
        if key in MOVE_KEYS:
            self._moves = [m for m in self._moves if m != MOVE_KEYS[key]]
        elif key in LOOK_KEYS:
            self._looks = [k for k in self._looks if k != LOOK_KEYS[key]]
        else:
            super().keyReleaseEvent(event)
            return
        event.accept()
        self._send()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.received.highlight = self.generated
        self.received.update()
        self._show_keys()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Keys released elsewhere never arrive here: stop moving rather than run on."""
        super().focusOutEvent(event)
        self.received.highlight = False
        self.received.update()
        if self._moves or self._looks:
            self._moves, self._looks = [], []
            if self._steering():
                self._send()
        self._show_keys()
