"""A self-contained HTML report: one file, inline CSS and SVG, opens without a network.

The plots are drawn here rather than with a plotting library so the file has no
scripts, no fonts and no URLs, and its size is bounded: past `MAX_DOTS` samples
the latency plot becomes a per-pixel-column min/max envelope (every outlier still
reaches its column's bar) with p50 and p99 lines, and failure marks are merged
per pixel. All text from the run (target, error messages, connection info) is
escaped.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.core.report.timeline import OUTCOME_CODE, Timeline

MAX_DOTS = 5_000
WIDTH = 960  # SVG user units; the SVG scales to the page width
LEFT, RIGHT, BOTTOM = 76, 24, 46
COL_PX = 2  # envelope column width
PER_DECADE = 20  # histogram buckets

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
BLUE, ORANGE, SKY, GREEN, VERMILLION, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#555555",
)
FAILURE_STYLE = (  # outcome, label, colour
    ("errored", "error", VERMILLION),
    ("dropped", "drop", ORANGE),
    ("timed_out", "timeout", PURPLE),
)
LATENCIES = (  # summary key, label
    ("rtt_ms", "Round trip (RTT)"),
    ("server_ms", "Server time"),
    ("network_ms", "Network (RTT - server)"),
    ("time_to_first_event_ms", "Time to first event"),
    ("frame_latency_ms", "Frame latency"),
    ("frame_hold_ms", "Jitter-buffer hold"),
    ("send_lag_ms", "Send lag (client late)"),
)
PCT_COLUMNS = (("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p999", "p99.9"))

CSS = """
:root{color-scheme:light;--fg:#1b1b1b;--muted:#555;--line:#d6d6d6;--bg:#fff;--alt:#f5f7f9}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1040px;padding:24px 28px 48px;color:var(--fg);background:var(--bg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:22px 0 4px}
.target{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px;word-break:break-all;
color:var(--muted);margin:0 0 12px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;margin:4px 0;font-variant-numeric:tabular-nums}
th,td{padding:4px 12px;border-bottom:1px solid var(--line);text-align:right}
th{font-weight:600;background:var(--alt)}
th:first-child,td:first-child{text-align:left}
table.msg td:first-child,table.kv td:last-child{text-align:left;font-size:13px;
font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;max-width:760px}
table.kv th{text-align:left}
tr.total td{font-weight:600}
.ok{color:#006b4f;font-weight:600}.bad{color:#b33c00;font-weight:600}
.note{color:var(--muted);font-size:13px;margin:4px 0}
ul.legend{list-style:none;padding:0;margin:2px 0 0;display:flex;flex-wrap:wrap;gap:4px 18px;
font-size:13px}
ul.legend svg{vertical-align:middle;margin-right:5px}
svg.plot{width:100%;height:auto;display:block}
svg.plot text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#333}
.cols{display:flex;flex-wrap:wrap;gap:12px 40px;align-items:flex-start}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}svg.plot{break-inside:avoid}}
"""


# -- text ------------------------------------------------------------------------
def esc(value: object) -> str:
    """HTML-escape run text; `://` is written as an entity so no URL appears in the file."""
    return html.escape(str(value), quote=True).replace("://", "&#58;//")


def fmt_ms(v: float) -> str:
    """Milliseconds with about four significant digits."""
    v = float(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    if abs(v) >= 10:
        return f"{v:.2f}"
    return f"{v:.3f}"


def fmt_count(n: float) -> str:
    return f"{int(n):,}"


def fmt_bytes(n: float, suffix: str = "") -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}{suffix}"
    return f"{n:.0f} B{suffix}"


def fmt_duration(s: float) -> str:
    if s < 120:
        return f"{s:.3f} s"
    h, rest = divmod(round(s), 3600)
    m, sec = divmod(rest, 60)
    return f"{h} h {m:02d} m {sec:02d} s" if h else f"{m} m {sec:02d} s"


def _num(v: float) -> str:
    """Short tick label: 0.5, 12, 2.5k, 3M."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{float(f'{v:.6g}'):g}"


