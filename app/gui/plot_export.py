"""A connection's plots as a picture to share: a title (connection, transport, target)
and a line of figures above the plots, laid out again at the size asked for (not a
screenshot of a small panel), as PNG or SVG.

The plots' scene is laid out at the picture's size for the export and put back after,
so axes, ticks and legends are drawn for that size rather than scaled from the screen.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from app.core.errors import TargetError

PLOT_FORMATS = {".png": "PNG", ".svg": "SVG"}
DEFAULT_SIZE = QSize(1600, 900)
MIN_SIDE, MAX_SIDE = 200, 8000
TITLE_TEXT_KEY = "Title"  # the PNG's tEXt chunk that also holds the title


def _title_height(width: int) -> int:
    return max(48, width // 25)


def paint(
    painter: QPainter, plots: pg.GraphicsLayoutWidget, size: QSize, title: str, subtitle: str
) -> None:
    """Title band, then the plots' scene laid out at the remaining size."""
    w, h = size.width(), size.height()
    band = _title_height(w)
    painter.fillRect(QRectF(0, 0, w, h), QColor("white"))
    font = QFont(painter.font())
    font.setPixelSize(max(14, band * 4 // 10))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#1b1b1b"))
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(QRectF(12, 0, w - 24, band * 0.6), flags, title)
    font.setBold(False)
    font.setPixelSize(max(11, band * 3 // 10))
    painter.setFont(font)
    painter.setPen(QColor("#555555"))
    painter.drawText(QRectF(12, band * 0.55, w - 24, band * 0.45), flags, subtitle)
    layout = plots.ci  # the GraphicsLayout every plot sits in
    before = layout.geometry()
    area = QRectF(0, 0, w, h - band)
    try:
        layout.setGeometry(area)
        layout.layout.activate()
        plots.scene().render(painter, QRectF(0, band, w, h - band), area)
    finally:
        layout.setGeometry(before)
        layout.layout.activate()


def export_plot(
    plots: pg.GraphicsLayoutWidget,
    path: str | Path,
    *,
    title: str,
    subtitle: str = "",
    size: QSize = DEFAULT_SIZE,
) -> Path:
    """Write the picture, its format from the extension. Every failure (format, size,
    a file that cannot be written) is a one-line TargetError naming it."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise TargetError(f"unknown plot format {suffix or '(none)'!r}: use .png or .svg")
    if not (MIN_SIDE <= size.width() <= MAX_SIDE and MIN_SIDE <= size.height() <= MAX_SIDE):
        raise TargetError(f"plot size must be {MIN_SIDE} to {MAX_SIDE} pixels a side")
    if suffix == ".png":
        image = QImage(size, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            paint(painter, plots, size, title, subtitle)
        finally:
            painter.end()
        image.setText(TITLE_TEXT_KEY, title)
        if not image.save(str(target)):
            raise TargetError(f"could not write {target}")
        return target
    _write_svg(plots, target, size, title, subtitle)
    return target


def _write_svg(
    plots: pg.GraphicsLayoutWidget, target: Path, size: QSize, title: str, subtitle: str
) -> None:
    try:
        from PySide6.QtSvg import QSvgGenerator
    except ImportError:  # pragma: no cover - a Qt build without QtSvg
        raise TargetError("SVG export needs Qt's SVG module: save as .png instead") from None
    if not target.parent.is_dir():
        raise TargetError(f"could not write {target}: no such folder")
    generator = QSvgGenerator()
    generator.setFileName(str(target))
    generator.setSize(size)
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription(subtitle)
    painter = QPainter(generator)
    try:
        paint(painter, plots, size, title, subtitle)
    finally:
        painter.end()
    if not target.is_file():
        raise TargetError(f"could not write {target}")
