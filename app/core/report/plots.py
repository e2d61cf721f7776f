"""The report's plots: latency over time, the latency histogram, per-second series.

Each returns an SVG plus its legend as HTML text, drawn with the kit in `svg.py`. Past
`MAX_DOTS` samples the latency plot becomes a per-pixel-column min/max envelope (every
outlier still reaches its column's bar) with p50 and p99 lines, and failure marks are
merged per pixel, so the file's size is bounded. The histogram's bars are the run's
HDR histogram counters, so they agree with the percentiles drawn over them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.core.metrics import LogBins, Percentiles
from app.core.report.fmt import fmt_count, fmt_ms
from app.core.report.svg import (
    BLUE,
    BOTTOM,
    COL_PX,
    GREY,
    LEFT,
    ORANGE,
    PURPLE,
    RIGHT,
    SKY,
    VERMILLION,
    WIDTH,
    Frame,
    Scale,
    columns,
    dash_attr,
    dots_path,
    envelope_path,
    esc,
    legend_html,
    line_path,
    log_ticks,
    polyline_path,
    time_ticks,
    x_time_scale,
    y_scale,
)
from app.core.report.timeline import OUTCOME_CODE

MAX_DOTS = 5_000
FAILURE_STYLE = (  # outcome, label, colour
    ("errored", "error", VERMILLION),
    ("dropped", "drop", ORANGE),
    ("timed_out", "timeout", PURPLE),
)


def _latency_scale_is_log(values: np.ndarray) -> bool:
    """Log when the tail would squash the body into a line at the bottom."""
    if not len(values):
        return False
    p50 = float(np.median(values))
    return p50 > 0 and float(values.max()) / p50 > 20


def latency_over_time(
    t: np.ndarray,
    ms: np.ndarray,
    fail_t: np.ndarray,
    fail_code: np.ndarray,
    title: str,
    ylabel: str = "latency (ms)",
) -> str:
    """Dots, or an envelope with p50/p99 lines; failures as ticks in rows above."""
    rows = FAILURE_STYLE
    show_rows = len(fail_t) > 0
    top = 14 + (len(rows) * 14 + 6 if show_rows else 0)
    height = 340 + (top - 14)
    right, bottom = WIDTH - RIGHT, height - BOTTOM
    all_t = np.concatenate((t, fail_t))
    lo_t, hi_t = (float(all_t.min()), float(all_t.max())) if len(all_t) else (0.0, 1.0)
    x = x_time_scale(min(lo_t, 0.0) if lo_t < 1 else lo_t, hi_t, right)
    log = _latency_scale_is_log(ms)
    y = (
        y_scale(float(ms.min()), float(ms.max()), top, bottom, log)
        if len(ms)
        else y_scale(0, 1, top, bottom, False)
    )
    ticks, tfmt, tlabel = time_ticks(x.lo, x.hi)
    frame = Frame(x, y, height, top, tlabel, ylabel + (" — log scale" if log else ""), ticks, tfmt)
    frame.time_axis = True
    body, keys = [], []
    if len(ms) <= MAX_DOTS:
        body.append(dots_path(x(t), y(ms), BLUE))
        keys.append(("dot", BLUE, "", f"each sample ({fmt_count(len(ms))})"))
    else:
        c = columns(x(t), ms, LEFT, right)
        body.append(envelope_path(c, y, SKY, 0.8))
        body.append(polyline_path(c.x, y(c.p50), BLUE, 1.6))
        body.append(polyline_path(c.x, y(c.p99), VERMILLION, 1.6, "5 3"))
        keys += [
            ("band", SKY, "", f"min-max per {COL_PX}px column ({fmt_count(len(ms))} samples)"),
            ("line", BLUE, "", "p50 per column"),
            ("line", VERMILLION, "5 3", "p99 per column"),
        ]
    if show_rows:
        body.append(_failure_rows(x, fail_t, fail_code, rows))
        for name, label, colour in rows:
            n = int(np.count_nonzero(fail_code == OUTCOME_CODE[name]))
            keys.append(("tick", colour, "", f"{label} ({fmt_count(n)})"))
    return frame.svg("".join(body), title) + legend_html(keys)


def _failure_rows(
    x: Scale, fail_t: np.ndarray, code: np.ndarray, rows: Sequence[tuple[str, str, str]]
) -> str:
    """One row of ticks per outcome, merged per pixel so a million errors stay small."""
    out = []
    for i, (name, label, colour) in enumerate(rows):
        y0 = 8 + i * 14
        out.append(f'<text x="{LEFT - 6}" y="{y0 + 9}" text-anchor="end">{esc(label)}</text>')
        hit = fail_t[code == OUTCOME_CODE[name]]
        if not len(hit):
            continue
        px = np.unique(np.round(x(hit)).astype(np.int64))
        d = "".join(f"M{p} {y0}v11" for p in px.tolist())
        out.append(f'<path d="{d}" stroke="{colour}" stroke-width="1.5"/>')
    return "".join(out)


def latency_histogram(bins: LogBins, pct: Percentiles, title: str) -> str:
    """The HDR histogram's counts on log-spaced bins, with the run's p50/p99/p99.9 over
    them; a non-empty bin is never drawn flat."""
    height, top = 300, 14
    right, bottom = WIDTH - RIGHT, height - BOTTOM
    edges = np.asarray(bins.edges_ms, dtype=np.float64)
    counts = np.asarray(bins.counts, dtype=np.int64)
    nonzero = np.nonzero(counts)[0]
    lo = 10.0 ** math.floor(math.log10(float(edges[nonzero[0]])) + 1e-9)
    hi = max(10.0 ** math.ceil(math.log10(float(edges[nonzero[-1] + 1])) - 1e-9), lo * 10)
    x = Scale(lo, hi, LEFT, right, log=True)
    y = y_scale(0, float(counts.max()), top, bottom, False)
    frame = Frame(x, y, height, top, "latency (ms, log scale)", "samples per bin")
    frame.x_ticks = log_ticks(x.lo, x.hi)
    body = []
    x0, x1 = x(edges[:-1]), x(edges[1:])
    for i in nonzero.tolist():
        a, b, n = float(x0[i]), float(x1[i]), int(counts[i])
        h = max(2.0, bottom - float(y(n)))
        body.append(
            f'<rect x="{a + 0.5:.1f}" y="{bottom - h:.1f}" width="{max(b - a - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="{BLUE}" fill-opacity="0.8"/>'
        )
    keys = [("band", BLUE, "", "samples per bin (non-empty bins at least 2 px tall)")]
    for value, label, colour, dash in (
        (pct.p50, "p50", "#000000", ""),
        (pct.p99, "p99", VERMILLION, "5 3"),
        (pct.p999, "p99.9", PURPLE, "2 2"),
    ):
        if value > 0 and x.lo <= value <= x.hi:
            px = float(x(value))
            body.append(
                f'<path d="M{px:.1f} {top}V{bottom}" stroke="{colour}" stroke-width="2"'
                f"{dash_attr(dash)}/>"
            )
            keys.append(("line", colour, dash, f"{label} {fmt_ms(value)} ms (whole run)"))
    return frame.svg("".join(body), title) + legend_html(keys)


def latency_scale_is_log(p50: np.ndarray, peak: np.ndarray) -> bool:
    """For per-second percentiles: log when the peaks would squash the medians flat."""
    body = p50[p50 > 0]
    return bool(len(body)) and float(peak.max()) / float(np.median(body)) > 20


def series_plot(
    t: np.ndarray,
    series: Sequence[tuple[str, np.ndarray, str, str]],
    title: str,
    ylabel: str,
    scale: float = 1.0,
    log: bool = False,
) -> str:
    """Per-second series as lines; past one point per column, min-max bands + mean lines.
    `log`: a log y axis (for latencies; values must be > 0)."""
    height, top = 280, 14
    right, bottom = WIDTH - RIGHT, height - BOTTOM
    x = x_time_scale(float(t[0]), float(t[-1]) + 1.0, right)
    peak = max(float(v.max()) for _, v, _, _ in series) / scale
    if log:
        low = min(float(v[v > 0].min()) if (v > 0).any() else peak for _, v, _, _ in series)
        y = y_scale(low / scale, peak, top, bottom, True)
    else:
        y = y_scale(0, peak if peak > 0 else 1.0, top, bottom, False)
    ticks, tfmt, tlabel = time_ticks(x.lo, x.hi)
    frame = Frame(x, y, height, top, tlabel, ylabel + (" — log scale" if log else ""), ticks, tfmt)
    frame.time_axis = True
    mid = x(t + 0.5)
    dense = len(t) > (right - LEFT) / COL_PX
    body, keys = [], []
    for label, values, colour, dash in series:
        v = values / scale
        if dense:
            c = columns(mid, v, LEFT, right)
            body.append(envelope_path(c, y, colour, 0.25))
            body.append(polyline_path(c.x, y(c.mean), colour, 1.8, dash))
        else:
            body.append(line_path(mid, y(v), colour, 1.8, dash))
        keys.append(("line", colour, dash, label))
    if dense:
        keys.append(("band", GREY, "", "shaded: min-max of the seconds in a column"))
    return frame.svg("".join(body), title) + legend_html(keys)
