"""Eight connections started at once, WebRTC with its video preview among them: every
panel's elapsed clock keeps up with its data.

It did not: the engine's events crossed a 64 KiB pipe, which the GUI empties 30 times
a second, so about 2 MB/s got through; one WebRTC run's thumbnails need ~7 MB/s, and
every run's events queued behind them in the engine process. The panels' clocks ran
on while their data arrived seconds late, in bursts (6-8 s behind after 10 s, seen in
`tools/screenshots.py wide`).

What is checked is that backlog, not an absolute delay: the age of each panel's newest
data over the second half of the watch, against the first half (medians, so one stall
of a loaded machine, which delays every panel alike and then catches up, is not a
backlog). With the 64 KiB pipe the age grew by seconds; with the fix it stays flat.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator
from dataclasses import replace

import pytest

from app.core.events import now_ns
from app.gui.main_window import MainWindow
from server_mock.process import MockProcess

# the README's wide scene, lighter: the bug needs only the thumbnails (~7 MB/s, 320
# wide whatever the source) beside message runs; 640x480 video and 1,050 msg/s made a
# loaded 2-core machine's engine fall behind on its own, which is not what is tested
SPECS = [
    ("realtime", "mock/echo", 50.0),
    ("realtime", "mock/echo", 20.0),
    ("ws", "mock/echo/ws", 50.0),
    ("ws", "mock/echo/ws", 20.0),
    ("sse", "mock/diffusion", 0.0),
    ("realtime", "mock/echo", 20.0),
    ("ws", "mock/echo/ws", 50.0),
    ("webrtc", "mock/yolo", 0.0),
]
WATCH_S = 8.0  # of run time after every panel has data
AHEAD_LIMIT_S = 2.0  # growth of the median age allowed; the 64 KiB pipe grew it by 4-6 s
OVERLOADED_PER_CORE = 3.0  # load average per core above which the bound means nothing


@pytest.fixture(scope="module")
def mock_process() -> Iterator[str]:
    """The mock in its own process, as the app runs it (not sharing this GIL)."""
    with MockProcess() as base:
        yield base


def _event_ns(event: object) -> int | None:
    """When the engine made this measurement: a reply's arrival, a frame's, a stream
    event's, a getStats snapshot's (None for events without a time)."""
    for name in ("done_ns", "t_ns"):
        value = getattr(event, name, None)
        if isinstance(value, int):
            return value
    return None


def test_eight_panels_clocks_keep_up_with_their_data(qtbot, window: MainWindow, mock_process):
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    if load > OVERLOADED_PER_CORE * cores:
        # measured: at a load of 8-10 on 2 cores the engine process alone falls 2-7 s
        # behind, fix or not; a bound on how old the data is then says nothing
        pytest.skip(f"machine overloaded (load {load:.1f} on {cores} cores)")
    window.show_mock(mock_process)
    panels = []
    for transport, target, rate in SPECS:
        panel = window.add_connection_for(transport)
        settings = replace(panel.settings(), target=target, rate=rate)
        if transport == "webrtc":
            settings = replace(settings, video_size="320x240")
        panel.set_settings(settings)
        panels.append(panel)
    window.set_columns(2)
    ages: dict[int, list[tuple[float, float]]] = {}  # panel: (its clock, its data's age)
    since: dict[int, float] = {}  # panel index: its clock when its first data came
    newest: dict[int, int] = {}  # run id: the engine time of its newest measurement

    def arrived(run_id: int, events: list) -> None:
        times = [t for t in map(_event_ns, events) if t is not None]
        if times:
            newest[run_id] = max(newest.get(run_id, 0), *times)

    def watch() -> None:
        """After every drain: how old each panel's newest data is, against its clock."""
        now = now_ns()
        for i, panel in enumerate(panels):
            last = newest.get(panel.run_id) if panel.run_id is not None else None
            if last is None or panel.live is None or panel.live.timeline.origin_ns is None:
                continue  # nothing measured yet (connecting)
            since.setdefault(i, panel.live.elapsed_s)
            ages.setdefault(i, []).append((panel.live.elapsed_s, (now - last) / 1e9))

    window.bridge.sigBatch.connect(arrived)
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
            timeline = panel.live.timeline  # and the plots have data to follow
            assert timeline.received_total or timeline.frames_total, panel.title.text()
    finally:
        window.bridge.sigRedraw.disconnect(watch)
        window.bridge.sigBatch.disconnect(arrived)
        for panel in panels:
            panel.stop()
    growth: dict[str, float] = {}
    for i, seen in ages.items():
        start, stop = since[i], end
        middle = (start + stop) / 2
        first = [age for t, age in seen if start <= t < middle]
        second = [age for t, age in seen if middle <= t]
        assert first and second, f"{panels[i].title.text()}: no drains in a half of the watch"
        growth[panels[i].title.text()] = statistics.median(second) - statistics.median(first)
    late = {name: round(g, 2) for name, g in growth.items() if g > AHEAD_LIMIT_S}
    assert not late, f"data falling behind the clocks (median age growth, s): {late}"
    assert window.bridge.dropped == 0