# -- scales and axes -------------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    """Data range lo..hi onto pixels p0..p1 (p1 < p0 for a y axis), linear or log10."""

    lo: float
    hi: float
    p0: float
    p1: float
    log: bool = False

    def __call__(self, value: np.ndarray | float) -> np.ndarray:
        v: np.ndarray = np.asarray(value, dtype=np.float64)
        if self.log:
            v = np.log10(np.maximum(v, self.lo))
            lo, hi = math.log10(self.lo), math.log10(self.hi)
        else:
            lo, hi = self.lo, self.hi
        return self.p0 + (v - lo) / (hi - lo) * (self.p1 - self.p0)


def _nice_step(span: float, target: int = 6) -> float:
    raw = max(span, 1e-12) / target
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if raw <= m * mag * 1.0000001)


def linear_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    step = _nice_step(hi - lo, target)
    first = math.ceil(lo / step - 1e-9) * step
    count = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + i * step, 12) for i in range(max(count, 0))]


def log_ticks(lo: float, hi: float) -> list[float]:
    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    mults = (1, 2, 5) if len(decades) <= 4 else (1,)
    ticks = [m * 10.0**d for d in decades for m in mults]
    return [t for t in ticks if lo * 0.999 <= t <= hi * 1.001]


_TIME_STEPS: tuple[float, ...] = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5)
_TIME_STEPS += (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def time_ticks(lo: float, hi: float) -> tuple[list[float], Callable[[float], str], str]:
    """Ticks in seconds since start, with a clock-like label for long runs."""
    step = next((s for s in _TIME_STEPS if (hi - lo) / s <= 8), _TIME_STEPS[-1])
    ticks = linear_ticks_step(lo, hi, step)
    if hi <= 180:
        return ticks, lambda t: f"{t:g}", "time since start (s)"
    if hi <= 7200:
        return ticks, lambda t: f"{int(t // 60)}:{int(t % 60):02d}", "time since start (m:ss)"
    return ticks, lambda t: f"{int(t // 3600)}:{int(t % 3600 // 60):02d}", "time since start (h:mm)"


def linear_ticks_step(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9) * step
    n = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + i * step, 9) for i in range(max(n, 0))]


def _y_scale(lo: float, hi: float, top: float, bottom: float, log: bool) -> Scale:
    if log:
        lo = 10 ** math.floor(math.log10(max(lo, 1e-3)))
        hi = max(10 ** math.ceil(math.log10(max(hi, 1e-3))), lo * 10)
        return Scale(lo, hi, bottom, top, log=True)
    hi = max(hi, 1e-9)
    step = _nice_step(hi)
    return Scale(0.0, math.ceil(hi / step - 1e-9) * step, bottom, top)


def _x_time_scale(lo: float, hi: float, right: float) -> Scale:
    if hi <= lo:
        hi = lo + 1.0
    return Scale(lo, hi, LEFT, right)


