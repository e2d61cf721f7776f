"""A small SVG plotting kit: scales, ticks, axes, marks and legends as SVG text.

The reports draw their own plots so an HTML file has no scripts, fonts or URLs; this
module knows nothing of runs or summaries, only data ranges and pixels. All text put
into the SVG goes through `esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from app.core.report import marks

WIDTH = 960  # SVG user units; the SVG scales to the page width
LEFT, RIGHT, BOTTOM = 76, 24, 46
COL_PX = 2  # envelope column width

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


# -- text ------------------------------------------------------------------------
def esc(value: object) -> str:
    """HTML-escape run text; `://` is written as an entity so no URL appears in the file."""
    return html.escape(str(value), quote=True).replace("://", "&#58;//")


def tick_label(v: float) -> str:
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


def y_scale(lo: float, hi: float, top: float, bottom: float, log: bool) -> Scale:
    if log:
        lo = 10 ** math.floor(math.log10(max(lo, 1e-3)))
        hi = max(10 ** math.ceil(math.log10(max(hi, 1e-3))), lo * 10)
        return Scale(lo, hi, bottom, top, log=True)
    hi = max(hi, 1e-9)
    step = _nice_step(hi)
    return Scale(0.0, math.ceil(hi / step - 1e-9) * step, bottom, top)


def x_time_scale(lo: float, hi: float, right: float) -> Scale:
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
    x_fmt: Callable[[float], str] = tick_label
    time_axis: bool = False  # draws the report's network-change marks (marks.py)

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
                    f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end">'
                    f"{esc(tick_label(v))}</text>"
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
        if self.time_axis:
            out.append(self._marks(right, bottom))
        out.append("</svg>")
        return "".join(out)

    def _marks(self, right: float, bottom: float) -> str:
        out = []
        for t_s, text in marks.current():
            px = float(self.x(t_s))
            if LEFT - 0.5 <= px <= right + 0.5:
                out.append(
                    f'<path class="mark" d="M{px:.1f} {self.top}V{bottom}" '
                    f'stroke="{marks.MARK_COLOUR}" stroke-width="1.5" stroke-dasharray="5 3"/>'
                    f'<text x="{px + 3:.1f}" y="{self.top + 11}" fill="{marks.MARK_COLOUR}">'
                    f"{esc(text)}</text>"
                )
        return "".join(out)


# -- marks -----------------------------------------------------------------------
def dash_attr(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def dots_path(px: np.ndarray, py: np.ndarray, colour: str) -> str:
    d = "".join(f"M{x:.1f} {y:.1f}h0" for x, y in zip(px.tolist(), py.tolist(), strict=True))
    return (
        f'<path d="{d}" stroke="{colour}" stroke-opacity="0.65" stroke-width="3.5" '
        'stroke-linecap="round" fill="none"/>'
    )


def polyline_path(px: np.ndarray, py: np.ndarray, colour: str, width: float, dash: str = "") -> str:
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
        f'stroke-linejoin="round"{dash_attr(dash)}/>'
    )


def line_path(px: np.ndarray, py: np.ndarray, colour: str, width: float, dash: str = "") -> str:
    """A continuous line (per-second series have no gaps: empty seconds are zeros)."""
    if not len(px):
        return ""
    d = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in zip(px.tolist(), py.tolist(), strict=True))
    return (
        f'<path d="{d}" stroke="{colour}" stroke-width="{width}" fill="none" '
        f'stroke-linejoin="round"{dash_attr(dash)}/>'
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


def envelope_path(c: Columns, y: Scale, colour: str, opacity: float = 0.45) -> str:
    top, bot = y(c.hi), y(c.lo)
    d = "".join(
        f"M{x:.1f} {max(b, t) + 0.75:.1f}V{t - 0.75:.1f}"
        for x, t, b in zip(c.x.tolist(), top.tolist(), bot.tolist(), strict=True)
    )
    return (
        f'<path d="{d}" stroke="{colour}" stroke-opacity="{opacity}" '
        f'stroke-width="{COL_PX}" fill="none"/>'
    )


def swatch(kind: str, colour: str, dash: str = "") -> str:
    if kind == "dot":
        mark = f'<circle cx="9" cy="6" r="3.5" fill="{colour}"/>'
    elif kind == "band":
        mark = f'<rect x="1" y="1" width="16" height="10" fill="{colour}" fill-opacity="0.45"/>'
    elif kind == "tick":
        mark = f'<path d="M9 1V11" stroke="{colour}" stroke-width="2.5"/>'
    else:
        mark = f'<path d="M1 6H21" stroke="{colour}" stroke-width="2.5"{dash_attr(dash)}/>'
    return f'<svg width="22" height="12" aria-hidden="true">{mark}</svg>'


def legend_html(items: Sequence[tuple[str, str, str, str]]) -> str:
    """Items are (kind, colour, dash, label)."""
    lis = "".join(
        f"<li>{swatch(kind, colour, dash)}{esc(label)}</li>" for kind, colour, dash, label in items
    )
    return f'<ul class="legend">{lis}</ul>'
