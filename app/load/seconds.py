"""Per-second series of a load test: each worker's seconds, and the master's merge.

`rtprobe run`'s report plots its run over time from every sample it kept. A master
has no samples, only what the workers send every few seconds, so each worker also
keeps, per wall-clock second, the counters of `Timeline.per_second` (sent at the send
time, outcomes and bytes in at completion, frames at their time) and one HDR histogram
of the round trips that were meant to be sent in that second (and of the frame
latencies): `SecondsWindow`, shipped with the window and started afresh.

`MergedSeconds` on the master adds the counters and merges the histograms exactly per
second. A second's histogram is kept until `HORIZON_S` behind the newest second (a
worker reports every 3 s, its last window at the stop), then read once into its
percentiles and freed, so memory stays flat over hours; a round trip that arrives for
a second already read (a worker far behind) is counted in `late` and left out of that
second's percentiles, never out of the whole-run figures. `timeline()` is a core
`Timeline` that reads these series, for the same HTML report writer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.events import ErrorEvent, FrameSample, Sample
from app.core.metrics import LatencyHistogram, Percentiles
from app.core.report.timeline import BUCKETS, OUTCOME_CODE, Timeline

LATENCIES = ("rtt", "frame_latency")
PERCENTILES = ("count", "min", "p50", "p90", "p99", "p999", "max")
HORIZON_S = 30
_COL = {name: i for i, name in enumerate(BUCKETS)}
_SENT, _BYTES_OUT, _BYTES_IN, _ERRORED = (
    _COL["sent"],
    _COL["bytes_out"],
    _COL["bytes_in"],
    _COL["errored"],
)
_OUTCOMES = frozenset(OUTCOME_CODE)
_NS = 1_000_000_000


class SecondsWindow:
    """A worker's seconds since its last report (on the engine loop's thread)."""

    def __init__(self, offset_ns: int) -> None:
        self.offset_ns = offset_ns  # wall time minus the engine clock
        self.counts: dict[int, list[float]] = {}
        self.hist: dict[tuple[str, int], LatencyHistogram] = {}

    def _sec(self, t_ns: int) -> int:
        return (t_ns + self.offset_ns) // _NS

    def _add(self, name: str, t_ns: int, n: float = 1.0) -> None:
        sec = self._sec(t_ns)
        row = self.counts.get(sec)
        if row is None:
            row = self.counts[sec] = [0.0] * len(BUCKETS)
        row[_COL[name]] += n

    def _record(self, name: str, t_ns: int, value_ns: int) -> None:
        key = (name, self._sec(t_ns))
        hist = self.hist.get(key)
        if hist is None:
            hist = self.hist[key] = LatencyHistogram()
        hist.record_ns(value_ns)

    def _row(self, sec: int) -> list[float]:
        row = self.counts.get(sec)
        if row is None:
            row = self.counts[sec] = [0.0] * len(BUCKETS)
        return row

    def feed(self, event: Any) -> None:
        if isinstance(event, Sample):  # the hot path: one or two rows, one histogram
            if event.warmup:
                return
            o = self.offset_ns
            sent_sec, done_sec = (event.sent_ns + o) // _NS, (event.done_ns + o) // _NS
            row = self._row(sent_sec)
            row[_SENT] += 1.0
            row[_BYTES_OUT] += event.bytes_out
            if done_sec != sent_sec:
                row = self._row(done_sec)
            row[_BYTES_IN] += event.bytes_in
            row[_COL[event.outcome] if event.outcome in _OUTCOMES else _ERRORED] += 1.0
            if event.outcome == "received":
                self._record("rtt", event.intended_ns, event.rtt_ns)
        elif isinstance(event, FrameSample):
            self._add("frames_in" if event.direction == "in" else "frames_out", event.t_ns)
            if event.direction == "in" and event.latency_ns is not None:
                self._record("frame_latency", event.t_ns, event.latency_ns)
        elif isinstance(event, ErrorEvent):
            self._add("error_events", event.t_ns)

    def encode(self) -> list[list[Any]]:
        """[[second, [counts in BUCKETS order], {latency: histogram wire}], ...]."""
        seconds = sorted(set(self.counts) | {sec for _, sec in self.hist})
        out = []
        for sec in seconds:
            wires = {
                name: self.hist[(name, sec)].to_wire()
                for name in LATENCIES
                if (name, sec) in self.hist
            }
            out.append([sec, self.counts.get(sec, [0.0] * len(BUCKETS)), wires])
        return out


class MergedSeconds:
    """Every worker's seconds, added up; read with `per_second` and `latency`."""

    def __init__(self, horizon_s: int = HORIZON_S) -> None:
        self.horizon_s = horizon_s
        self.counts: dict[int, np.ndarray] = {}
        self._open: dict[tuple[str, int], LatencyHistogram] = {}
        self._closed: dict[tuple[str, int], Percentiles] = {}
        self.late = 0  # round trips or frames that came after their second was read
        self.newest: int | None = None

    def add(self, rows: Any) -> None:
        """One window's seconds (`SecondsWindow.encode`); ValueError for other data."""
        if not isinstance(rows, list):
            raise ValueError("per-second rows are not a list")
        for row in rows:
            sec, counts, wires = int(row[0]), row[1], row[2]
            if len(counts) != len(BUCKETS):
                raise ValueError("per-second counters of another length")
            have = self.counts.get(sec)
            values = np.asarray(counts, dtype=np.float64)
            self.counts[sec] = values if have is None else have + values
            for name, wire in dict(wires).items():
                if name not in LATENCIES:
                    raise ValueError(f"unknown per-second latency {name!r}")
                if (name, sec) in self._closed:
                    self.late += int(wire.get("n", 0))
                    continue
                hist = self._open.get((name, sec))
                if hist is None:
                    hist = self._open[(name, sec)] = LatencyHistogram()
                hist.add_wire(wire)
            self.newest = sec if self.newest is None else max(self.newest, sec)
        self._close_old()

    def _close_old(self) -> None:
        if self.newest is None:
            return
        for key in [k for k in self._open if k[1] < self.newest - self.horizon_s]:
            self._closed[key] = self._open.pop(key).summary()

    @property
    def origin(self) -> int | None:
        """The first second of the run (wall clock, whole seconds)."""
        return min(self.counts) if self.counts else None

    def per_second(self) -> dict[str, np.ndarray]:
        """As `Timeline.per_second`: "t_s" from the first second, gaps as zeros."""
        if not self.counts:
            return {"t_s": np.zeros(0)} | {name: np.zeros(0) for name in BUCKETS}
        first, last = min(self.counts), max(self.counts)
        rows = np.zeros((last - first + 1, len(BUCKETS)))
        for sec, values in self.counts.items():
            rows[sec - first] = values
        t = np.arange(last - first + 1, dtype=np.float64)
        return {"t_s": t} | {name: rows[:, i].copy() for i, name in enumerate(BUCKETS)}

    def latency(self, name: str) -> dict[str, np.ndarray]:
        """Per second with any sample: "t_s" (from the run's first second) and the exact
        percentiles of that second (`PERCENTILES`, ms; "count" samples); {} for none."""
        origin = self.origin
        seconds = sorted(
            {s for n, s in self._open if n == name} | {s for n, s in self._closed if n == name}
        )
        if origin is None or not seconds:
            return {}
        table = []
        for sec in seconds:
            closed = self._closed.get((name, sec))
            p = closed if closed is not None else self._open[(name, sec)].summary()
            table.append([float(getattr(p, k)) for k in PERCENTILES])
        a = np.array(table, dtype=np.float64)
        out = {"t_s": np.array(seconds, dtype=np.float64) - origin}
        return out | {k: a[:, i] for i, k in enumerate(PERCENTILES)}

    def to_json(self) -> dict[str, Any]:
        """The series as lists, for the JSON report's "per_second"."""
        data: dict[str, Any] = {k: v.tolist() for k, v in self.per_second().items()}
        for name in LATENCIES:
            lat = self.latency(name)
            if lat:
                data[f"{name}_ms"] = {k: v.tolist() for k, v in lat.items()}
        data["late_samples"] = self.late
        return data

    def timeline(self) -> SecondsTimeline:
        return SecondsTimeline(self)


class SecondsTimeline(Timeline):
    """A `Timeline` with no samples that reads a `MergedSeconds`: what the merged HTML
    report plots (the rates, and each second's latency percentiles)."""

    def __init__(self, seconds: MergedSeconds) -> None:
        super().__init__(capacity=1, seconds=1)
        self._merged = seconds

    def per_second(self) -> dict[str, np.ndarray]:
        return self._merged.per_second()

    def percentiles_per_second(self, name: str) -> dict[str, np.ndarray]:
        return self._merged.latency(name)