@dataclass
class Frame:
    """The box, grid, ticks and axis labels of one plot."""

    x: Scale
    y: Scale
    height: int
    top: int
    xlabel: str
    ylabel: str
    x_ticks: Sequence[float] = ()
    x_fmt: Callable[[float], str] = _num

    def svg(self, body: str, title: str) -> str:
        right, bottom = WIDTH - RIGHT, self.height - BOTTOM
        out = [
            f'<svg class="plot" viewBox="0 0 {WIDTH} {self.height}" role="img" '
            f'aria-label="{esc(title)}"><title>{esc(title)}</title>',
            f'<rect x="{LEFT}" y="{self.top}" width="{right - LEFT}" height="{bottom - self.top}" '
            'fill="#fbfcfd" stroke="#bbb"/>',
        ]
        yt = log_ticks(self.y.lo, self.y.hi) if self.y.log else linear_ticks(self.y.lo, self.y.hi)
        for v in yt:
            py = float(self.y(v))
            major = not self.y.log or math.isclose(math.log10(v) % 1, 0, abs_tol=1e-9)
            colour = "#d9d9d9" if major else "#eeeeee"
            out.append(f'<path d="M{LEFT} {py:.1f}H{right}" stroke="{colour}"/>')
            if major or len(yt) <= 12:
                out.append(
                    f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end">{esc(_num(v))}</text>'
                )
        for v in self.x_ticks:
            px = float(self.x(v))
            if LEFT - 0.5 <= px <= right + 0.5:
                out.append(f'<path d="M{px:.1f} {self.top}V{bottom}" stroke="#eeeeee"/>')
                out.append(f'<path d="M{px:.1f} {bottom}v5" stroke="#888"/>')
                out.append(
                    f'<text x="{px:.1f}" y="{bottom + 18}" text-anchor="middle">'
                    f"{esc(self.x_fmt(v))}</text>"
                )
        mid_y = (self.top + bottom) / 2
        out.append(
            f'<text x="{(LEFT + right) / 2:.0f}" y="{self.height - 8}" text-anchor="middle">'
            f"{esc(self.xlabel)}</text>"
        )
        out.append(
            f'<text transform="translate(16 {mid_y:.0f}) rotate(-90)" text-anchor="middle">'
            f"{esc(self.ylabel)}</text>"
        )
        out.append(body)
        out.append("</svg>")
        return "".join(out)


# -- marks -----------------------------------------------------------------------
def _dash(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _dots(px: np.ndarray, py: np.ndarray, colour: str) -> str:
    d = "".join(f"M{x:.1f} {y:.1f}h0" for x, y in zip(px.tolist(), py.tolist(), strict=True))
    return (
        f'<path d="{d}" stroke="{colour}" stroke-opacity="0.65" stroke-width="3.5" '
        'stroke-linecap="round" fill="none"/>'
    )


def _polyline(px: np.ndarray, py: np.ndarray, colour: str, width: float, dash: str = "") -> str:
    """A line through the points, broken wherever `px` jumps by more than a column."""
    if not len(px):
        return ""
    parts, prev = [], None
    for x, y in zip(px.tolist(), py.tolist(), strict=True):
        cmd = "L" if prev is not None and x - prev <= COL_PX * 1.5 + 0.01 else "M"
        parts.append(f"{cmd}{x:.1f} {y:.1f}")
        prev = x
    return (
        f'<path d="{"".join(parts)}" stroke="{colour}" stroke-width="{width}" fill="none" '
        f'stroke-linejoin="round"{_dash(dash)}/>'
    )


def _line(px: np.ndarray, py: np.ndarray, colour: str, width: float, dash: str = "") -> str:
    """A continuous line (per-second series have no gaps: empty seconds are zeros)."""
    if not len(px):
        return ""
    d = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in zip(px.tolist(), py.tolist(), strict=True))
    return (
        f'<path d="{d}" stroke="{colour}" stroke-width="{width}" fill="none" '
        f'stroke-linejoin="round"{_dash(dash)}/>'
    )


@dataclass(frozen=True)
class Columns:
    """Per-pixel-column order statistics of (x, y) points."""

    x: np.ndarray  # column centre, px
    lo: np.ndarray
    hi: np.ndarray
    p50: np.ndarray
    p99: np.ndarray
    mean: np.ndarray


