"""Numbers as people read them in reports, the CLI table and the GUI counters.

Measured values carry three significant figures ("178 ms", "2.35 ms", "0.412 ms"):
more digits than the measurement's noise only make a number harder to read. Integer
digits are never dropped ("1,234 ms", not "1,230 ms").
"""

from __future__ import annotations

import math

SIG_DIGITS = 3
MAX_DECIMALS = 6  # below a nanosecond in ms: nothing rtprobe measures


def fmt_sig(v: float | None, digits: int = SIG_DIGITS) -> str:
    """`v` with `digits` significant figures, thousands separated, no exponent; "–" for
    no value (None, NaN), "∞" for an infinite one (a change from 0)."""
    if v is None:
        return "–"
    v = float(v)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if math.isnan(v):
        return "–"
    if v == 0:
        return "0"
    if abs(v) >= 10 ** (digits - 1) - 0.5:  # whole numbers keep every integer digit
        return f"{round(v):,}"
    rounded = float(f"{v:.{digits}g}")  # rounds first: 9.996 reads "10.0", not "10.00"
    magnitude = math.floor(math.log10(abs(rounded)))
    decimals = min(MAX_DECIMALS, max(0, digits - 1 - magnitude))
    return f"{rounded:,.{decimals}f}"


def fmt_ms(v: float) -> str:
    """Milliseconds with three significant figures: "178", "2.35", "0.412"."""
    return fmt_sig(v)


def fmt_count(n: float) -> str:
    return f"{int(n):,}"


def fmt_bytes(n: float, suffix: str = "") -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{fmt_sig(n / size)} {unit}{suffix}"
    return f"{n:.0f} B{suffix}"


def fmt_duration(s: float) -> str:
    if s < 120:
        return f"{fmt_sig(s)} s"
    h, rest = divmod(round(s), 3600)
    m, sec = divmod(rest, 60)
    return f"{h} h {m:02d} m {sec:02d} s" if h else f"{m} m {sec:02d} s"


def ms_text(v: float) -> str:
    """A latency with its unit, three significant figures: "178 ms", "2.35 ms"."""
    return f"{fmt_ms(v)} ms"
