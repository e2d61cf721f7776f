"""Eight connections started at once, WebRTC with its video preview among them: every
panel's elapsed clock keeps up with its data.

It did not: the engine's events crossed a 64 KiB pipe, which the GUI empties 30 times
a second, so about 2 MB/s got through; one WebRTC run's thumbnails need ~7 MB/s, and
every run's events queued behind them in the engine process. The panels' clocks ran
on while their data arrived seconds late, in bursts (6-8 s behind after 10 s, seen in
`tools/screenshots.py wide`).
"""

from __future__ import annotations

import os
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
AHEAD_LIMIT_S = 2.0  # generous: on a quiet machine the data is ~0.05 s behind
OVERLOADED_PER_CORE = 3.0  # load average per core above which the bound means nothing
STALL_FACTOR = 2.0  # a stall of the GUI thread excuses twice its length (the catch-up)


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
    ahead: dict[int, float] = {}  # panel index: how far its clock ran ahead, at most
    since: dict[int, float] = {}  # panel index: its clock when its first data came
    newest: dict[int, int] = {}  # run id: the engine time of its newest measurement

    def arrived(run_id: int, events: list) -> None:
        times = [t for t in map(_event_ns, events) if t is not None]
        if times:
            newest[run_id] = max(newest.get(run_id, 0), *times)

    drains = {"last": 0, "gap": 0.0}  # the engine time of the last drain, the longest gap

    def watch() -> None:
        """After every drain: how old each panel's newest data is by its own clock,
        beyond what the GUI thread's own stalls explain (a loaded machine can keep it
        from draining for seconds; data that old is not the pipe's doing)."""
        now = now_ns()
        if drains["last"]:
            drains["gap"] = max(drains["gap"], (now - drains["last"]) / 1e9)
        drains["last"] = now
        for i, panel in enumerate(panels):
            last = newest.get(panel.run_id) if panel.run_id is not None else None
            if last is None or panel.live is None or panel.live.timeline.origin_ns is None:
                continue  # nothing measured yet (connecting)
            since.setdefault(i, panel.live.elapsed_s)
            behind = (now - last) / 1e9 - STALL_FACTOR * drains["gap"]
            ahead[i] = max(ahead.get(i, 0.0), behind)

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
    late = {panels[i].title.text(): round(s, 2) for i, s in ahead.items() if s > AHEAD_LIMIT_S}
    gap = round(drains["gap"], 2)
    assert not late, f"clocks ahead of their data by (s, beyond GUI stalls up to {gap}): {late}"
    assert window.bridge.dropped == 0
