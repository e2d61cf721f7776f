"""Waiting on a GUI connection panel's run, bounded (pytest-qt's `waitUntil`)."""

from __future__ import annotations

from typing import Any

from app.gui.connection_panel import ConnectionPanel


def wait_ended(qtbot: Any, panel: ConnectionPanel, timeout_ms: int = 20_000) -> str:
    """Until the run is over however it ended (finished, failed, stopped) and the
    panel showed it, with the log and counters flushed; its final state's word."""
    qtbot.waitUntil(
        lambda: (
            panel.live is not None
            and panel.live.finished
            and panel.final_state is not None
            and panel.counter_labels["state"].text().startswith(panel.final_state.state)
        ),
        timeout=timeout_ms,
    )
    assert panel.final_state is not None
    return panel.final_state.state


def wait_finished(qtbot: Any, panel: ConnectionPanel, timeout_ms: int = 20_000) -> None:
    """Until the run is over and the panel showed it: the state counter says how it
    ended, with the log and plots filled (a failed or stopped run counts as over)."""
    wait_ended(qtbot, panel, timeout_ms)
