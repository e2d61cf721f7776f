"""The WebRTC feedback counters a run's summary adds up across sessions (pure).

Each session's final stats snapshot carries its totals (RTCP NACKs and PLIs from
`transports.webrtc_network.RtcpCounters`, freezes from its `FreezeCounter`, and what the
impairment dropped); the summary sums them into `frames.feedback`, except the longest
freeze, which is the longest of all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUMMED = (
    "nack_sent",
    "nack_sent_seqs",
    "pli_sent",
    "nack_received",
    "pli_received",
    "freezes",
    "freeze_ms",
    "net_out_packets",
    "net_out_lost",
    "net_out_overflow",
    "net_in_packets",
    "net_in_lost",
    "net_in_overflow",
)
LARGEST = ("longest_freeze_ms",)


def add_feedback(totals: dict[str, float], values: Mapping[str, Any]) -> None:
    for key in SUMMED:
        value = values.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            totals[key] = round(totals.get(key, 0) + value, 3)
    for key in LARGEST:
        value = values.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            totals[key] = max(totals.get(key, 0), value)


def feedback_lines(fb: Mapping[str, float]) -> list[str]:
    """The summary's lines for `fb` (none when the run had no feedback counters)."""
    if not fb:
        return []
    g = {k: fb.get(k, 0) for k in (*SUMMED, *LARGEST)}
    lines = [
        f"RTCP: NACK sent {g['nack_sent']:g} ({g['nack_sent_seqs']:g} packets asked)"
        f"  received {g['nack_received']:g};  PLI sent {g['pli_sent']:g}"
        f"  received {g['pli_received']:g}",
        f"freezes {g['freezes']:g} ({g['freeze_ms']:g} ms in all, longest"
        f" {g['longest_freeze_ms']:g} ms; a freeze: a gap over 3 frame intervals)",
    ]
    if g["net_out_packets"] or g["net_in_packets"]:
        lines.append(
            f"network impairment: out {g['net_out_packets']:g} packets, lost"
            f" {g['net_out_lost']:g} + {g['net_out_overflow']:g} over the rate;"
            f" in {g['net_in_packets']:g}, lost {g['net_in_lost']:g}"
            f" + {g['net_in_overflow']:g} over the rate"
        )
    return lines


_ROWS = (
    ("NACKs sent", "nack_sent"),
    ("NACKs received", "nack_received"),
    ("PLIs sent", "pli_sent"),
    ("PLIs received (keyframes asked)", "pli_received"),
    ("Freezes (gap > 3 frame intervals)", "freezes"),
    ("Time frozen (ms)", "freeze_ms"),
    ("Longest freeze (ms)", "longest_freeze_ms"),
    ("Packets dropped by the impairment, out", "net_out_lost"),
    ("Packets dropped by the impairment, in", "net_in_lost"),
)


def feedback_rows(fb: Mapping[str, float]) -> list[tuple[str, str]]:
    """The HTML report's rows for `fb` (label, value)."""
    return [(label, f"{fb[key]:g}") for label, key in _ROWS if key in fb]
