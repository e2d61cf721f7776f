"""Plot axes that stay readable at any size.

- `FittingLabelAxis`: an axis title given as alternatives, longest first ("round trip
  (ms)", "RTT (ms)", "ms"); the longest that fits the axis is shown, so a short plot
  never cuts its title to "round trip (m".
- `LogTickAxis`: ticks of a log axis labelled 1, 2, 5 x 10^n while those labels fit
  side by side, else decades only, else every second, fifth… decade; never a run of
  overlapping labels. Unlabelled minor ticks mark 2…9.
- `MarkerAxis`: the right-hand axis as a margin for labelled lines (p50, p99): each
  label a tag with a solid background in its line's colour, outside the data, pushed
  apart when two would overlap.

Each recomputes only when the axis is redrawn (a resize or a range change), which the
plots keep rare (app/gui/robust_range.py). Ticks point outwards, so an axis lies
wholly outside its plot's data area and a new curve does not repaint it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QApplication

LABEL_GAP_PX = 6  # between two tick labels, at least
TICK_LENGTH_PX = 4  # > 0: outwards, towards the labels
MINOR_MIN_PX = 4  # minor ticks closer than this are left out
DECADE_STEPS = (1, 2, 3, 5, 10, 20, 50, 100)
MANTISSAS = (1, 2, 5)
MINOR_TICK = -1.0  # the `spacing` of the unlabelled level, as tickStrings sees it


class FittingLabelAxis(pg.AxisItem):
    """An AxisItem whose title is the longest of its alternatives that fits."""

    titles: tuple[str, ...] = ()  # class defaults: AxisItem's __init__ already resizes
    title = ""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        # the titles carry the units: no SI prefix, whose check re-sets the label's HTML
        # on every range change (thousands of times while a new panel is laid out)
        self.enableAutoSIPrefix(False)
        # ticks outside the data area: pointing in, they put the axis' bounds 5 px into
        # the view, so every redraw of a curve repainted the left and bottom axes too
        self.setStyle(tickLength=TICK_LENGTH_PX)

    def set_titles(self, *titles: str) -> None:
        """Alternatives, longest first; the last is shown when none fits."""
        self.titles = titles
        self.title = ""
        self._fit_title()

    def _room_px(self) -> float:
        size = self.size()
        return size.height() if self.orientation in ("left", "right") else size.width()

    def _fit_title(self) -> None:
        if not self.titles or getattr(self, "label", None) is None:
            return
        metrics = QFontMetricsF(self.label.font())
        room = self._room_px() - 8  # the text item's own margins
        chosen = self.titles[-1]
        for title in self.titles:
            if metrics.horizontalAdvance(title) <= room:
                chosen = title
                break
        if chosen != self.title:
            self.title = chosen
            self.setLabel(chosen)

    def resizeEvent(self, ev: object = None) -> None:
        self._fit_title()
        super().resizeEvent(ev)


def tick_font(axis: pg.AxisItem) -> QFont:
    font = axis.style.get("tickFont")
    return QFont(font) if font is not None else QApplication.font()


def log_tick_label(exponent: float) -> str:
    """A tick at 10**exponent ms as people read it: "0.2", "5", "100", "2 s"."""
    v = 10.0**exponent
    if v >= 1000:
        return f"{v / 1000:.3g} s"
    return f"{v:.3g}"


def _labels_fit(values: Sequence[float], per_unit_px: float, metrics: QFontMetricsF) -> bool:
    widths = [metrics.horizontalAdvance(log_tick_label(v)) for v in values]
    for i in range(len(values) - 1):
        room = (values[i + 1] - values[i]) * per_unit_px  # between the labels' centres
        if room < (widths[i] + widths[i + 1]) / 2 + LABEL_GAP_PX:
            return False
    return True


def log_ticks(
    lo: float, hi: float, length_px: float, metrics: QFontMetricsF
) -> tuple[list[float], list[float]]:
    """(labelled, minor) tick positions in log10 units within [lo, hi] of an axis
    `length_px` long: the densest of 1-2-5, decades, every k decades whose labels fit."""
    if not (hi > lo and length_px > 0 and math.isfinite(lo) and math.isfinite(hi)):
        return [], []
    per_unit = length_px / (hi - lo)
    first, last = math.floor(lo), math.ceil(hi)

    def inside(vs: list[float]) -> list[float]:
        return [v for v in vs if lo - 1e-9 <= v <= hi + 1e-9]

    dense = inside([d + math.log10(m) for d in range(first, last + 1) for m in MANTISSAS])
    labelled: list[float] = []
    if len(dense) > 1 and _labels_fit(dense, per_unit, metrics):
        labelled = dense
    else:
        for step in DECADE_STEPS:
            decades = inside([float(d) for d in range(first, last + 1) if d % step == 0])
            if len(decades) <= 1 or _labels_fit(decades, per_unit, metrics):
                labelled = decades
                break
    minor: list[float] = []
    if per_unit * math.log10(10 / 9) >= MINOR_MIN_PX:
        marks = [d + math.log10(m) for d in range(first, last + 1) for m in range(1, 10)]
        minor = inside(marks)
    elif per_unit >= MINOR_MIN_PX:
        minor = inside([float(d) for d in range(first, last + 1)])
    taken = {round(v, 9) for v in labelled}
    return labelled, [v for v in minor if round(v, 9) not in taken]


class LogTickAxis(FittingLabelAxis):
    """A log-mode axis (values are log10 of ms) with `log_ticks` labels."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        lo, hi = sorted((minVal, maxVal))
        labelled, minor = log_ticks(lo, hi, size, QFontMetricsF(tick_font(self)))
        return [(1.0, labelled), (MINOR_TICK, minor)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if spacing == MINOR_TICK:
            return ["" for _ in values]
        return [log_tick_label(v) for v in values]


class Marker:
    """One labelled line: its value (in the axis' units), text and colour."""

    __slots__ = ("colour", "text", "value")

    def __init__(self, value: float, text: str, colour: str) -> None:
        self.value, self.text, self.colour = value, text, colour


class MarkerAxis(pg.AxisItem):
    """The right margin of a plot holding the labels of its horizontal marker lines."""

    PAD_PX = 3

    def __init__(self, orientation: str = "right", **kwargs: object) -> None:
        self.markers: list[Marker] = []
        self.tags: list[tuple[QRectF, str, str]] = []  # last painted: rect (own coords)
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # no label: nothing to re-set on a range change
        self.setStyle(tickLength=TICK_LENGTH_PX)
        self._width = 0.0
        self.setTicks([[]])

    def set_markers(self, markers: list[Marker]) -> None:
        """Show these labels; no axis work when nothing a person could see changed."""
        if [(m.text, m.colour) for m in markers] == [(m.text, m.colour) for m in self.markers]:
            return
        self.markers = list(markers)
        self.setTicks([[(m.value, m.text) for m in markers]])
        wanted = self.wanted_width()
        if wanted > self._width or wanted < self._width - 12:  # rarely: a layout change
            self._width = wanted
            self.setWidth(math.ceil(wanted))

    def drawPicture(self, p: QPainter, axisSpec: tuple, tickSpecs: list, textSpecs: list) -> None:
        pen, p1, p2 = axisSpec
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        p.setPen(pen)
        p.drawLine(p1, p2)
        colour = {m.text: m.colour for m in self.markers}
        for tick_pen, a, b in tickSpecs:
            p.setPen(tick_pen)
            p.drawLine(a, b)
        font = tick_font(self)
        font.setBold(True)
        p.setFont(font)
        metrics = QFontMetricsF(font)
        self.tags = self._tags(textSpecs, metrics, colour)
        for rect, text, c in self.tags:
            p.fillRect(rect, QColor("white"))
            p.setPen(QPen(QColor(c), 1))
            p.drawRect(rect)
            p.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)

    def _tags(
        self, text_specs: list, metrics: QFontMetricsF, colour: dict[str, str]
    ) -> list[tuple[QRectF, str, str]]:
        """Tag rectangles beside their tick, none overlapping, inside the axis."""
        bounds = self.boundingRect()
        tags: list[tuple[QRectF, str, str]] = []
        pad = self.PAD_PX
        for rect, _flags, text in sorted(text_specs, key=lambda s: -s[0].center().y()):
            w = metrics.horizontalAdvance(text) + 2 * pad
            h = metrics.height() + 2
            top = rect.center().y() - h / 2
            if tags:  # above the previous (lower) one, never on it
                top = min(top, tags[-1][0].top() - h - 1)
            top = max(bounds.top(), min(top, bounds.bottom() - h))
            tags.append((QRectF(rect.left(), top, w, h), text, colour.get(text, "#000")))
        return tags

    def wanted_width(self) -> float:
        """Room for the widest label: the axis asks its layout for it."""
        font = tick_font(self)
        font.setBold(True)
        metrics = QFontMetricsF(font)
        widest = max((metrics.horizontalAdvance(m.text) for m in self.markers), default=0.0)
        return widest + 2 * self.PAD_PX + 10
