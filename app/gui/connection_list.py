"""The connections sidebar: one row per connection (name; transport, state, p99, rate)
refreshed a few times a second, so a dozen connections can be watched at a glance and
one picked to scroll to. Selecting several picks what "Export report" covers.

The figures are the texts the panel's own counters show (no second summary per panel).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from app.gui.connection_panel import ConnectionPanel

REFRESH_MS = 250  # 4 Hz: enough to read, no cost worth measuring
SIDEBAR_MIN_WIDTH = 200


def row_text(panel: ConnectionPanel) -> tuple[str, str]:
    """The row's text (name; transport · state · p99 · rate) and its tooltip, from
    what the panel shows."""
    counters = panel.counter_labels
    state = counters["state"].text()
    transport = panel.transport.currentText()
    figures = [transport, "idle" if state in ("", "–") else state]
    if counters["p99"].text() not in ("", "–"):
        figures.append(f"p99 {counters['p99'].text()}")
    if panel.running and counters["rate"].text() not in ("", "–"):
        figures.append(counters["rate"].text())
    name = panel.title.text() or transport
    return f"{name}\n" + " · ".join(figures), f"{name}: {panel.target.text()}"


class ConnectionList(QListWidget):
    """`sigActivated(panel)` when the user picks a row; `selected_panels()` in order."""

    sigActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setMinimumWidth(SIDEBAR_MIN_WIDTH)
        self.setWordWrap(False)
        # Qt elides only one-line items: each line is elided here to the width, and a
        # row never needs a horizontal scroll bar (its full text is in its tooltip)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setToolTip(
            "Connections: click one to scroll to it; Ctrl/Shift-click to select several "
            "for Export report"
        )
        self.setAlternatingRowColors(True)
        self.setSpacing(1)
        self._panels: list[ConnectionPanel] = []
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def set_panels(self, panels: list[ConnectionPanel]) -> None:
        """Rows for `panels`, in order, keeping the selection of those still there."""
        chosen = set(map(id, self.selected_panels()))
        self._panels = list(panels)
        self.blockSignals(True)
        self.clear()
        for panel in self._panels:
            item = QListWidgetItem()
            self.addItem(item)
            item.setSelected(id(panel) in chosen)
        self.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        if not self.isVisible():
            return
        for i, panel in enumerate(self._panels):
            item = self.item(i)
            text, tip = row_text(panel)
            text = self._fit(text)
            if item.text() != text:
                item.setText(text)
            if item.toolTip() != tip:
                item.setToolTip(tip)

    def _fit(self, text: str) -> str:
        """Each line of `text` elided in the middle to the rows' width (a target's host
        and path keep their ends; the figures line keeps its state and p99 first)."""
        metrics, width = self.fontMetrics(), max(40, self.viewport().width() - 12)
        name, _, figures = text.partition("\n")
        name = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, width)
        figures = metrics.elidedText(figures, Qt.TextElideMode.ElideRight, width)
        return f"{name}\n{figures}"

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.refresh()

    def selected_panels(self) -> list[ConnectionPanel]:
        rows = sorted(self.row(item) for item in self.selectedItems())
        return [self._panels[r] for r in rows if 0 <= r < len(self._panels)]

    def select(self, panel: ConnectionPanel) -> None:
        """Make `panel` the one selected row (without telling the window again)."""
        if panel not in self._panels:
            return
        row = self._panels.index(panel)
        if self.selected_panels() == [panel]:
            return
        self.blockSignals(True)
        self.clearSelection()
        self.setCurrentRow(row)
        self.item(row).setSelected(True)
        self.blockSignals(False)

    def _clicked(self, item: QListWidgetItem) -> None:
        row = self.row(item)
        if 0 <= row < len(self._panels):
            self.sigActivated.emit(self._panels[row])
