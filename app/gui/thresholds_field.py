"""The connection's assertions, typed as `rtprobe run --assert` takes them
(`p99<50ms, errors==0`), checked as they are typed: a bad expression is named in one
line under the field and the run still starts (its card then lists no verdicts)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.core import verdicts
from app.core.assertions import Threshold
from app.core.errors import TargetError

TIP = (
    "Checked at the end of each run, as rtprobe run --assert: NAME OP NUMBER[ms|us|s], "
    "separated by commas. Latencies p50 p90 p99 p999 max mean (server_/network_/ttfe_/"
    "frame_ prefixes); counters sent received errors dropped timeouts rate fps_in …"
)


class ThresholdsField(QWidget):
    sigChanged = Signal(str)  # the text as typed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(1)
        row = QHBoxLayout()
        head = QLabel("thresholds")
        head.setStyleSheet("color: #666")
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("e.g. p99<50ms, errors==0")
        self.edit.setToolTip(TIP)
        head.setToolTip(TIP)
        row.addWidget(head)
        row.addWidget(self.edit, 1)
        outer.addLayout(row)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #D55E00")
        self.error.setVisible(False)
        outer.addWidget(self.error)
        self.edit.textChanged.connect(self._check)

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def _check(self, text: str) -> None:
        problem = verdicts.problem(text)
        self.error.setText(problem)
        self.error.setVisible(bool(problem))
        self.sigChanged.emit(text)

    def thresholds(self) -> list[Threshold]:
        """The expressions as typed; none when any of them does not read (the error
        line says which)."""
        try:
            return verdicts.parse_line(self.text())
        except TargetError:
            return []
