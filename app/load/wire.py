"""A worker's window of results as msgpack-safe data, and its exact merge on the master.

A worker folds its events into an `Aggregator` and, at each Locust stats report, swaps
it for a fresh one and ships the old one as a window (`encode`): its histograms as
`LatencyHistogram.to_wire` (non-empty counters plus exact count, sum, min, max and
clamped), its counters, and the latest state of each session. The master adds each
window into one `Aggregator` (`merge_into`): counts add, min and max take the extremes,
so the merged histograms are exactly those of one histogram fed every sample.

Times cross machines as wall-clock nanoseconds (each worker's perf_counter has its own
origin): `clock_offset_ns()` turns the engine clock into wall time.
"""

from __future__ import annotations

import time
from typing import Any

from app.core.summary import Aggregator, SessionTotals

# the Aggregator's histograms, by the name they travel under
HISTOGRAMS = (
    "rtt",
    "server",
    "network",
    "first_event",
    "frame_latency",
    "frame_hold",
    "event_gap",
    "send_lag",
)
COUNTERS = (
    "backlogged",
    "errors_seen",
    "bytes_out",
    "bytes_in",
    "events_dropped",
    "events_in",
    "frames_out",
    "frames_in",
    "frames_lost",
    "fal_messages",
)
OUTCOMES = ("sent", "received", "errored", "dropped", "timed_out", "warmup", "unmatched")
VERSION = 1


def clock_offset_ns() -> int:
    """Wall time minus the engine clock, in this process."""
    return time.time_ns() - time.perf_counter_ns()


def _plain(value: Any) -> Any:
    """Only what msgpack carries as is: connection facts are strings and numbers."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def encode(window: Aggregator, states: dict[int, str], offset_ns: int) -> dict[str, Any]:
    """One window (what the worker measured since its last report) as plain data."""

    def wall(ns: int | None) -> int | None:
        return None if ns is None else ns + offset_ns

    return {
        "v": VERSION,
        "transport": window.transport,
        "target": window.target,
        "hist": {n: getattr(window, n).to_wire() for n in HISTOGRAMS if getattr(window, n).count},
        "sessions": [
            [i, *(getattr(t, k) for k in OUTCOMES), states.get(i, "")]
            for i, t in window.sessions.items()
        ],
        "counters": {k: getattr(window, k) for k in COUNTERS},
        "fal_timing_s": window.fal_timing_s,
        "errors_by_message": dict(window.error_messages),
        "unmatched_by_reason": dict(window.unmatched_by_reason),
        "first_ns": wall(window.first_ns),
        "last_ns": wall(window.last_ns),
        "frame_first_ns": {d: wall(t) for d, t in window.frame_first_ns.items()},
        "frame_last_ns": {d: wall(t) for d, t in window.frame_last_ns.items()},
        "info": _plain(window.info),
        "wire_bytes": [[i, out, in_] for i, (out, in_) in window.wire_bytes.items()],
    }


def samples_in(data: dict[str, Any]) -> int:
    """How many round trips a window carries (its rtt histogram's count)."""
    rtt = data.get("hist", {}).get("rtt")
    return int(rtt["n"]) if rtt else 0


class SessionNumbers:
    """(worker, session) -> one number for the merged run, in order of first report."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, int], int] = {}

    def __call__(self, worker: str, session: int) -> int:
        key = (worker, session)
        if key not in self._numbers:
            self._numbers[key] = len(self._numbers)
        return self._numbers[key]


def merge_into(agg: Aggregator, worker: str, data: dict[str, Any], numbers: SessionNumbers) -> None:
    """Add one window of `worker` into the master's `agg`; ValueError for data that is
    not a window of this version."""
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise ValueError("not an rtprobe window (another rtprobe version on a worker?)")
    hist = data.get("hist", {})
    for name, wire in hist.items():
        if name not in HISTOGRAMS:
            raise ValueError(f"unknown histogram {name!r}")
        getattr(agg, name).add_wire(wire)
    for row in data.get("sessions", []):
        index, *counts, state = row
        totals = agg.sessions.setdefault(numbers(worker, int(index)), SessionTotals())
        for key, n in zip(OUTCOMES, counts, strict=True):
            setattr(totals, key, getattr(totals, key) + int(n))
        if state:
            totals.state = state
    for key, n in data.get("counters", {}).items():
        if key in COUNTERS:
            setattr(agg, key, getattr(agg, key) + n)
    agg.fal_timing_s += float(data.get("fal_timing_s", 0.0))
    for message, n in data.get("errors_by_message", {}).items():
        agg.error_messages[message] += int(n)
    agg.unmatched_by_reason.update(data.get("unmatched_by_reason", {}))
    first, last = data.get("first_ns"), data.get("last_ns")
    if first is not None:
        agg.first_ns = first if agg.first_ns is None else min(agg.first_ns, first)
    if last is not None:
        agg.last_ns = last if agg.last_ns is None else max(agg.last_ns, last)
    for d, t in data.get("frame_first_ns", {}).items():
        agg.frame_first_ns[d] = min(agg.frame_first_ns.get(d, t), t)
    for d, t in data.get("frame_last_ns", {}).items():
        agg.frame_last_ns[d] = max(agg.frame_last_ns.get(d, t), t)
    info = data.get("info") or {}
    if info and not agg.info:
        agg.info = dict(info)
    elif "time_to_first_frame_ms" in info:
        agg.info.setdefault("time_to_first_frame_ms", info["time_to_first_frame_ms"])
    for index, out, in_ in data.get("wire_bytes", []):
        agg.wire_bytes[numbers(worker, int(index))] = (int(out), int(in_))
