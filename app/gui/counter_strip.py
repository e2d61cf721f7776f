"""The live counters of one connection (state, sent, received, …, percentiles, rates)
and the line under them that shows the last error: what people read during a run.

The strip only shows text it is given; which numbers go in it is the panel's business
(they come from the run's summary).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.gui.counters import COUNTER_NAMES, NONE


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
        self.labels: dict[str, QLabel] = {}
        for i, name in enumerate(names):
            head = QLabel(name)
            head.setStyleSheet("color: #666")
            value = QLabel(NONE)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(head, 0, i)
            grid.addWidget(value, 1, i)
            self.labels[name] = value
        outer.addLayout(grid)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #D55E00")
        self.error.setWordWrap(True)
        outer.addWidget(self.error)

    def clear(self) -> None:
        self.error.setText("")
        for label in self.labels.values():
            label.setText(NONE)
