"""Numbers as people read them in reports, the CLI table and the GUI counters."""

from __future__ import annotations


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


def ms_text(v: float) -> str:
    """A latency with its unit, about four significant digits: "178.4 ms", "2.345 ms"."""
    return f"{fmt_ms(v)} ms"
