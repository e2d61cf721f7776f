"""The connection panel's counter row as text, written from the run's `Summary`.

No Qt here: the panel puts these strings into its labels, and tests read them without a
window. Latencies carry about four significant digits ("178.4 ms", "2.345 ms"), counts
a thousands separator.
"""

from __future__ import annotations

from app.core.report.fmt import ms_text
from app.core.report.model import Summary

COUNTER_NAMES = (
    "state",
    "sent",
    "received",
    "errors",
    "dropped",
    "timeouts",
    "unmatched",
    "p50",
    "p99",
    "p99.9",
    "rate",
    "fps in/out",
)
NONE = "–"


def counter_texts(s: Summary, state: str) -> dict[str, str]:
    """One text per name in `COUNTER_NAMES`; "–" for what the run has not measured."""
    rtt = s.rtt_ms
    f = s.frames
    if s.events_dropped:  # the engine could not hand these over: the figures miss them
        state = f"{state} ({s.events_dropped:,} events lost)"
    return {
        "state": state,
        "sent": f"{s.sent:,}",
        "received": f"{s.received:,}",
        "errors": f"{s.errors:,}",
        "dropped": f"{s.dropped:,}",
        "timeouts": f"{s.timeouts:,}",
        "unmatched": f"{s.unmatched:,}" + (" (flood)" if s.flood_warning() else ""),
        "p50": ms_text(rtt.p50) if rtt.count else NONE,
        "p99": ms_text(rtt.p99) if rtt.count else NONE,
        "p99.9": ms_text(rtt.p999) if rtt.count else NONE,
        "rate": f"{s.rate_per_s:.1f}/s",
        "fps in/out": NONE if f is None else f"{f.fps_in:.1f} / {f.fps_out:.1f}",
    }
