"""The progress bar moves when it grows by a pixel, not for every tick: QProgressBar
repaints at once on each setValue."""

from __future__ import annotations

from app.core.run_progress import Progress
from app.gui.run_progress import STEPS, RunProgress


def test_the_bar_moves_by_pixels_and_always_reaches_its_ends(qtbot) -> None:
    bar = RunProgress()
    qtbot.addWidget(bar)
    bar.resize(500 + 60, 20)
    bar.show()
    qtbot.waitExposed(bar)
    step = max(1, STEPS // max(1, bar.bar.width()))
    values = []
    bar.bar.valueChanged.connect(values.append)
    for i in range(STEPS + 1):
        bar.show_progress(Progress(i / STEPS, f"{i}"))
    assert values[-1] == STEPS and bar.value == 1.0
    if step > 1:
        assert len(values) < STEPS / step * 1.5  # not one repaint per step
    assert bar.text.text() == str(STEPS)
    bar.show_progress(Progress(0.0, "again"))
    assert bar.bar.value() == 0


def test_open_ended_runs_hide_the_bar_and_timed_ones_show_it(qtbot) -> None:
    bar = RunProgress()
    qtbot.addWidget(bar)
    assert bar.isHidden()
    bar.show_progress(Progress(None, "12 s"))
    assert not bar.isHidden() and bar.bar.isHidden() and bar.text.text() == "12 s"
    bar.show_progress(Progress(0.5, "half"))
    assert not bar.bar.isHidden() and bar.value == 0.5
    bar.finish()
    assert bar.isHidden()
    bar.show_progress(Progress(0.6, "again"))
    assert not bar.isHidden()
