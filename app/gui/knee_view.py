"""A stored `rtprobe run --find-max` search in the history window: the knee plot (rate
asked against round-trip p50/p99, the p99 limit and the highest passing rate marked)
and the steps table, the same figures `rtprobe runs show` prints."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.core.findmax import Result, answer_text

STEP_COLUMNS = (
    "step", "phase", "rate asked", "achieved /s", "p50 ms", "p99 ms",
    "send lag p99 ms", "loop lag p99 ms", "saturated", "verdict",
)  # fmt: skip


def _saturated(client: bool, server: bool) -> str:
    return ", ".join(n for n, on in (("client", client), ("mock", server)) if on) or "no"


class KneeView(QWidget):
    """The search's answer, knee plot and steps, for `RunView` to show above the plots
    of the step it stored."""

    def __init__(self, result: Result, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.answer = QLabel(answer_text(result))
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.answer)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "rate asked (msg/s)")
        self.plot.setLabel("left", "round trip (ms)")
        self.plot.addLegend()
        ordered = sorted(result.steps, key=lambda s: s.rate)
        rates = [s.rate for s in ordered]
        for key, colour, name in (("p50_ms", "#0072b2", "p50"), ("p99_ms", "#d55e00", "p99")):
            values = [float(getattr(s, key)) for s in ordered]
            self.plot.plot(rates, values, pen=pg.mkPen(colour, width=2), symbol="o", name=name)
        dashed = Qt.PenStyle.DashLine
        self.plot.addLine(y=result.limits.p99_ms, pen=pg.mkPen("#888888", style=dashed))
        if result.best_rate > 0:
            self.plot.addLine(x=result.best_rate, pen=pg.mkPen("#009e73", style=dashed))
        self.plot.setMinimumHeight(200)
        layout.addWidget(self.plot, 1)
        self.steps = QTableWidget(len(result.steps), len(STEP_COLUMNS))
        self.steps.setHorizontalHeaderLabels(list(STEP_COLUMNS))
        self.steps.verticalHeader().setVisible(False)
        self.steps.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, s in enumerate(result.steps):
            cells = (
                str(r + 1), s.phase, f"{s.rate:,.1f}", f"{s.achieved:,.1f}", f"{s.p50_ms:.3f}",
                f"{s.p99_ms:.3f}", f"{s.send_lag_p99_ms:.2f}", f"{s.client_lag_p99_ms:.2f}",
                _saturated(s.client_saturated, s.server_saturated), s.failure or "pass",
            )  # fmt: skip
            for c, text in enumerate(cells):
                self.steps.setItem(r, c, QTableWidgetItem(text))
        self.steps.resizeColumnsToContents()
        layout.addWidget(self.steps, 1)
