"""The HTML report's network part: the changes made during the run, and how the
video's resolution and bitrate followed them (WebRTC).

The changes are also drawn on every time plot (`marks.py`); here they are listed, with
their side, direction and full profile. Resolution is each second's frame width and
height in force per direction (`Timeline.resolution_series`); bitrate is getStats'
(`Timeline.stats_series`), which is what aiortc's encoder adapts (it keeps the size).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from app.core.report import plots
from app.core.report.model import Summary
from app.core.report.svg import BLUE, ORANGE, SKY, VERMILLION, esc
from app.core.report.timeline import Timeline


def _changes_table(changes: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{float(c.get('t_s', 0)):.1f} s</td><td>{esc(str(c.get('side', '')))}</td>"
        f"<td>{esc(str(c.get('direction', '')))}</td><td>{esc(str(c.get('name', '')))}</td>"
        f"<td>{esc(str(c.get('spec', ''))[:200])}</td>"
        f"<td>{'' if c.get('session') is None else esc(str(c.get('session')))}</td></tr>"
        for c in changes
    )
    return (
        "<h3>Network changes</h3><table><thead><tr><th>at</th><th>side</th>"
        "<th>direction</th><th>profile</th><th>in full</th><th>session</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _resolution_rows(resolution: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{d}</td><td>{esc(str(r.get('min')))}</td><td>{esc(str(r.get('median')))}</td>"
        f"<td>{esc(str(r.get('max')))}</td><td>{esc(str(r.get('changes')))}</td></tr>"
        for d, r in sorted(resolution.items())
        if isinstance(r, Mapping)
    )
    return (
        "<table><thead><tr><th>frames</th><th>min</th><th>median</th><th>max</th>"
        f"<th>changes</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def network_section(s: Summary, tl: Timeline) -> str:
    out = []
    if s.network_changes:
        out.append(_changes_table(s.network_changes))
    resolution = s.frames.resolution if s.frames is not None else {}
    if resolution:
        out.append("<h3>Resolution over time</h3>")
        out.append(_resolution_rows(resolution))
        lines = []
        for direction, colours in (("in", (BLUE, SKY)), ("out", (ORANGE, VERMILLION))):
            r = tl.resolution_series(direction)
            if len(r["t_s"]) and not np.isnan(r["width"]).all():
                t = r["t_s"]
                lines.append((f"width {direction}", np.nan_to_num(r["width"]), colours[0], ""))
                lines.append((f"height {direction}", np.nan_to_num(r["height"]), colours[1], "5 3"))
        if lines:
            out.append(plots.series_plot(t, lines, "Frame size per second", "pixels"))
    for session in tl.stats_sessions()[:1]:
        st = tl.stats_series(session)
        rates = [
            (label, np.nan_to_num(st[key]), colour, dash)
            for key, label, colour, dash in (
                ("bitrate_out_kbps", "bitrate out", ORANGE, ""),
                ("bitrate_in_kbps", "bitrate in", BLUE, "5 3"),
            )
            if len(st[key]) and not np.isnan(st[key]).all()
        ]
        if rates and len(st["t_s"]) > 1:
            out.append("<h3>Video bitrate over time</h3>")
            t = np.floor(st["t_s"])
            out.append(plots.series_plot(t, rates, f"Bitrate (session {session})", "kbit/s"))
    return "".join(out)
