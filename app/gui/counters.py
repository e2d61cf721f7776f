"""The connection panel's counter row as text, written from the run's `Summary`.

No Qt here: the panel puts these strings into its labels, and tests read them without a
window. Latencies carry three significant figures ("178 ms", "2.35 ms"), counts a
thousands separator.

A run that measures video frames (WebRTC) counts frames, not messages: "sent" and
"received" are frames, "dropped" the frames that never came back, and the percentiles
are per-frame latency (marker-matched, end to end). `counter_heads` names the columns
accordingly, so the same row reads right for every transport.
"""

from __future__ import annotations

from app.core.errors import TargetError
from app.core.report.fmt import fmt_sig, ms_text
from app.core.report.model import Summary
from app.core.sessions import registry

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

_FRAME_HEADS = {"sent": "frames sent", "received": "frames received", "dropped": "frames lost"}
_TIPS = {
    "state": "The connection's state; a run that ended says finished",
    "sent": "Messages sent (warm-up excluded)",
    "received": "Replies matched to a sent message",
    "errors": "Messages answered with an error",
    "dropped": "Messages the server dropped (no reply)",
    "timeouts": "Messages with no reply within the timeout",
    "unmatched": "Replies that matched no sent message (late, duplicate, unknown)",
    "p50": "Median round trip, from the intended send time",
    "p99": "99th percentile round trip",
    "p99.9": "99.9th percentile round trip",
    "rate": "Messages sent per second over the run",
    "fps in/out": "Video frames per second received / sent",
}
_FRAME_TIPS = {
    "sent": "Video frames sent",
    "received": "Video frames received",
    "dropped": "Frames sent that never came back",
    "p50": "Median per-frame latency (sent frame to its returned frame); "
    "for generated video, action to frame",
    "p99": "99th percentile per-frame latency",
    "p99.9": "99.9th percentile per-frame latency",
    "rate": "Actions sent per second (generated video)",
}


def measures_frames(transport: str) -> bool:
    try:
        return registry.transport(transport).measures_frames
    except TargetError:  # an unknown name (a half-typed form): a message transport
        return False


def counter_heads(transport: str) -> dict[str, tuple[str, str]]:
    """(head text, tooltip) per name in `COUNTER_NAMES`, for this transport."""
    frames = measures_frames(transport)
    heads = _FRAME_HEADS if frames else {}
    tips = _TIPS | (_FRAME_TIPS if frames else {})
    return {name: (heads.get(name, name), tips[name]) for name in COUNTER_NAMES}


def counter_texts(s: Summary, state: str) -> dict[str, str]:
    """One text per name in `COUNTER_NAMES`; "–" for what the run has not measured."""
    f = s.frames
    if s.events_dropped:  # the engine could not hand these over: the figures miss them
        state = f"{state} ({s.events_dropped:,} events lost)"
    latency = s.rtt_ms
    sent, received, dropped = s.sent, s.received, s.dropped
    if f is not None:  # a video run: frames are what flows
        sent, received, dropped = f.frames_out, f.frames_in, f.frames_lost
        if f.frame_latency_ms.count:
            latency = f.frame_latency_ms  # else actions' latency (generated video), if any
    rate = f"{fmt_sig(s.rate_per_s)}/s"
    if f is not None and not s.sent:
        rate = NONE  # no messages: the fps say the pace
    return {
        "state": state,
        "sent": f"{sent:,}",
        "received": f"{received:,}",
        "errors": f"{s.errors:,}",
        "dropped": f"{dropped:,}",
        "timeouts": f"{s.timeouts:,}",
        "unmatched": f"{s.unmatched:,}" + (" (flood)" if s.flood_warning() else ""),
        "p50": ms_text(latency.p50) if latency.count else NONE,
        "p99": ms_text(latency.p99) if latency.count else NONE,
        "p99.9": ms_text(latency.p999) if latency.count else NONE,
        "rate": rate,
        "fps in/out": NONE if f is None else f"{f.fps_in:.1f} / {f.fps_out:.1f}",
    }
