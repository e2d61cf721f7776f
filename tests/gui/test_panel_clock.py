"""Eight connections started at once, WebRTC with its video preview among them: every
panel's elapsed clock keeps up with its data.

It did not: the engine's events crossed a 64 KiB pipe, which the GUI empties 30 times
a second, so about 2 MB/s got through; one WebRTC run's thumbnails need ~7 MB/s, and
every run's events queued behind them in the engine process. The panels' clocks ran
on while their data arrived seconds late, in bursts (6-8 s behind after 10 s, seen in
`tools/screenshots.py wide`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from app.core.events import now_ns
from app.gui.connection_panel import ConnectionPanel
from app.gui.main_window import MainWindow
from server_mock.process import MockProcess

SPECS = [  # the README's wide screenshot
    ("realtime", "mock/echo", 200.0),
    ("realtime", "mock/echo", 100.0),
    ("ws", "mock/echo/ws", 200.0),
    ("ws", "mock/echo/ws", 50.0),
    ("sse", "mock/diffusion", 0.0),
    ("realtime", "mock/echo", 100.0),
    ("ws", "mock/echo/ws", 300.0),
    ("webrtc", "mock/yolo", 0.0),
]
WATCH_S = 8.0  # of run time after every panel has data
AHEAD_LIMIT_S = 2.0  # generous: on a quiet machine the data is ~0.05 s behind


@pytest.fixture(scope="module")
def mock_process() -> Iterator[str]:
    """The mock in its own process, as the app runs it (not sharing this GIL)."""
    with MockProcess() as base:
        yield base


def _newest_ns(panel: ConnectionPanel) -> int | None:
    """The engine time of the newest measurement the panel holds (a reply's arrival,
    or a video frame's), None before the first."""
    live = panel.live
    if live is None or live.timeline.origin_ns is None:
        return None
    timeline = live.timeline
    timeline.flush()
    newest = timeline.max_t_s
    frame_t, _ = timeline.frame_latency()
    if len(frame_t):
        newest = max(newest, float(np.max(frame_t)))
    if newest <= 0:
        return None
    return timeline.origin_ns + round(newest * 1e9)


def test_eight_panels_clocks_keep_up_with_their_data(qtbot, window: MainWindow, mock_process):
    window.show_mock(mock_process)
    panels = []
    for transport, target, rate in SPECS:
        panel = window.add_connection_for(transport)
        panel.set_settings(replace(panel.settings(), target=target, rate=rate))
        panels.append(panel)
    window.set_columns(2)
    ahead: dict[int, float] = {}  # panel index: how far its clock ran ahead, at most
    since: dict[int, float] = {}  # panel index: its clock when its first data came

    def watch() -> None:
        """After every drain: how old each panel's newest data is by its own clock."""
        now = now_ns()
        for i, panel in enumerate(panels):
            newest = _newest_ns(panel)
            if newest is None or panel.live is None:
                continue
            since.setdefault(i, panel.live.elapsed_s)
            ahead[i] = max(ahead.get(i, 0.0), (now - newest) / 1e9)

    window.bridge.sigRedraw.connect(watch)
    try:
        for panel in panels:
            assert panel.start()
        qtbot.waitUntil(lambda: len(since) == len(panels), timeout=30_000)
        end = max(since.values()) + WATCH_S
        qtbot.waitUntil(
            lambda: all(p.live is not None and p.live.elapsed_s > end for p in panels),
            timeout=round((WATCH_S + 20) * 1000),
        )
        for panel in panels:
            assert panel.live is not None and not panel.live.finished, panel.live.last_error
    finally:
        window.bridge.sigRedraw.disconnect(watch)
        for panel in panels:
            panel.stop()
    late = {panels[i].title.text(): round(s, 2) for i, s in ahead.items() if s > AHEAD_LIMIT_S}
    assert not late, f"clocks ahead of their data by (s): {late}"
    assert window.bridge.dropped == 0
