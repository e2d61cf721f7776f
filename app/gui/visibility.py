"""Whether a widget can be seen now, so views that nobody can see skip their redraws.

Painting plots costs the GUI process most of its CPU, and that CPU is taken from the
measuring engine on a small machine. A panel on a hidden tab, scrolled out of its
scroll area, in a splitter pane collapsed to nothing or in a minimized window shows
nothing: it only has to catch up when it is shown again (its data keeps flowing into
the run's LiveRun meanwhile).

The clipping is computed here, by walking up the parents, rather than read from
`QWidget.visibleRegion()`: that one is empty on platforms that do not map windows
(Qt's offscreen platform, where the tests and benchmarks run).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QWidget


def on_screen(widget: QWidget) -> bool:
    """True when some part of `widget` is on screen: shown (with all its parents), its
    window not minimized, and not clipped away entirely by an ancestor (a scroll area's
    viewport, a collapsed splitter pane)."""
    return not _shown_rect(widget).isEmpty()


def shown_share(widget: QWidget) -> float:
    """The part of `widget`'s area on screen, 0 to 1 (what a benchmark reports)."""
    area = widget.width() * widget.height()
    rect = _shown_rect(widget)
    return rect.width() * rect.height() / area if area > 0 and not rect.isEmpty() else 0.0


def _shown_rect(widget: QWidget) -> QRect:
    """The rectangle of `widget` its ancestors leave on screen (empty when none)."""
    if not widget.isVisible() or widget.window().isMinimized():
        return QRect()
    rect = widget.rect()  # in the coordinates of `current`
    current = widget
    while not current.isWindow():
        parent = current.parentWidget()
        if parent is None:
            break
        rect = rect.translated(current.mapTo(parent, QPoint(0, 0))).intersected(parent.rect())
        if rect.isEmpty():
            return QRect()
        current = parent
    return rect
