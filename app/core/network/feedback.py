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
