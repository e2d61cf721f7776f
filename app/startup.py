"""`RTPROBE_STARTUP_REPORT=1`: one line on stderr saying where the GUI's start-up went.

    rtprobe start-up: python 0.21 s, cli 0.05 s, imports 0.48 s, qt 0.03 s, window 0.19 s,
    session 0.02 s, paint 0.06 s = window painted at 1.04 s; engine ready at 1.62 s,
    mock up at 1.90 s

Each phase is the time since the one before: `python` from the process's start (the
bundle's bootloader and the interpreter; Linux only, from /proc) to this module's
import, then the marks the GUI sets (`mark`). What happens after the first paint (the
engine child, the embedded mock) is given as a time since the process started. The
line is printed once, when everything awaited is there (`expect`), or at quit with what
never came marked "not ready". Nothing is measured unless the variable is set, beyond
two clock reads.
"""

from __future__ import annotations

import os
import sys
import time

T0 = time.perf_counter()
ENABLED = os.environ.get("RTPROBE_STARTUP_REPORT", "") not in ("", "0")


def _process_age_s() -> float | None:
    """Seconds since this process started (Linux: /proc), else None."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            fields = stat.read().rsplit(")", 1)[1].split()
            up = float(uptime.read().split()[0])
        return max(0.0, up - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


_AGE_AT_T0 = _process_age_s() if ENABLED else None
_phases: list[tuple[str, float]] = []  # (phase, perf_counter at its end), in order
_after: dict[str, float | None] = {}  # after the paint: name -> perf_counter, None = awaited
_printed = False


def mark(phase: str) -> None:
    """`phase` ended now (the time since the mark before is its share)."""
    if ENABLED:
        _phases.append((phase, time.perf_counter()))


def expect(*names: str) -> None:
    """What the line waits for after the paint (`done(name)`), e.g. "engine ready"."""
    for name in names:
        _after.setdefault(name, None)


def done(name: str) -> None:
    """An awaited step happened now; the line is printed when all have."""
    if ENABLED and _after.get(name, 0.0) is None:
        _after[name] = time.perf_counter()
        if all(t is not None for t in _after.values()):
            report()


def line(
    phases: list[tuple[str, float]],
    after: dict[str, float | None],
    *,
    t0: float,
    age_at_t0: float | None,
) -> str:
    """The report: `phases` as shares, `after` as times since the process started."""
    origin = t0 - (age_at_t0 or 0.0)  # perf_counter at the process's start (or at t0)
    parts = [f"python {age_at_t0:.2f} s"] if age_at_t0 is not None else []
    previous = t0
    for phase, at in phases:
        parts.append(f"{phase} {at - previous:.2f} s")
        previous = at
    text = "rtprobe start-up: " + ", ".join(parts)
    if phases:
        since = "" if age_at_t0 is not None else " (since rtprobe's import)"
        text += f" = window painted at {phases[-1][1] - origin:.2f} s{since}"
    later = [
        f"{name} at {at - origin:.2f} s" if at is not None else f"{name}: not ready"
        for name, at in after.items()
    ]
    return text + ("; " + ", ".join(later) if later else "")


def report() -> None:
    """Print the line (once), if asked for by the environment."""
    global _printed
    if ENABLED and not _printed:
        _printed = True
        print(line(_phases, _after, t0=T0, age_at_t0=_AGE_AT_T0), file=sys.stderr, flush=True)
