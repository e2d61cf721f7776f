"""Applying a network profile live, and marking the change on every plot's time axis.

On Apply, by the section's side: the embedded mock gets the profile (`PUT
/_mock/network`: its WebRTC peers and the byte-stream toxics of every connection), each
running WebRTC run gets it in its client (`act("network", spec)`: RTP/RTCP impaired both
ways) or on the mock's side of its sessions alone (`act("mock_network", spec)`), and
every running panel's plots get a labelled vertical line at the moment of the change, on
the run's clock. The run records each change (a NetworkChange event) for its reports.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import pyqtgraph as pg
from PySide6.QtCore import Qt

from app.core.network.profile import describe, parse_profile
from app.core.sessions import registry

MARK_COLOUR = "#7b3294"


class _Panel(Protocol):
    run_id: int | None
    live: Any
    plots: Any
    stats_plots: Any

    @property
    def running(self) -> bool: ...


def plot_items(panel: _Panel) -> list[pg.PlotItem]:
    """Every plot of the panel with run time on its x axis."""
    items = [panel.plots.rtt, panel.plots.rates]
    items += list(getattr(panel.stats_plots, "plots", {}).values())
    return items


def mark(panel: _Panel, t_s: float, label: str) -> list[pg.InfiniteLine]:
    """A vertical line at `t_s` on each time plot; its label on the top one only. The
    marks of an earlier run of the panel go first."""
    if getattr(panel, "network_marks_run", None) != panel.run_id:
        clear_marks(panel)
        panel.network_marks_run = panel.run_id  # type: ignore[attr-defined]
    lines = []
    for i, plot in enumerate(plot_items(panel)):
        line = pg.InfiniteLine(
            pos=t_s,
            angle=90,
            pen=pg.mkPen(MARK_COLOUR, width=2, style=Qt.PenStyle.DashLine),
            label=label if i == 0 else None,
            labelOpts={
                "position": 0.95,
                "color": "w",
                "fill": MARK_COLOUR,
                "anchors": [(0, 0), (0, 0)],
            },
        )
        line.setZValue(5)
        plot.addItem(line, ignoreBounds=True)
        lines.append(line)
    markers = getattr(panel, "network_marks", None)
    if markers is None:
        markers = []
        panel.network_marks = markers  # type: ignore[attr-defined]
    markers.append((t_s, label, lines))
    return lines


def clear_marks(panel: _Panel) -> None:
    for _t, _label, lines in getattr(panel, "network_marks", []):
        for line in lines:
            scene = line.scene()
            if scene is not None:
                scene.removeItem(line)
    panel.network_marks = []  # type: ignore[attr-defined]


def run_seconds(panel: _Panel) -> float | None:
    """Now, on the panel's run clock: the engine stamps events with perf_counter, which
    every process of the machine shares (CLOCK_MONOTONIC); None before the first event.
    Not the newest event the panel has seen: on a loaded machine those arrive late."""
    origin = getattr(getattr(panel.live, "timeline", None), "origin_ns", None)
    if origin is None:
        return None
    return (time.perf_counter_ns() - origin) / 1e9


def apply_network(window: Any, spec: str, side: str | None = None) -> int:
    """Apply `spec` where the network section's side says (`both`: the whole embedded
    mock and every running WebRTC client; `client`; `mock`: the mock's side of each
    running WebRTC session alone); returns how many running panels were marked. Each
    change reaches the run as a NetworkChange event, so saved runs keep it."""
    profile = parse_profile(spec)
    if side is None:
        section = getattr(getattr(window, "fault_bar", None), "network", None)
        side = section.side() if section is not None else "both"
    label = f"net: {profile.name or spec}" + (f" ({side})" if side != "both" else "")
    whole_mock = side == "both" and bool(getattr(window, "mock_base", None))
    if whole_mock:
        window.mock.set_network(spec)
    marked = 0
    for panel in window.panels:
        if not panel.running or panel.run_id is None:
            continue
        webrtc = registry.fact(panel.live.aggregator.transport, "impairs_packets")
        if webrtc and side in ("both", "client"):
            window.bridge.act(panel.run_id, "network", spec)
        # the mock's side of one session: all but SSE, whose every request is its own
        one_connection = not registry.fact(panel.live.aggregator.transport, "streams_events")
        if one_connection and side == "mock":
            window.bridge.act(panel.run_id, "mock_network", spec)
        if whole_mock:
            window.bridge.act(panel.run_id, "network_mark", spec)
        t_s = run_seconds(panel)
        if t_s is not None:
            mark(panel, t_s, label)
            marked += 1
    window.statusBar().showMessage(describe(profile) + ("" if side == "both" else f" ({side})"))
    return marked
