"""The README's screenshots, taken from the real app against a real mock on 127.0.0.1.

Run on a virtual screen of the size wanted, for example:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/screenshots.py wide
    xvfb-run -a -s "-screen 0 1280x800x24"  .venv/bin/python tools/screenshots.py small

Scenes: `wide` (8 connections mid-run, 1920x1080), `small` (the default four at
1280x800), `webrtc` (one WebRTC connection, its plots and getStats), `compare` (two
connections, one with 5 ms of added latency, in the compare view), `network` (WebRTC
with the 3g network preset applied mid-run, marked on the plots), `network-preset`
(the same against the GUI's own embedded mock, on the WebRTC stats tab: bitrate, frame
size and getStats with the mark; written to assets/screenshot-network-stats.png). The others
write assets/screenshot-<scene>.png. Every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.gui.connection_panel import ConnectionPanel  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from server_mock.process import MockProcess  # noqa: E402

ASSETS = ROOT / "assets"
WAIT_LIMIT_S = 60.0


async def wait_until(
    check: Callable[[], bool], panels: list[ConnectionPanel], limit_s: float = WAIT_LIMIT_S
) -> None:
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            said = "; ".join(
                f"{p.title.text()}: {received(p)} back, {p.error.text() or 'no error'}"
                for p in panels
            )
            raise SystemExit(f"screenshots: a scene did not get ready in time ({said})")
        await asyncio.sleep(0.05)


async def settle(seconds: float) -> None:
    """Let live plots fill for a while (a scene, not a test: nothing is asserted)."""
    await asyncio.sleep(seconds)


def received(panel: ConnectionPanel) -> int:
    """Replies (or, for video, frames) that came back so far."""
    if panel.live is None:
        return 0
    s = panel.live.summary()
    return s.received + (s.frames.frames_in if s.frames is not None else 0)


def shoot(widget: QWidget, name: str) -> Path:
    path = ASSETS / OUTPUT.get(name, f"screenshot-{name}.png")
    if not widget.grab().save(str(path), "PNG"):
        raise SystemExit(f"screenshots: could not write {path}")
    print(f"wrote {path.relative_to(ROOT)} ({widget.width()}x{widget.height()})")
    return path


def add(
    window: MainWindow, transport: str, target: str, rate: float, **kw: object
) -> ConnectionPanel:
    panel = window.add_connection_for(transport)
    if "?" in target:  # faults by query: a URL to the mock, as an app id takes none
        path, query = target.split("?", 1)
        route = {"realtime": "/realtime", "webrtc": "/webrtc"}.get(transport, "")
        base = (window.mock_base or "").replace("http://", "ws://")
        target = f"{base}/{path}{route}?{query}"
    panel.set_settings(replace(panel.settings(), target=target, rate=rate, **kw))  # type: ignore[arg-type]
    return panel


async def wide(window: MainWindow) -> QWidget:
    specs = [
        ("realtime", "mock/echo", 200.0),
        ("realtime", "mock/echo?latency_ms=3&jitter_ms=1", 100.0),
        ("ws", "mock/echo/ws", 200.0),
        ("ws", "mock/echo/ws?latency_ms=8&jitter_ms=4", 50.0),
        ("sse", "mock/diffusion", 0.0),
        ("realtime", "mock/echo?drop=0.02", 100.0),
        ("ws", "mock/echo/ws?latency_ms=1", 300.0),
        ("webrtc", "mock/yolo", 0.0),
    ]
    panels = [add(window, t, target, rate) for t, target, rate in specs]
    window.set_columns(2)
    for panel in panels:
        panel.start()
    await wait_until(
        lambda: all(received(p) > 0 or p.live.summary().frames for p in panels), panels
    )
    await settle(8)
    window.select_connection(panels[0])
    await settle(1)  # the panels scrolled into view draw on the next redraw ticks
    return window


async def small(window: MainWindow) -> QWidget:
    panels = [
        add(window, "realtime", "mock/echo", 100.0),
        add(window, "ws", "mock/echo/ws?latency_ms=2", 100.0),
    ]
    for panel in panels:
        panel.start()
    await wait_until(lambda: all(received(p) > 0 for p in panels), panels)
    await settle(6)
    return window


async def webrtc(window: MainWindow) -> QWidget:
    panel = add(window, "webrtc", "mock/yolo", 0.0)
    window.set_focus_mode(True)
    panel.start()
    await wait_until(lambda: received(panel) > 0, [panel])
    # a few getStats rounds, so every stats plot has a line
    await wait_until(
        lambda: panel.live is not None and panel.live.timeline.stats_total > 8, [panel]
    )
    await settle(3)
    panel.views.setCurrentWidget(panel.stats_plots)
    await settle(1)
    return window


async def compare(window: MainWindow) -> QWidget:
    a = add(window, "realtime", "mock/echo", 200.0)
    b = add(window, "realtime", "mock/echo?latency_ms=5&jitter_ms=2", 200.0)
    for panel in (a, b):
        panel.start(duration_s=6)
    await wait_until(lambda: all(p.final_state is not None for p in (a, b)), [a, b], 30)
    view = window.history.compare_connections()
    view.resize(1400, 900)
    await settle(1.5)
    return view


async def network(window: MainWindow) -> QWidget:
    """WebRTC at 640x480@30, then the 3g preset applied mid-run from the faults dock:
    the marker on every time plot, and frame latency and fps after it."""
    panel = add(window, "webrtc", "mock/yolo", 0.0)
    window.set_focus_mode(True)
    window.fault_dock.show()
    panel.start(duration_s=170)
    await wait_until(lambda: received(panel) > 90, [panel])
    section = window.fault_bar.network
    section.set_spec("3g")
    section.apply_button.click()
    t_mark = panel.network_marks[-1][0]  # on the run's clock; a loaded GUI shows it late

    def shown_past_mark() -> bool:
        t = panel.live.timeline.frame_latency()[0] if panel.live else []
        return len(t) > 0 and float(t[-1]) > t_mark + 6

    await wait_until(shown_past_mark, [panel], 150)
    panel.views.setCurrentWidget(panel.plots)
    await settle(1)
    return window


async def network_preset(window: MainWindow) -> QWidget:
    """The embedded mock (the toolbar's), a WebRTC run to it, the 3g preset applied
    mid-run from the faults dock: the mark on the stats tab's time axis (bitrate, frame
    size, loss, RTT, jitter, hold) with the figures after it."""
    window.mock_action.setChecked(True)
    await wait_until(lambda: bool(window.mock_base), [], 30)
    panel = add(window, "webrtc", "mock/yolo", 0.0)
    window.set_focus_mode(True)
    window.fault_dock.show()
    panel.views.setCurrentWidget(panel.stats_plots)
    panel.start(duration_s=170)
    await wait_until(lambda: received(panel) > 90 and panel.live.timeline.stats_total > 6, [panel])
    section = window.fault_bar.network
    section.set_spec("3g")
    section.apply_button.click()
    t_mark = panel.network_marks[-1][0]

    def stats_past_mark() -> bool:
        t = panel.live.timeline.stats_series(0)["t_s"] if panel.live else []
        return len(t) > 0 and float(t[-1]) > t_mark + 8

    await wait_until(stats_past_mark, [panel], 150)
    await settle(1)
    return window


OUTPUT = {"network-preset": "screenshot-network-stats.png"}
EMBEDDED = {"network-preset"}  # scenes that start the GUI's own mock

SCENES = {
    "wide": wide,
    "small": small,
    "webrtc": webrtc,
    "compare": compare,
    "network": network,
    "network-preset": network_preset,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scene", choices=sorted(SCENES))
    args = parser.parse_args()
    import qasync

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="rtprobe-shots-"))
    os.environ["RTPROBE_HISTORY"] = str(tmp / "history.sqlite3")  # not the user's history

    async def run(base: str | None) -> None:
        settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, autosave=False)
        if base is not None:
            window.show_mock(base)
        screen = app.primaryScreen().availableGeometry()
        window.setGeometry(screen)
        window.show()
        try:
            shot = await SCENES[args.scene](window)
            shoot(shot, args.scene)
        finally:
            window.shutdown()
            window.close()

    if args.scene in EMBEDDED:
        qasync.run(run(None))
        return 0
    # the mock in its own process, as the app runs it: not sharing the GUI's interpreter
    with MockProcess() as base:
        qasync.run(run(base))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
