"""A run's history for the report plots, in memory that stays flat over hours.

The summary's HDR histograms say *how much*; the timeline says *when*: the last
`capacity` latencies and failures with their time, and per-second counters for
the last `seconds` seconds. Engine events are buffered in plain lists and folded
into numpy in batches, because one numpy call per event would cost more than the
event itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from app.core.events import ErrorEvent, FrameSample, NetworkChange, Sample, StatsSnapshot
from app.core.metrics import Ring
from app.core.network.changes import MAX_CHANGES_KEPT, change_row
from app.core.network.resolution import ResolutionTracker, per_second, step_series

OUTCOMES = ("received", "errored", "dropped", "timed_out")
OUTCOME_CODE = {name: code for code, name in enumerate(OUTCOMES)}

# per-second columns; rates over time for the throughput and fps plots
BUCKETS = (
    "sent",
    "received",
    "errored",
    "dropped",
    "timed_out",
    "bytes_out",
    "bytes_in",
    "frames_out",
    "frames_in",
    "error_events",
)
_COL = {name: i for i, name in enumerate(BUCKETS)}
# samples gathered before they are folded in with numpy; the fold stalls the run's loop
# (it runs inside the engine's emit): 8,192 took ~5 ms each time, 512 take ~0.4 ms for
# the same total cost (measured at 40,000 samples)
_BATCH = 512

# getStats figures kept over time (WebRTC), one row per periodic snapshot, as
# chrome://webrtc-internals plots them; counters (packets) are running totals
STATS = (
    "bitrate_in_kbps",
    "bitrate_out_kbps",
    "jitter_ms",
    "rtt_ms",
    "packets_lost",
    "packets_received",
    "fps_in",
    "fps_out",
    "control_rtt_median_ms",  # wma: median ping/pong round trip of the interval
)
STATS_CAPACITY = 20_000  # snapshots: 5.5 h of one session at one a second, 160 B each


class Timeline:
    """Bounded recorder of a run; feed it every engine event with `feed`.

    Times are seconds since the origin: the first event's time (a sample's intended
    send time, warm-up included, as in the CSV) unless `origin_ns` is given. Samples
    sit at their intended send time, the clock the RTT is measured from; warm-up
    samples only move the origin and are otherwise left out, as in the summary.
    """

    def __init__(
        self, capacity: int = 200_000, seconds: int = 86_400, origin_ns: int | None = None
    ) -> None:
        if seconds < 1:
            raise ValueError("Timeline needs seconds >= 1")
        self.origin_ns = origin_ns
        self._rtt = Ring(capacity, 2)  # t_s, rtt_ms of received samples
        self._fail = Ring(capacity, 2)  # t_s, outcome code of the others
        self._frame = Ring(capacity, 2)  # t_s, latency_ms of marker-matched frames in
        self._hold = Ring(capacity, 3)  # t_s, jitter-buffer hold ms of frames in, session
        self._stats = Ring(STATS_CAPACITY, 2 + len(STATS))  # t_s, session, STATS (nan: none)
        self._buckets = np.zeros((seconds, len(BUCKETS)), dtype=np.float64)
        self._bucket_sec = np.full(seconds, np.iinfo(np.int64).min, dtype=np.int64)
        self._first_sec: int | None = None
        self._last_sec: int | None = None
        # pending rows: (intended, sent, done, outcome, bytes_out, bytes_in)
        self._samples: list[tuple[int, int, int, int, int, int]] = []
        # (t_ns, inbound, latency_ms|nan, hold_ms|nan, session)
        self._frames: list[tuple[int, bool, float, float, int]] = []
        self._errors: list[int] = []
        self.warmup = 0
        self.max_t_s = 0.0
        self._changes: list[NetworkChange] = []  # network changes (marks on every plot)
        self._resolution = ResolutionTracker()  # frame width x height change points

    # -- feeding -----------------------------------------------------------------
    def feed(self, event: Any) -> None:
        """Take any engine event; the ones the report does not plot are ignored."""
        if isinstance(event, Sample):
            if self.origin_ns is None:
                self.origin_ns = event.intended_ns
            if event.warmup:
                self.warmup += 1
                return
            self._samples.append(
                (
                    event.intended_ns,
                    event.sent_ns,
                    event.done_ns,
                    OUTCOME_CODE.get(event.outcome, 1),
                    event.bytes_out,
                    event.bytes_in,
                )
            )
            if len(self._samples) >= _BATCH:
                self._flush_samples()
        elif isinstance(event, FrameSample):
            if self.origin_ns is None:
                self.origin_ns = event.t_ns
            lat = np.nan if event.latency_ns is None else event.latency_ns / 1e6
            hold = np.nan if event.hold_ns is None else event.hold_ns / 1e6
            self._frames.append((event.t_ns, event.direction == "in", lat, hold, event.session))
            self._resolution.frame(
                event.session, event.direction, event.t_ns, event.width, event.height
            )
            if len(self._frames) >= _BATCH:
                self._flush_frames()
        elif isinstance(event, StatsSnapshot):
            self._stats_row(event)
        elif isinstance(event, NetworkChange):
            if self.origin_ns is None:
                self.origin_ns = event.t_ns
            if len(self._changes) < MAX_CHANGES_KEPT:
                self._changes.append(event)
        elif isinstance(event, ErrorEvent):
            if self.origin_ns is None:
                self.origin_ns = event.t_ns
            self._errors.append(event.t_ns)
            if len(self._errors) >= _BATCH:
                self._flush_errors()

    def feed_many(self, events: Iterable[Any]) -> None:
        for event in events:
            self.feed(event)

    def add_samples(
        self,
        intended_ns: np.ndarray,
        sent_ns: np.ndarray,
        done_ns: np.ndarray,
        outcome: np.ndarray,
        bytes_out: np.ndarray | int = 0,
        bytes_in: np.ndarray | int = 0,
    ) -> None:
        """Bulk, numpy-side equivalent of feeding non-warm-up `Sample`s in order.

        `outcome` holds codes (see `OUTCOME_CODE`). For replaying a CSV or tests
        with a million samples, where building dataclasses would dominate.
        """
        self.flush()
        intended = np.asarray(intended_ns, dtype=np.int64)
        if not len(intended):
            return
        if self.origin_ns is None:
            self.origin_ns = int(intended[0])
        n = len(intended)
        self._ingest_samples(
            intended,
            np.asarray(sent_ns, dtype=np.int64),
            np.asarray(done_ns, dtype=np.int64),
            np.asarray(outcome, dtype=np.int64),
            np.broadcast_to(np.asarray(bytes_out, dtype=np.float64), (n,)),
            np.broadcast_to(np.asarray(bytes_in, dtype=np.float64), (n,)),
        )

    def flush(self) -> None:
        """Fold pending events into the arrays; every reader calls it first."""
        self._flush_samples()
        self._flush_frames()
        self._flush_errors()

    def _flush_samples(self) -> None:
        if not self._samples:
            return
        a = np.array(self._samples, dtype=np.int64)
        self._samples.clear()
        self._ingest_samples(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5])

    def _ingest_samples(
        self,
        intended: np.ndarray,
        sent: np.ndarray,
        done: np.ndarray,
        outcome: np.ndarray,
        bytes_out: np.ndarray,
        bytes_in: np.ndarray,
    ) -> None:
        t_s = self._seconds(intended)
        ok = outcome == OUTCOME_CODE["received"]
        self._rtt.extend(np.column_stack((t_s[ok], (done[ok] - intended[ok]) / 1e6)))
        self._fail.extend(np.column_stack((t_s[~ok], outcome[~ok])))
        sent_s, done_s = self._seconds(sent), self._seconds(done)
        self.max_t_s = max(self.max_t_s, float(done_s.max()))
        self._bucket("sent", sent_s)
        self._bucket("bytes_out", sent_s, bytes_out)
        self._bucket("bytes_in", done_s, bytes_in)
        for name, code in OUTCOME_CODE.items():
            hit = outcome == code
            if hit.any():
                self._bucket(name, done_s[hit])

    def _flush_frames(self) -> None:
        if not self._frames:
            return
        a = np.array(self._frames, dtype=np.float64)
        t_ns = np.array([f[0] for f in self._frames], dtype=np.int64)  # exact past 2**53
        self._frames.clear()
        t_s, inbound, lat, hold = self._seconds(t_ns), a[:, 1] > 0, a[:, 2], a[:, 3]
        self.max_t_s = max(self.max_t_s, float(t_s.max()))
        self._bucket("frames_in", t_s[inbound])
        self._bucket("frames_out", t_s[~inbound])
        has = inbound & ~np.isnan(lat)
        self._frame.extend(np.column_stack((t_s[has], lat[has])))
        held = inbound & ~np.isnan(hold)
        if held.any():
            self._hold.extend(np.column_stack((t_s[held], hold[held], a[held, 4])))

    def _stats_row(self, event: StatsSnapshot) -> None:
        """One row per periodic snapshot that has any figure of `STATS`; the connection's
        description and the end-of-session snapshot (rates over a partial interval) are
        left out. A snapshot is rare (one a second), so no batching."""
        values = event.values
        if values.get("final"):
            return
        row = [values.get(name) for name in STATS]
        if all(v is None for v in row):
            return
        if self.origin_ns is None:
            self.origin_ns = event.t_ns
        t_s = (event.t_ns - self.origin_ns) / 1e9
        self._stats.append(
            t_s,
            event.session,
            *(float(v) if isinstance(v, int | float) else np.nan for v in row),
        )

    def _flush_errors(self) -> None:
        if not self._errors:
            return
        t_s = self._seconds(np.array(self._errors, dtype=np.int64))
        self._errors.clear()
        self._bucket("error_events", t_s)

    def _seconds(self, ns: np.ndarray) -> np.ndarray:
        return (ns - (self.origin_ns or 0)) / 1e9

    def _bucket(self, name: str, t_s: np.ndarray, weight: np.ndarray | None = None) -> None:
        """Add to per-second buckets; a slot is recycled when its second is `seconds` old."""
        if not len(t_s):
            return
        sec = np.floor(t_s).astype(np.int64)
        n = len(self._bucket_sec)
        newest = int(sec.max()) if self._last_sec is None else max(self._last_sec, int(sec.max()))
        keep = sec > newest - n
        if not keep.all():
            sec = sec[keep]
            weight = None if weight is None else weight[keep]
        slot = sec % n
        stale = self._bucket_sec[slot] != sec
        if stale.any():
            self._buckets[slot[stale]] = 0.0
            self._bucket_sec[slot[stale]] = sec[stale]
        np.add.at(self._buckets[:, _COL[name]], slot, 1.0 if weight is None else weight)
        self._last_sec = newest
        low = int(sec.min()) if len(sec) else newest
        self._first_sec = low if self._first_sec is None else min(self._first_sec, low)

    # -- reading -----------------------------------------------------------------
    @property
    def received_total(self) -> int:
        """Received samples ever fed; more than `len(latency()[0])` once the ring wrapped."""
        self.flush()
        return self._rtt.total

    @property
    def failed_total(self) -> int:
        self.flush()
        return self._fail.total

    def latency(self) -> tuple[np.ndarray, np.ndarray]:
        """(t_s, rtt_ms) of the retained received samples, oldest first."""
        self.flush()
        v = self._rtt.view()
        return v[:, 0], v[:, 1]

    def failures(self) -> tuple[np.ndarray, np.ndarray]:
        """(t_s, outcome code) of the retained errored/dropped/timed-out samples."""
        self.flush()
        v = self._fail.view()
        return v[:, 0], v[:, 1].astype(np.int64)

    @property
    def frames_total(self) -> int:
        """Marker-matched inbound frames ever fed (with a latency)."""
        self.flush()
        return self._frame.total

    def frame_latency(self) -> tuple[np.ndarray, np.ndarray]:
        """(t_s, latency_ms) of the retained marker-matched inbound frames."""
        self.flush()
        v = self._frame.view()
        return v[:, 0], v[:, 1]

    def frame_hold(self, session: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(t_s, ms) the client's jitter buffer held each retained inbound frame, of
        one session or (None) of all."""
        self.flush()
        v = self._hold.view()
        if session is not None:
            v = v[v[:, 2] == session]
        return v[:, 0], v[:, 1]

    def stats_sessions(self) -> list[int]:
        """The sessions that sent getStats snapshots (or held frames), in order."""
        self.flush()
        found = np.concatenate((self._stats.view()[:, 1], self._hold.view()[:, 2]))
        return [int(s) for s in np.unique(found)]

    @property
    def stats_total(self) -> int:
        """Stats rows ever kept: a cheap "anything new?" for live views."""
        return self._stats.total

    def stats_series(self, session: int = 0) -> dict[str, np.ndarray]:
        """getStats figures of one session over time: "t_s", every name in `STATS` (nan
        where a snapshot lacked it) and "loss_pct", the packets lost in each interval
        out of those expected then (lost + received), in percent."""
        v = self._stats.view()
        v = v[v[:, 1] == session]
        out = {"t_s": v[:, 0]} | {name: v[:, 2 + i] for i, name in enumerate(STATS)}
        lost, got = out["packets_lost"], out["packets_received"]
        d_lost, d_got = np.diff(lost, prepend=np.nan), np.diff(got, prepend=np.nan)
        expected = d_lost + d_got  # nan for the first row and where a counter is missing
        with np.errstate(invalid="ignore", divide="ignore"):
            share = 100.0 * np.clip(d_lost, 0, None) / expected
        out["loss_pct"] = np.where(expected > 0, share, np.where(expected == 0, 0.0, np.nan))
        return out

    def per_second(self) -> dict[str, np.ndarray]:
        """Per-second series over the retained window, gaps as zeros.

        Keys: "t_s" (start of each second) and every name in `BUCKETS`; the
        counts in a one-second bucket are also the per-second rates.
        """
        self.flush()
        if self._last_sec is None or self._first_sec is None:
            return {"t_s": np.zeros(0)} | {name: np.zeros(0) for name in BUCKETS}
        n = len(self._bucket_sec)
        first = max(self._first_sec, self._last_sec - n + 1)
        secs = np.arange(first, self._last_sec + 1, dtype=np.int64)
        slot = secs % n
        rows = np.where((self._bucket_sec[slot] == secs)[:, None], self._buckets[slot], 0.0)
        return {"t_s": secs.astype(np.float64)} | {
            name: rows[:, i].copy() for i, name in enumerate(BUCKETS)
        }

    def network_changes(self) -> list[dict[str, Any]]:
        """The run's network changes with `t_s` on this timeline's clock (see changes.py)."""
        origin = self.origin_ns or 0
        return [change_row(e, (e.t_ns - origin) / 1e9) for e in self._changes]

    def resolution_series(
        self, direction: str = "in", session: int | None = None
    ) -> dict[str, np.ndarray]:
        """Frame resolution per second of one direction ("in"/"out"): "t_s" (as in
        `per_second`), "width", "height" (the size in force at the end of each second,
        nan before the first frame); the first session's when `session` is None and
        several sent frames."""
        origin = self.origin_ns or 0
        points = [((t - origin) / 1e9, s, d, w, h) for t, s, d, w, h in self._resolution.points]
        if session is None:
            mine = [p[1] for p in points if p[2] == direction]
            session = min(mine) if mine else None
        t_s, widths, heights = step_series(points, direction, session)
        seconds = [float(x) for x in self.per_second()["t_s"]]
        w, h = per_second(t_s, widths, heights, seconds)
        return {"t_s": np.array(seconds), "width": np.array(w), "height": np.array(h)}

    def resolution_steps(
        self, direction: str = "in", session: int = 0, until_s: float | None = None
    ) -> dict[str, np.ndarray]:
        """One session's frame size as a step curve for a live plot: "t_s", "width",
        "height" with each size held until the next change (and the last one to
        `until_s`, if later); empty before its first frame. Cheap: only change points."""
        origin = self.origin_ns or 0
        rows = [
            ((t - origin) / 1e9, w, h)
            for t, s, d, w, h in self._resolution.points
            if d == direction and s == session
        ]
        rows.sort()
        t_out: list[float] = []
        w_out: list[float] = []
        h_out: list[float] = []
        for i, (t, w, h) in enumerate(rows):
            if i:
                t_out.append(t)  # the previous size up to here, then the new one
                w_out.append(w_out[-1])
                h_out.append(h_out[-1])
            t_out.append(t)
            w_out.append(float(w))
            h_out.append(float(h))
        if rows and until_s is not None and until_s > t_out[-1]:
            t_out.append(until_s)
            w_out.append(w_out[-1])
            h_out.append(h_out[-1])
        return {"t_s": np.array(t_out), "width": np.array(w_out), "height": np.array(h_out)}

    @property
    def resolution_points(self) -> int:
        """Resolution change points kept: a cheap "anything new?" for live views."""
        return len(self._resolution.points)

    def resolution_per_second(self) -> dict[str, np.ndarray]:
        """ "width_in", "height_in", "width_out", "height_out" on `per_second`'s seconds,
        for the directions that had frames with a size (the run history stores them)."""
        out: dict[str, np.ndarray] = {}
        for direction in ("in", "out"):
            r = self.resolution_series(direction)
            if len(r["width"]) and not np.isnan(r["width"]).all():
                out[f"width_{direction}"] = r["width"]
                out[f"height_{direction}"] = r["height"]
        return out

    def percentiles_per_second(self, name: str) -> dict[str, np.ndarray]:
        """Each second's latency percentiles, for a timeline that has no samples but
        these (a merged load test: "rtt" or "frame_latency"; keys "t_s", "count",
        "min", "p50", "p90", "p99", "p999", "max"). A timeline of samples has none: {}."""
        return {}
