"""The card a run leaves behind: how it ended (and why), its main figures, and the
verdict of each of the connection's assertions, PASS or FAIL in colour. Compact: a few
lines under the counters, hidden while a run is on."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.core.report.fmt import ms_text
from app.core.report.model import Summary
from app.core.run_state import FinalState
from app.core.verdicts import Verdict, measured_text
from app.gui.run_colours import FAIL_COLOUR, PASS_COLOUR, state_colour

NONE = "–"


def figures_text(s: Summary) -> str:
    """sent / received / errors, p50 / p99 and the rate (a rate of one message is none)."""
    rtt = s.rtt_ms
    parts = [f"sent {s.sent:,}", f"received {s.received:,}", f"errors {s.errors:,}"]
    if s.frames is not None and (s.frames.frames_out or s.frames.frames_in):
        parts.append(f"frames {s.frames.frames_out:,} out / {s.frames.frames_in:,} in")
    parts.append(f"p50 {ms_text(rtt.p50) if rtt.count else NONE}")
    parts.append(f"p99 {ms_text(rtt.p99) if rtt.count else NONE}")
    parts.append(f"rate {s.rate_per_s:.3g}/s" if s.sent > 1 else f"rate {NONE}")
    return " · ".join(parts)


def saturation_note(s: Summary) -> str:
    """ " · client saturated: event-loop lag p99 … ms" (and the mock's), for the panel's
    status line; "" when neither side was the bottleneck."""
    return "".join(" · " + line.split(";")[0] for line in s.saturation_lines())


def end_line(agg: Any, final: FinalState, summary: Summary, verdicts: list[Verdict]) -> str:
    """The status line of a run that ended: how, the saturation notes, the verdicts."""
    target = agg.target
    line = f"{agg.transport} {target}: " + final.text.replace(f"{target}: ", "", 1)
    line += saturation_note(summary)
    if verdicts:
        line += f" · assertions {sum(v.passed for v in verdicts)}/{len(verdicts)} pass"
    return line


def verdict_html(v: Verdict) -> str:
    colour, word = (PASS_COLOUR, "PASS") if v.passed else (FAIL_COLOUR, "FAIL")
    measured = measured_text(v.expression, v.measured)
    return (
        f'<b style="color:{colour}">{word}</b>&nbsp; {_escape(v.expression)}'
        f' <span style="color:#666">({_escape(measured)})</span>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SummaryCard(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 3, 6, 3)
        outer.setSpacing(1)
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.figures = QLabel("")
        self.figures.setWordWrap(True)
        self.saturation = QLabel("")  # the client (or mock) was the bottleneck
        self.saturation.setWordWrap(True)
        self.saturation.setStyleSheet(f"color: {FAIL_COLOUR}")
        self.verdicts = QLabel("")
        self.verdicts.setTextFormat(Qt.TextFormat.RichText)
        self.verdicts.setWordWrap(True)
        for label in (self.state, self.figures, self.saturation, self.verdicts):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            outer.addWidget(label)
        self.setToolTip("How the last run ended, its figures and its assertions' verdicts")
        self.shown: list[Verdict] = []
        self.setVisible(False)

    def show_run(
        self, final: FinalState, summary: Summary, verdicts: list[Verdict], problem: str = ""
    ) -> None:
        """Fill the card for a finished run; `problem`: why the thresholds were not
        checked (a bad expression)."""
        colour = state_colour(final.state)
        self.state.setStyleSheet(f"color: {colour}; font-weight: bold")
        self.state.setText(final.text)
        self.figures.setText(figures_text(summary))
        self.saturation.setText("\n".join(summary.saturation_lines()))
        self.saturation.setVisible(bool(summary.saturation_lines()))
        self.shown = list(verdicts)
        lines = [verdict_html(v) for v in verdicts]
        if problem:
            lines.append(
                f'<span style="color:{FAIL_COLOUR}">not checked: {_escape(problem)}</span>'
            )
        self.verdicts.setText("<br>".join(lines))
        self.verdicts.setVisible(bool(lines))
        self.setVisible(True)

    def reset(self) -> None:
        self.shown = []
        self.setVisible(False)

    @property
    def verdict_words(self) -> list[str]:
        """ "PASS p99<50ms" per verdict, for tests and the status bar."""
        return [f"{'PASS' if v.passed else 'FAIL'} {v.expression}" for v in self.shown]
