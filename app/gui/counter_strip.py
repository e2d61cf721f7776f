"""The live counters of one connection (state, sent, received, …, percentiles, rates)
and the line under them that shows the last error: what people read during a run.

The strip only shows text it is given; which numbers go in it is the panel's business
(they come from the run's summary). `set_transport` names the columns for what that
transport counts (frames for WebRTC, messages for the others).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.gui.counters import COUNTER_NAMES, NONE, counter_heads


class CounterStrip(QWidget):
    """A row of name/value pairs and the error line; `labels[name].setText(...)`."""

    def __init__(
        self, names: tuple[str, ...] = COUNTER_NAMES, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(3)
        grid = QGridLayout()
        grid.setVerticalSpacing(0)
        grid.setHorizontalSpacing(14)  # "frames received" and "errors" read as two heads
        self.labels: dict[str, QLabel] = {}
        self.heads: dict[str, QLabel] = {}
        for i, name in enumerate(names):
            head = QLabel(name)
            head.setStyleSheet("color: #666")
            value = QLabel(NONE)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(head, 0, i)
            grid.addWidget(value, 1, i)
            self.labels[name] = value
            self.heads[name] = head
        outer.addLayout(grid)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #D55E00")
        self.error.setWordWrap(True)
        outer.addWidget(self.error)

        self._transport: str | None = None
        self.set_transport("")

    def set_transport(self, transport: str) -> None:
        """Name the columns for this transport ("frames sent" for WebRTC), with tooltips."""
        if transport == self._transport:
            return
        self._transport = transport
        heads = counter_heads(transport)
        for name, head in self.heads.items():
            text, tip = heads.get(name, (name, ""))
            head.setText(text)
            for label in (head, self.labels[name]):
                label.setToolTip(tip)

    def clear(self) -> None:
        self.error.setText("")
        for label in self.labels.values():
            label.setText(NONE)
