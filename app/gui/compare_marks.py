"""The network changes of each compared run, as dashed lines on the compare view's
time plots (rates, fps), in the run's colour and labelled on the rates plot.

The changes come from each run's summary (`Summary.network_changes`, stored in the run
history with the rest of the summary), so a reopened run shows them as it did live.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt

from app.core.network.changes import label

MAX_MARKS_PER_RUN = 50


def mark_runs(view: Any, colour_of: Any) -> int:
    """Replace the view's marks with those of `view.runs`; returns how many were drawn."""
    for plot, line in getattr(view, "_network_marks", []):
        plot.removeItem(line)
    marks: list[tuple[Any, pg.InfiniteLine]] = []
    for index, run in enumerate(view.runs):
        changes = getattr(run.summary, "network_changes", ()) or ()
        for change in list(changes)[:MAX_MARKS_PER_RUN]:
            for i, plot in enumerate((view.rate, view.fps)):
                line = pg.InfiniteLine(
                    pos=float(change.get("t_s", 0.0)),
                    angle=90,
                    pen=pg.mkPen(colour_of(index), width=1.5, style=Qt.PenStyle.DashLine),
                    label=label(change) if i == 0 else None,
                    labelOpts={"position": 0.92, "color": colour_of(index)},
                )
                plot.addItem(line, ignoreBounds=True)
                marks.append((plot, line))
    view._network_marks = marks
    return len(marks) // 2
