"""Folding the event stream into what a run measured: counters, percentiles, rates.

Memory stays flat however long the run: histograms and counters only. Warm-up
samples are counted as such and left out of everything else. `Aggregator.summary()`
gives the typed `Summary` (app/core/report/model.py) every report is written from.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from app.core.events import (
    ErrorEvent,
    Event,
    EventsDropped,
    FrameSample,
    Health,
    Message,
    NetworkChange,
    Sample,
    StateChange,
    StatsSnapshot,
    Unmatched,
)
from app.core.health.summary import client_health
from app.core.metrics import LatencyHistogram, Percentiles
from app.core.network.changes import MAX_CHANGES_KEPT, change_row
from app.core.network.feedback import add_feedback
from app.core.network.resolution import ResolutionTracker
from app.core.report.model import FalTimings, FrameFigures, SessionLine, StreamFigures, Summary
from app.core.sessions import registry
from app.core.sessions.matcher import UNMATCHED_REASONS

__all__ = ["Aggregator", "SessionTotals", "Summary"]

MAX_ERROR_KINDS = 20
MAX_SESSIONS_LISTED = 100


@dataclass
class SessionTotals:
    sent: int = 0
    received: int = 0
    errored: int = 0
    dropped: int = 0
    timed_out: int = 0
    warmup: int = 0
    unmatched: int = 0  # replies that matched no message (not part of `sent`)
    state: str = "connecting"

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class Aggregator:
    transport: str = ""
    target: str = ""
    rtt: LatencyHistogram = field(default_factory=LatencyHistogram)
    server: LatencyHistogram = field(default_factory=LatencyHistogram)
    network: LatencyHistogram = field(default_factory=LatencyHistogram)
    first_event: LatencyHistogram = field(default_factory=LatencyHistogram)
    frame_latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    frame_hold: LatencyHistogram = field(default_factory=LatencyHistogram)
    control_rtt: LatencyHistogram = field(default_factory=LatencyHistogram)  # wma ping/pong
    event_gap: LatencyHistogram = field(default_factory=LatencyHistogram)
    backlogged: int = 0  # SSE requests where the client could not keep up
    send_lag: LatencyHistogram = field(default_factory=LatencyHistogram)  # sent - intended
    sessions: dict[int, SessionTotals] = field(default_factory=dict)
    error_messages: Counter[str] = field(default_factory=Counter)
    unmatched_by_reason: Counter[str] = field(default_factory=Counter)
    errors_seen: int = 0  # error events (connection, protocol, app), beyond per-message outcomes
    bytes_out: int = 0
    bytes_in: int = 0
    events_dropped: int = 0  # EventsDropped: what a slow consumer never received
    events_in: int = 0  # SSE events
    frames_out: int = 0
    frames_in: int = 0
    frames_lost: int = 0
    fal_messages: int = 0  # x-fal-message frames (duration-billing timings)
    fal_timing_s: float = 0.0
    first_ns: int | None = None
    last_ns: int | None = None
    frame_first_ns: dict[str, int] = field(default_factory=dict)
    frame_last_ns: dict[str, int] = field(default_factory=dict)
    feedback: dict[str, float] = field(default_factory=dict)  # summed final WebRTC counters
    info: dict[str, Any] = field(default_factory=dict)
    wire_bytes: dict[int, tuple[int, int]] = field(default_factory=dict)  # session: (out, in)
    started_wall: float = field(default_factory=time.time)
    health: Health | None = None  # the latest reading of the client's own health
    resolution: ResolutionTracker = field(default_factory=ResolutionTracker)
    network_changes: list[NetworkChange] = field(default_factory=list)
    origin_ns: int | None = None  # the first timed event's: network changes count from it

    def _session(self, index: int) -> SessionTotals:
        totals = self.sessions.get(index)
        if totals is None:
            totals = self.sessions[index] = SessionTotals()
        return totals

    def feed(self, event: Event) -> None:
        if self.origin_ns is None:
            self._origin(event)
        if isinstance(event, Sample):
            self._sample(event)
        elif isinstance(event, ErrorEvent):
            self.errors_seen += 1
            if len(self.error_messages) < MAX_ERROR_KINDS or event.message in self.error_messages:
                self.error_messages[event.message] += 1
        elif isinstance(event, StateChange):
            self._session(event.session).state = event.state
        elif isinstance(event, Unmatched):
            self._session(event.session).unmatched += event.count
            self.unmatched_by_reason.update(event.reasons)
            self.bytes_in += event.bytes_in
        elif isinstance(event, FrameSample):
            self._frame(event)
        elif isinstance(event, StatsSnapshot):
            self._stats(event)
        elif isinstance(event, Health):
            self.health = event
        elif isinstance(event, EventsDropped):
            self.events_dropped += event.count
        elif isinstance(event, NetworkChange):
            if len(self.network_changes) < MAX_CHANGES_KEPT:
                self.network_changes.append(event)
        elif isinstance(event, Message) and event.kind == "x-fal-message":
            self.fal_messages += 1
            timing = event.data.get("timing") if isinstance(event.data, dict) else None
            if isinstance(timing, int | float):
                self.fal_timing_s += float(timing)

    def _origin(self, event: Event) -> None:
        """The run's time origin, as the report timeline takes it (the first sample's
        intended time, or the first frame, error, stats or change)."""
        if isinstance(event, Sample):
            self.origin_ns = event.intended_ns
        elif isinstance(event, FrameSample | ErrorEvent | StatsSnapshot | NetworkChange):
            self.origin_ns = event.t_ns

    def _stats(self, event: StatsSnapshot) -> None:
        """The first snapshot describes the connection; later ones add set-up times and,
        at the end of a WebRTC session, the frames that never arrived."""
        values = event.values
        wire_out, wire_in = values.get("bytes_out"), values.get("bytes_in")
        if isinstance(wire_out, int) and isinstance(wire_in, int):
            self.wire_bytes[event.session] = (wire_out, wire_in)  # running totals
        rtts = values.get("control_rtt_ms")
        if isinstance(rtts, list):
            for ms in rtts:
                if isinstance(ms, int | float) and ms >= 0:
                    self.control_rtt.record_ns(int(ms * 1e6))
        if not self.info:
            self.info = dict(values)
            return
        if "time_to_first_frame_ms" in values:
            self.info.setdefault("time_to_first_frame_ms", values["time_to_first_frame_ms"])
        if values.get("final"):
            self.frames_lost += int(values.get("frames_lost", 0))
            add_feedback(self.feedback, values)

    def _sample(self, s: Sample) -> None:
        # the per-message path: attributes read once, no property or helper calls
        totals = self._session(s.session)
        if s.warmup:
            totals.warmup += 1
            return
        totals.sent += 1
        outcome, intended, done = s.outcome, s.intended_ns, s.done_ns
        if outcome == "received":
            totals.received += 1
        else:
            totals.add(outcome)
        self.bytes_out += s.bytes_out
        self.bytes_in += s.bytes_in
        self.events_in += s.events
        if self.first_ns is None or intended < self.first_ns:
            self.first_ns = intended
        if self.last_ns is None or done > self.last_ns:
            self.last_ns = done
        lag = s.sent_ns - intended
        self.send_lag.record_ns(lag if lag > 0 else 0)
        if outcome != "received":
            return
        self.rtt.record_ns(done - intended)  # Sample.rtt_ns
        server = s.server_ns
        if server is not None:
            self.server.record_ns(server)
            net = done - s.sent_ns - server
            self.network.record_ns(net if net > 0 else 0)
        if s.first_ns is not None:
            self.first_event.record_ns(s.first_ns - intended)
        for gap in s.gaps_ns:
            self.event_gap.record_ns(gap)
        self.backlogged += s.backlogged

    def _frame(self, f: FrameSample) -> None:
        if f.direction == "out":
            self.frames_out += 1
        else:
            self.frames_in += 1
            if f.latency_ns is not None:
                self.frame_latency.record_ns(f.latency_ns)
            if f.hold_ns is not None:
                self.frame_hold.record_ns(f.hold_ns)
        self.resolution.frame(f.session, f.direction, f.t_ns, f.width, f.height)
        self.frame_first_ns.setdefault(f.direction, f.t_ns)
        self.frame_last_ns[f.direction] = f.t_ns

    # -- results -------------------------------------------------------------------
    def totals(self) -> SessionTotals:
        out = SessionTotals()
        for t in self.sessions.values():
            for name in (
                "sent",
                "received",
                "errored",
                "dropped",
                "timed_out",
                "warmup",
                "unmatched",
            ):
                setattr(out, name, getattr(out, name) + getattr(t, name))
        return out

    @property
    def duration_s(self) -> float:
        """From the first to the last timed event: samples and frames alike, so a video run
        without messages has its length too."""
        firsts = [t for t in (self.first_ns, *self.frame_first_ns.values()) if t is not None]
        lasts = [t for t in (self.last_ns, *self.frame_last_ns.values()) if t is not None]
        if not firsts or not lasts:
            return 0.0
        return max(0.0, (max(lasts) - min(firsts)) / 1e9)

    def fps(self, direction: str) -> float:
        first, last = self.frame_first_ns.get(direction), self.frame_last_ns.get(direction)
        n = self.frames_out if direction == "out" else self.frames_in
        if first is None or last is None or last <= first or n < 2:
            return 0.0
        return (n - 1) / ((last - first) / 1e9)

    def summary(self) -> Summary:
        t = self.totals()
        duration = self.duration_s
        # messages' own bytes, plus what transports that count the wire (getStats) reported
        bytes_out = self.bytes_out + sum(out for out, _ in self.wire_bytes.values())
        bytes_in = self.bytes_in + sum(in_ for _, in_ in self.wire_bytes.values())

        def per_s(n: float, digits: int) -> float:
            return round(n / duration, digits) if duration else 0.0

        lag = None
        if self.send_lag.count and self.send_lag.percentile_ms(99) > 0.001:
            lag = _pct(self.send_lag)  # open loop: how late the client itself sent
        return Summary(
            transport=self.transport,
            target=self.target,
            started=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started_wall)),
            sessions=len(self.sessions),
            sent=t.sent,
            received=t.received,
            errors=t.errored,
            dropped=t.dropped,
            timeouts=t.timed_out,
            warmup=t.warmup,
            error_events=self.errors_seen,
            events_dropped=self.events_dropped,
            unmatched=t.unmatched,
            unmatched_by_reason={r: self.unmatched_by_reason[r] for r in UNMATCHED_REASONS},
            duration_s=round(duration, 6),
            rate_per_s=per_s(t.sent, 3),
            bytes_out=bytes_out,
            bytes_in=bytes_in,
            throughput_in_bytes_per_s=per_s(bytes_in, 1),
            rtt_ms=_pct(self.rtt),
            errors_by_message=dict(self.error_messages.most_common(MAX_ERROR_KINDS)),
            connection=dict(self.info),  # a copy: later snapshots add to info
            per_session=tuple(
                SessionLine(
                    session=i,
                    state=s.state,
                    sent=s.sent,
                    received=s.received,
                    errors=s.errored,
                    dropped=s.dropped,
                    timeouts=s.timed_out,
                    unmatched=s.unmatched,
                )
                for i, s in sorted(self.sessions.items())[:MAX_SESSIONS_LISTED]
            ),
            send_lag_ms=lag,
            server_ms=_pct(self.server) if self.server.count else None,
            network_ms=_pct(self.network) if self.server.count else None,
            stream=self._stream(duration),
            frames=self._frames(),
            fal=FalTimings(self.fal_messages, round(self.fal_timing_s, 6))
            if self.fal_messages
            else None,
            rtt_histogram=self.rtt.log_bins(),
            health=client_health(self.health, self.rtt, self.send_lag),
            network_changes=tuple(
                change_row(
                    e, (e.t_ns - (e.t_ns if self.origin_ns is None else self.origin_ns)) / 1e9
                )
                for e in self.network_changes
            ),
        )

    def _stream(self, duration: float) -> StreamFigures | None:
        if not registry.fact(self.transport, "streams_events"):
            return None
        return StreamFigures(
            time_to_first_event_ms=_pct(self.first_event),
            event_gap_ms=_pct(self.event_gap),
            events=self.events_in,
            events_per_s=round(self.events_in / duration, 3) if duration else 0.0,
            client_backlogged_requests=self.backlogged,
        )

    def _frames(self) -> FrameFigures | None:
        if not (
            registry.fact(self.transport, "measures_frames") or self.frames_in or self.frames_out
        ):
            return None
        return FrameFigures(
            fps_out=round(self.fps("out"), 3),
            fps_in=round(self.fps("in"), 3),
            frames_out=self.frames_out,
            frames_in=self.frames_in,
            frames_lost=self.frames_lost,
            frame_latency_ms=_pct(self.frame_latency),
            frame_hold_ms=_pct(self.frame_hold),
            control_rtt_ms=_pct(self.control_rtt) if self.control_rtt.count else None,
            time_to_connected_ms=self.info.get("time_to_connected_ms"),
            time_to_first_frame_ms=self.info.get("time_to_first_frame_ms"),
            latency_histogram=self.frame_latency.log_bins(),
            feedback=dict(self.feedback),
            resolution=self.resolution.summary(),
        )


def _pct(h: LatencyHistogram) -> Percentiles:
    return h.summary().rounded(4)
