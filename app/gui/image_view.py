"""The inspector's Image tab: the first image of a message, zoomable and savable.

Fit (the default) scales the picture to the tab; the wheel, +/- and "100 %" zoom
around it, clamped so a zoomed picture never grows past `MAX_SIDE` pixels a side.
Enlarged pictures are pixelated rather than blurred: one looks at a model's output
to see its pixels. *Save image…* writes a PNG, and the dialog opens in the folder
the last one was saved in (kept in the app's QSettings when it has one).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QStandardPaths, Qt, Signal
from PySide6.QtGui import QImageWriter, QKeySequence, QPixmap, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ZOOM_STEP = 1.25
MIN_SCALE = 1 / 16
MAX_SCALE = 32.0
MAX_SIDE = 16_384  # pixels a side of the zoomed picture, at most
LAST_DIR_KEY = "inspector/image_dir"


class ImageView(QWidget):
    """A picture with zoom (fit, 100 %, wheel, +/-) and *Save image…*.

    `source` is the picture at its own size; `scale` what it is drawn at now."""

    sigSaved = Signal(str)  # the path a picture was saved to
    sigError = Signal(str)  # a one-line reason a save failed

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.source = QPixmap()
        self.scale = 1.0
        self.fitting = True
        self.last_dir = ""  # where the last picture went, when there are no settings

        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.area = QScrollArea()
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area.setWidget(self.picture)
        self.area.setWidgetResizable(False)
        self.area.setMinimumSize(1, 1)
        self.area.viewport().installEventFilter(self)

        self.zoom_out_button = self._button("−", "Zoom out (−, wheel down)", self.zoom_out)
        self.zoom_in_button = self._button("+", "Zoom in (+, wheel up)", self.zoom_in)
        self.fit_button = self._button("Fit", "Scale the picture to the tab (F)", self.fit)
        self.fit_button.setCheckable(True)
        self.actual_button = self._button("100 %", "Show the picture at its size (0)", self.actual)
        self.save_button = self._button(
            "Save image…", "Save the picture as a PNG file", self.save_image_dialog
        )
        self.zoom_label = QLabel()
        self.zoom_label.setStyleSheet("color: #666")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for w in (self.zoom_out_button, self.zoom_in_button, self.fit_button, self.actual_button):
            bar.addWidget(w)
        bar.addWidget(self.zoom_label)
        bar.addStretch(1)
        bar.addWidget(self.save_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.area, 1)

        keys = (
            (("+", "=", QKeySequence.StandardKey.ZoomIn), self.zoom_in),
            (("-", QKeySequence.StandardKey.ZoomOut), self.zoom_out),
            (("F",), self.fit),
            (("0",), self.actual),
        )
        for sequences, slot in keys:
            for seq in sequences:
                shortcut = QShortcut(QKeySequence(seq), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)
        self._update_controls()

    def _button(self, text: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # -- picture and zoom --------------------------------------------------------
    def set_source(self, pixmap: QPixmap | None) -> None:
        """Show `pixmap` (None: nothing), in the zoom mode chosen last."""
        self.source = pixmap if pixmap is not None else QPixmap()
        self._rescale()

    def fit_scale(self) -> float:
        """The scale at which the whole picture fits the visible area."""
        if self.source.isNull():
            return 1.0
        view = self.area.viewport().size()
        return max(
            MIN_SCALE,
            min(
                view.width() / self.source.width(),
                view.height() / self.source.height(),
                MAX_SCALE,
            ),
        )

    def set_scale(self, scale: float) -> None:
        """Draw at `scale` (clamped), leaving fit mode."""
        self.fitting = False
        self.scale = self._clamped(scale)
        self._rescale()

    def zoom_in(self) -> None:
        self.set_scale(self.scale * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_scale(self.scale / ZOOM_STEP)

    def fit(self) -> None:
        self.fitting = True
        self._rescale()

    def actual(self) -> None:
        self.set_scale(1.0)

    def _clamped(self, scale: float) -> float:
        limit = MAX_SCALE
        if not self.source.isNull():
            limit = min(limit, MAX_SIDE / max(self.source.width(), self.source.height()))
        return max(MIN_SCALE, min(scale, limit))

    def _rescale(self) -> None:
        if self.source.isNull():
            self.picture.clear()
            self.picture.resize(1, 1)
            self._update_controls()
            return
        if self.fitting:
            self.scale = self._clamped(self.fit_scale())
        w = max(1, round(self.source.width() * self.scale))
        h = max(1, round(self.source.height() * self.scale))
        mode = (
            Qt.TransformationMode.FastTransformation
            if self.scale > 1
            else Qt.TransformationMode.SmoothTransformation
        )
        if (w, h) == (self.source.width(), self.source.height()):
            shown = self.source
        else:
            shown = self.source.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio, mode)
        self.picture.setPixmap(shown)
        self.picture.resize(w, h)
        self._update_controls()

    def _update_controls(self) -> None:
        has = not self.source.isNull()
        for w in (
            self.zoom_in_button,
            self.zoom_out_button,
            self.fit_button,
            self.actual_button,
            self.save_button,
        ):
            w.setEnabled(has)
        self.fit_button.setChecked(self.fitting)
        self.zoom_label.setText(f"{self.scale * 100:.3g} %" if has else "")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The wheel over the picture zooms (instead of scrolling)."""
        if event.type() == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
            if not self.source.isNull():
                self.wheel_zoom(event.angleDelta().y())
            return True
        if event.type() == QEvent.Type.Resize and self.fitting:
            self._rescale()
        return super().eventFilter(watched, event)

    def wheel_zoom(self, delta: int) -> None:
        """One wheel turn: `delta` eighths of a degree (120 a notch), up zooms in."""
        if delta:
            self.set_scale(self.scale * ZOOM_STEP ** (delta / 120))

    # -- saving ----------------------------------------------------------------------
    def start_dir(self) -> str:
        """Where the save dialog opens: the last folder saved to, else Pictures."""
        last = self.settings.value(LAST_DIR_KEY, "") if self.settings is not None else ""
        last = str(last or self.last_dir)
        if last and Path(last).is_dir():
            return last
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        return pictures or str(Path.home())

    def save_image_dialog(self, name: str = "image.png") -> str | None:
        """Ask where, then `save_image`; the path saved to, None when cancelled or failed."""
        if self.source.isNull():
            return None
        path, _ = QFileDialog.getSaveFileName(
            self, "Save image", str(Path(self.start_dir()) / name), "PNG image (*.png)"
        )
        if not path:
            return None
        return self.save_image(path)

    def save_image(self, path: str | Path) -> str | None:
        """Write the picture at its own size as PNG (adding ".png" when the name has no
        suffix); the path written, or None with `sigError` saying why."""
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(".png")
        if self.source.isNull():
            self.sigError.emit("no image to save")
            return None
        if not target.parent.is_dir():
            self.sigError.emit(f"cannot save image: folder {str(target.parent)!r} does not exist")
            return None
        writer = QImageWriter(str(target), QByteArray(b"png"))
        if not writer.write(self.source.toImage()):
            why = writer.errorString() or "not writable"
            self.sigError.emit(f"cannot save image to {str(target)!r}: {why}")
            return None
        folder = str(target.parent)
        self.last_dir = folder
        if self.settings is not None:
            self.settings.setValue(LAST_DIR_KEY, folder)
        self.sigSaved.emit(str(target))
        return str(target)
