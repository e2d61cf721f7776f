"""How far a run has got, under the counters: a bar and the remaining time for timed
and counted runs, the elapsed time alone for runs until Stop, nothing between runs.
What it shows comes from `LiveRun.progress()` (app/core/run_progress.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from app.core.run_progress import Progress

STEPS = 1000  # the bar's resolution


class RunProgress(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setRange(0, STEPS)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.bar.setToolTip("How far the run has got")
        self.text = QLabel("")
        self.text.setStyleSheet("color: #666")
        self.text.setToolTip("Messages done, time elapsed and time left (estimated)")
        row.addWidget(self.bar, 1)
        row.addWidget(self.text)
        self.setVisible(False)

    def show_progress(self, p: Progress) -> None:
        """A timed or counted run shows the bar; an open-ended one its text only.

        Profiled (py-spy --native, 4 panels): `setVisible(True)` on a shown widget still
        activates its parent's layout and sets every child's geometry, and
        QProgressBar.setValue repaints at once; together 6-8 % of the GUI thread. So
        each is called only when it changes something, and the bar's repaint waits for
        the next frame."""
        if self.bar.isHidden() != (p.fraction is None):
            self.bar.setVisible(p.fraction is not None)
        if p.fraction is not None:
            value = round(p.fraction * STEPS)  # moved when the bar grew by a pixel
            step = max(1, STEPS // max(1, self.bar.width()))
            if abs(value - self.bar.value()) >= step or value in (0, STEPS):
                # with updates off, setValue's own repaint is skipped and turning them
                # on again asks for an ordinary update, painted with the next frame
                self.bar.setUpdatesEnabled(False)
                self.bar.setValue(value)
                self.bar.setUpdatesEnabled(True)
        if self.text.text() != p.text:
            self.text.setText(p.text)
        if self.isHidden():
            self.setVisible(True)

    def finish(self) -> None:
        """The run is over: the summary card says the rest."""
        self.setVisible(False)

    @property
    def value(self) -> float:
        """The bar's fraction, 0..1."""
        return self.bar.value() / STEPS