def columns(px: np.ndarray, y: np.ndarray, left: float, right: float) -> Columns:
    """Group points by pixel column; min and max keep every outlier visible."""
    n_cols = max(1, int((right - left) // COL_PX))
    col = np.clip(((px - left) // COL_PX).astype(np.int64), 0, n_cols - 1)
    order = np.lexsort((y, col))
    ys, cs = y[order], col[order]
    uniq, start, counts = np.unique(cs, return_index=True, return_counts=True)
    last = start + counts - 1
    sums = np.add.reduceat(ys, start) if len(ys) else np.zeros(0)
    return Columns(
        x=left + (uniq + 0.5) * COL_PX,
        lo=ys[start],
        hi=ys[last],
        p50=ys[start + (counts - 1) // 2],
        p99=ys[start + np.floor(0.99 * (counts - 1)).astype(np.int64)],
        mean=sums / counts,
    )


def _envelope(c: Columns, y: Scale, colour: str, opacity: float = 0.45) -> str:
    top, bot = y(c.hi), y(c.lo)
    d = "".join(
        f"M{x:.1f} {max(b, t) + 0.75:.1f}V{t - 0.75:.1f}"
        for x, t, b in zip(c.x.tolist(), top.tolist(), bot.tolist(), strict=True)
    )
    return (
        f'<path d="{d}" stroke="{colour}" stroke-opacity="{opacity}" '
        f'stroke-width="{COL_PX}" fill="none"/>'
    )


def _swatch(kind: str, colour: str, dash: str = "") -> str:
    if kind == "dot":
        mark = f'<circle cx="9" cy="6" r="3.5" fill="{colour}"/>'
    elif kind == "band":
        mark = f'<rect x="1" y="1" width="16" height="10" fill="{colour}" fill-opacity="0.45"/>'
    elif kind == "tick":
        mark = f'<path d="M9 1V11" stroke="{colour}" stroke-width="2.5"/>'
    else:
        mark = f'<path d="M1 6H21" stroke="{colour}" stroke-width="2.5"{_dash(dash)}/>'
    return f'<svg width="22" height="12" aria-hidden="true">{mark}</svg>'


def _legend(items: Sequence[tuple[str, str, str, str]]) -> str:
    """Items are (kind, colour, dash, label)."""
    lis = "".join(
        f"<li>{_swatch(kind, colour, dash)}{esc(label)}</li>" for kind, colour, dash, label in items
    )
    return f'<ul class="legend">{lis}</ul>'


# -- plots -----------------------------------------------------------------------
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
    x = _x_time_scale(min(lo_t, 0.0) if lo_t < 1 else lo_t, hi_t, right)
    log = _latency_scale_is_log(ms)
    y = (
        _y_scale(float(ms.min()), float(ms.max()), top, bottom, log)
        if len(ms)
        else _y_scale(0, 1, top, bottom, False)
    )
    ticks, tfmt, tlabel = time_ticks(x.lo, x.hi)
    frame = Frame(x, y, height, top, tlabel, ylabel + (" — log scale" if log else ""), ticks, tfmt)
    body, legend = [], []
    if len(ms) <= MAX_DOTS:
        body.append(_dots(x(t), y(ms), BLUE))
        legend.append(("dot", BLUE, "", f"each sample ({fmt_count(len(ms))})"))
    else:
        c = columns(x(t), ms, LEFT, right)
        body.append(_envelope(c, y, SKY, 0.8))
        body.append(_polyline(c.x, y(c.p50), BLUE, 1.6))
        body.append(_polyline(c.x, y(c.p99), VERMILLION, 1.6, "5 3"))
        legend += [
            ("band", SKY, "", f"min-max per {COL_PX}px column ({fmt_count(len(ms))} samples)"),
            ("line", BLUE, "", "p50 per column"),
            ("line", VERMILLION, "5 3", "p99 per column"),
        ]
    if show_rows:
        body.append(_failure_rows(x, fail_t, fail_code, rows))
        for name, label, colour in rows:
            n = int(np.count_nonzero(fail_code == OUTCOME_CODE[name]))
            legend.append(("tick", colour, "", f"{label} ({fmt_count(n)})"))
    return frame.svg("".join(body), title) + _legend(legend)


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


def latency_histogram(ms: np.ndarray, summary_pct: dict[str, Any], title: str) -> str:
    """Counts on log-spaced buckets; a non-empty bucket is never drawn flat."""
    height, top = 300, 14
    right, bottom = WIDTH - RIGHT, height - BOTTOM
    ms = np.maximum(ms, 1e-3)
    lo_d = math.floor(math.log10(float(ms.min())))
    hi_d = max(math.ceil(math.log10(float(ms.max()) * 1.000001)), lo_d + 1)
    edges = 10.0 ** (np.arange(lo_d * PER_DECADE, hi_d * PER_DECADE + 1) / PER_DECADE)
    counts, _ = np.histogram(ms, bins=edges)
    x = Scale(10.0**lo_d, 10.0**hi_d, LEFT, right, log=True)
    y = _y_scale(0, float(counts.max()), top, bottom, False)
    frame = Frame(x, y, height, top, "latency (ms, log scale)", "samples per bucket")
    frame.x_ticks = log_ticks(x.lo, x.hi)
    body = []
    x0, x1 = x(edges[:-1]), x(edges[1:])
    for a, b, n in zip(x0.tolist(), x1.tolist(), counts.tolist(), strict=True):
        if n:
            h = max(2.0, bottom - float(y(n)))
            body.append(
                f'<rect x="{a + 0.5:.1f}" y="{bottom - h:.1f}" width="{max(b - a - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{BLUE}" fill-opacity="0.8"/>'
            )
    legend = [("band", BLUE, "", "samples per bucket (non-empty buckets at least 2 px tall)")]
    for key, label, colour, dash in (
        ("p50", "p50", "#000000", ""),
        ("p99", "p99", VERMILLION, "5 3"),
        ("p999", "p99.9", PURPLE, "2 2"),
    ):
        v = float(summary_pct.get(key) or 0)
        if v > 0 and x.lo <= v <= x.hi:
            px = float(x(v))
            body.append(
                f'<path d="M{px:.1f} {top}V{bottom}" stroke="{colour}" stroke-width="2"'
                f"{_dash(dash)}/>"
            )
            legend.append(("line", colour, dash, f"{label} {fmt_ms(v)} ms (whole run)"))
    return frame.svg("".join(body), title) + _legend(legend)


def series_plot(
    t: np.ndarray,
    series: Sequence[tuple[str, np.ndarray, str, str]],
    title: str,
    ylabel: str,
    scale: float = 1.0,
) -> str:
    """Per-second series as lines; past one point per column, min-max bands + mean lines."""
    height, top = 280, 14
    right, bottom = WIDTH - RIGHT, height - BOTTOM
    x = _x_time_scale(float(t[0]), float(t[-1]) + 1.0, right)
    peak = max(float(v.max()) for _, v, _, _ in series) / scale
    y = _y_scale(0, peak if peak > 0 else 1.0, top, bottom, False)
    ticks, tfmt, tlabel = time_ticks(x.lo, x.hi)
    frame = Frame(x, y, height, top, tlabel, ylabel, ticks, tfmt)
    mid = x(t + 0.5)
    dense = len(t) > (right - LEFT) / COL_PX
    body, legend = [], []
    for label, values, colour, dash in series:
        v = values / scale
        if dense:
            c = columns(mid, v, LEFT, right)
            body.append(_envelope(c, y, colour, 0.25))
            body.append(_polyline(c.x, y(c.mean), colour, 1.8, dash))
        else:
            body.append(_line(mid, y(v), colour, 1.8, dash))
        legend.append(("line", colour, dash, label))
    if dense:
        legend.append(("band", GREY, "", "shaded: min-max of the seconds in a column"))
    return frame.svg("".join(body), title) + _legend(legend)


# -- sections --------------------------------------------------------------------
def _table(
    head: Sequence[str], rows: Sequence[Sequence[str]], total: bool = False, klass: str = ""
) -> str:
    """Cells are HTML already; `total` bolds the last row."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        ('<tr class="total">' if total and i == len(rows) - 1 else "<tr>")
        + "".join(f"<td>{c}</td>" for c in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    open_tag = f'<table class="{klass}">' if klass else "<table>"
    return f"{open_tag}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _header(s: dict[str, Any]) -> str:
    items = [
        ("Transport", esc(s.get("transport") or "—")),
        ("Started", esc(s.get("started") or "—")),
        ("Duration", esc(fmt_duration(float(s.get("duration_s") or 0)))),
        ("Sessions", esc(fmt_count(s.get("sessions") or 0))),
        ("Send rate", f"{esc(s.get('rate_per_s', 0))} msg/s"),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    return (
        f"<header><h1>rtprobe report</h1>"
        f'<p class="target">{esc(s.get("target") or "(no target)")}</p>'
        f'<dl class="meta">{dl}</dl></header>'
    )


def _counters(s: dict[str, Any]) -> str:
    sent = int(s.get("sent") or 0)
    names = (
        ("received", "Received"),
        ("errors", "Errors"),
        ("dropped", "Dropped"),
        ("timeouts", "Timeouts"),
    )

    def pct(n: int) -> str:
        return f"{100 * n / sent:.2f} %" if sent else "—"

    rows = [[label, fmt_count(s.get(k) or 0), pct(int(s.get(k) or 0))] for k, label in names]
    outcomes = sum(int(s.get(k) or 0) for k, _ in names)
    rows.append(["Sent (measured)", fmt_count(sent), pct(sent)])
    diff = sent - outcomes
    check = (
        '<p class="ok">✓ Every sent message has exactly one outcome '
        f"({fmt_count(outcomes)} = {fmt_count(sent)}).</p>"
        if diff == 0
        else f'<p class="bad">✗ Accounting mismatch: outcomes add up to {fmt_count(outcomes)}, '
        f"sent is {fmt_count(sent)} ({diff:+,} unaccounted).</p>"
    )
    extra = [
        ("Warm-up (excluded)", fmt_count(s.get("warmup") or 0)),
        ("Error events", fmt_count(s.get("error_events") or 0)),
        ("Bytes out", fmt_bytes(float(s.get("bytes_out") or 0))),
        ("Bytes in", fmt_bytes(float(s.get("bytes_in") or 0))),
        ("Throughput in", fmt_bytes(float(s.get("throughput_in_bytes_per_s") or 0), "/s")),
    ]
    if "events" in s:
        extra.append(("SSE events", fmt_count(s["events"])))
    for key, label in (("fps_out", "FPS out"), ("fps_in", "FPS in")):
        if key in s:
            extra.append((label, f"{float(s[key]):.2f}"))
    for key, label in (("frames_out", "Frames out"), ("frames_in", "Frames in")):
        if key in s:
            extra.append((label, fmt_count(s[key])))
    return (
        '<h2>Counters</h2><div class="cols">'
        + _table(("Outcome", "Messages", "of sent"), rows, total=True)
        + _table(("Other", "Value"), [[esc(k), esc(v)] for k, v in extra])
        + "</div>"
        + check
    )


def _percentiles(s: dict[str, Any]) -> str:
    head = ["Latency (ms)", "count", "min", *(lbl for _, lbl in PCT_COLUMNS), "max", "mean"]
    rows = []
    for key, label in LATENCIES:
        p = s.get(key)
        if not isinstance(p, dict) or (key != "rtt_ms" and not p.get("count")):
            continue
        cells = [label, fmt_count(p.get("count") or 0), fmt_ms(p.get("min") or 0)]
        cells += [fmt_ms(p.get(k) or 0) for k, _ in PCT_COLUMNS]
        cells += [fmt_ms(p.get("max") or 0), fmt_ms(p.get("mean") or 0)]
        rows.append([esc(c) for c in cells])
    note = (
        '<p class="note">RTT is measured from the intended send time, so a late send '
        "(coordinated omission) counts against the endpoint. Percentiles cover the whole "
        "run (HDR histogram, 0.1 % precision).</p>"
    )
    return "<h2>Latency percentiles</h2>" + _table(head, rows) + note


def _plots(s: dict[str, Any], tl: Timeline) -> str:
    out = ["<h2>Plots</h2>"]
    t, ms = tl.latency()
    ft, fc = tl.failures()
    if len(ms) or len(ft):
        out.append("<h3>Latency over time</h3>")
        out.append(_coverage(len(ms), tl.received_total, len(ft), tl.failed_total))
        out.append(latency_over_time(t, ms, ft, fc, "Round-trip latency over time", "RTT (ms)"))
    ft_t, ft_ms = tl.frame_latency()
    if len(ft_ms):
        out.append("<h3>Frame latency over time</h3>")
        empty_t, empty_c = np.zeros(0), np.zeros(0, dtype=np.int64)
        out.append(
            latency_over_time(ft_t, ft_ms, empty_t, empty_c, "Frame latency over time", "ms")
        )
    if len(ms):
        out.append("<h3>Latency histogram</h3>")
        out.append(latency_histogram(ms, s.get("rtt_ms") or {}, "Round-trip latency histogram"))
    ps = tl.per_second()
    if len(ps["t_s"]):
        out.append(_rate_plots(ps))
    if len(out) == 1:
        out.append('<p class="note">No samples were recorded.</p>')
    return "".join(out)


def _coverage(kept: int, total: int, fkept: int, ftotal: int) -> str:
    if kept == total and fkept == ftotal:
        return ""
    return (
        f'<p class="note">Showing the last {fmt_count(kept)} of {fmt_count(total)} received '
        f"samples and the last {fmt_count(fkept)} of {fmt_count(ftotal)} failures "
        "(the tables above cover the whole run).</p>"
    )


def _rate_plots(ps: dict[str, np.ndarray]) -> str:
    t = ps["t_s"]
    failed = ps["errored"] + ps["dropped"] + ps["timed_out"]
    msgs = [("sent/s", ps["sent"], ORANGE, "6 3"), ("received/s", ps["received"], BLUE, "")]
    if failed.any():
        msgs.append(("failed/s (error, drop, timeout)", failed, VERMILLION, "2 2"))
    if ps["error_events"].any():
        msgs.append(("error events/s", ps["error_events"], PURPLE, "8 2 2 2"))
    out = ["<h3>Messages per second</h3>", series_plot(t, msgs, "Messages per second", "msg / s")]
    out.append(
        '<p class="note">Per-second buckets: sent at the send time, outcomes at completion; '
        "the first and last seconds are usually partial.</p>"
    )
    peak = max(float(ps["bytes_in"].max()), float(ps["bytes_out"].max()))
    if peak > 0:
        unit, div = next(
            ((u, d) for u, d in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)) if peak >= d), ("B", 1.0)
        )
        data = [("in", ps["bytes_in"], BLUE, ""), ("out", ps["bytes_out"], ORANGE, "6 3")]
        plot = series_plot(t, data, "Bytes per second", f"{unit} / s", div)
        out += ["<h3>Bytes per second</h3>", plot]
    if ps["frames_in"].any() or ps["frames_out"].any():
        frames = [
            ("fps in", ps["frames_in"], BLUE, ""),
            ("fps out", ps["frames_out"], ORANGE, "6 3"),
        ]
        plot = series_plot(t, frames, "Frames per second", "frames / s")
        out += ["<h3>Video frames per second</h3>", plot]
    return "".join(out)


def _errors(s: dict[str, Any]) -> str:
    by = s.get("errors_by_message") or {}
    if not by:
        return ""
    rows = [[esc(m), esc(fmt_count(n))] for m, n in by.items()]
    return "<h2>Errors by message</h2>" + _table(("Message", "Count"), rows, klass="msg")


def _connection(s: dict[str, Any]) -> str:
    info = s.get("connection") or {}
    if not info:
        return ""
    rows = []
    for k, v in info.items():
        text = v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
        text = text if len(text) <= 400 else text[:400] + "…"
        rows.append([esc(k), esc(text)])
    return "<h2>Connection</h2>" + _table(("Key", "Value"), rows, klass="kv")


def render_html(summary: dict[str, Any], timeline: Timeline) -> str:
    """The whole report as one HTML string."""
    title = f"rtprobe report — {summary.get('target') or summary.get('transport') or 'run'}"
    body = "".join(
        (
            _header(summary),
            _counters(summary),
            _percentiles(summary),
            _plots(summary, timeline),
            _errors(summary),
            _connection(summary),
            "<footer>Generated by rtprobe. Self-contained: no scripts, fonts or network "
            "access.</footer>",
        )
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_html(path: str | os.PathLike[str], summary: dict[str, Any], timeline: Timeline) -> None:
    """Write via a temporary file, so an open browser tab never sees half a report."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(render_html(summary, timeline), encoding="utf-8")
    os.replace(tmp, target)
