"""Waiting on a GUI connection panel's run, bounded (pytest-qt's `waitUntil`)."""

from __future__ import annotations

from typing import Any

from app.gui.connection_panel import ConnectionPanel


def wait_finished(qtbot: Any, panel: ConnectionPanel, timeout_ms: int = 20_000) -> None:
    """Until the run is over and the redraw after its last batch showed it: the
    counters say "finished" only on that redraw, with the log and plots filled."""
    qtbot.waitUntil(
        lambda: (
            panel.live is not None
            and panel.live.finished
            and panel.counter_labels["state"].text() == "finished"
        ),
        timeout=timeout_ms,
    )
