"""What a run measured, as typed values: the one object every report is written from.

`Aggregator.summary()` builds a `Summary`; the JSON file (`to_json`), the HTML report,
the CLI table, `--assert` and the GUI counters all read its fields, so a figure has
one name and one value everywhere. Latency blocks are `Percentiles` (milliseconds);
figures that only some transports measure sit in optional sub-objects (`stream` for
SSE, `frames` for video, `fal` for x-fal-message timings) that are None when the run
measured none of it.

The JSON file keeps its flat layout: the sub-objects' fields are written at the top
level, absent (None) parts are left out, and the histogram bins used for plots are not
written. `Summary.from_json` reads such a file back into an equal `Summary`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cached_property
from typing import Any

from app.core.health.figures import ClientHealth, ServerHealth
from app.core.metrics import LogBins, Percentiles

FLAT = {"json": "flat"}  # the sub-object's fields are written at the top level
NOT_IN_JSON = {"json": "skip"}  # for plots only
NESTED = {"json": "nested"}  # written as its own object, read back by from_json


@dataclass(frozen=True)
class SessionLine:
    """One session's outcomes, as the `per_session` list shows them."""

    session: int
    state: str
    sent: int
    received: int
    errors: int
    dropped: int
    timeouts: int
    unmatched: int = 0  # frames that arrived and answered no message


@dataclass(frozen=True)
class StreamFigures:
    """SSE: each streaming request is one message; these describe its events."""

    time_to_first_event_ms: Percentiles
    event_gap_ms: Percentiles
    events: int
    events_per_s: float
    client_backlogged_requests: int  # requests where the client, not the server, set the pace


@dataclass(frozen=True)
class FrameFigures:
    """Video frames (WebRTC): counted per direction, latencies of marker-matched frames."""

    fps_out: float
    fps_in: float
    frames_out: int
    frames_in: int
    frames_lost: int
    frame_latency_ms: Percentiles
    frame_hold_ms: Percentiles
    time_to_connected_ms: float | None = None
    time_to_first_frame_ms: float | None = None
    control_rtt_ms: Percentiles | None = None  # wma control channel ping -> pong
    # how the session reacted to the network (app.core.transports.webrtc_network): NACKs,
    # PLIs, freezes (gaps over 3 frame intervals), packets the impairment dropped
    feedback: Mapping[str, float] = field(default_factory=dict)
    # frame width x height per direction: min, median (by frames), max, changes
    # (app/core/network/resolution.py)
    resolution: Mapping[str, Any] = field(default_factory=dict)
    latency_histogram: LogBins = field(default=LogBins(), compare=False, metadata=NOT_IN_JSON)

    @property
    def in_flight(self) -> int:
        """Frames sent that had neither come back nor been counted lost when the run ended
        (the remainder of out = in + lost + in flight; negative means frames came back
        that were never sent, e.g. duplicates)."""
        return self.frames_out - self.frames_in - self.frames_lost


@dataclass(frozen=True)
class FalTimings:
    """x-fal-message frames: the server's own duration-billing timings."""

    fal_messages: int
    fal_timing_s: float


@dataclass(frozen=True)
class OutcomeTable:
    """Where every sent unit went: `total` should equal the sum of the rows."""

    unit: str  # "Messages" or "Frames"
    total_label: str
    total: int
    rows: tuple[tuple[str, int], ...]

    @property
    def accounted(self) -> int:
        return sum(n for _, n in self.rows)


@dataclass(frozen=True)
class Summary:
    """A run's figures. Counters count measured messages (warm-up excluded); for SSE a
    message is one streaming request."""

    transport: str
    target: str
    started: str  # local time, ISO 8601
    sessions: int
    sent: int
    received: int
    errors: int
    dropped: int
    timeouts: int
    warmup: int
    error_events: int  # error events (connection, protocol, app) beyond message outcomes
    duration_s: float  # first to last timed event of the run (samples and frames)
    rate_per_s: float  # messages sent per second
    bytes_out: int
    bytes_in: int
    throughput_in_bytes_per_s: float
    rtt_ms: Percentiles
    errors_by_message: Mapping[str, int]
    connection: Mapping[str, Any]  # what the transport says about the connection
    per_session: tuple[SessionLine, ...] = ()
    send_lag_ms: Percentiles | None = None  # open loop: how late the client itself sent
    server_ms: Percentiles | None = None
    network_ms: Percentiles | None = None
    # events the engine discarded because its consumer (the GUI) fell behind: when this is
    # not 0, the counters and plots above miss that many events
    events_dropped: int = 0
    # replies that matched no message (never counted as received, not part of `sent`),
    # and why: late, duplicate, unknown, unsolicited (app/core/sessions/matcher.py)
    unmatched: int = 0
    unmatched_by_reason: Mapping[str, int] = field(default_factory=dict)
    # network changes during the run, in time order: t_s (from the run's first event),
    # side (client, mock), direction, name, spec, session (app/core/network/changes.py)
    network_changes: tuple[Mapping[str, Any], ...] = ()
    stream: StreamFigures | None = field(default=None, metadata=FLAT)
    frames: FrameFigures | None = field(default=None, metadata=FLAT)
    fal: FalTimings | None = field(default=None, metadata=FLAT)
    rtt_histogram: LogBins = field(default=LogBins(), compare=False, metadata=NOT_IN_JSON)
    # rtprobe's own health (loop lag, CPU, GC) and, when the target is the mock, its
    # /health reading; each says in `verdict` when that side was the bottleneck
    health: ClientHealth | None = field(default=None, metadata=NESTED)
    server_health: ServerHealth | None = field(default=None, metadata=NESTED)

    def saturation_lines(self) -> list[str]:
        """The one-line warnings that the figures include the client's (or the mock's)
        own queueing: empty when neither side was saturated."""
        return [h.verdict for h in (self.health, self.server_health) if h and h.verdict]

    # -- reading -------------------------------------------------------------------
    def latencies(self) -> Iterator[tuple[str, Percentiles]]:
        """Every latency block the run has, by its JSON name."""
        st, fr = self.stream, self.frames
        blocks: tuple[tuple[str, Percentiles | None], ...] = (
            ("rtt_ms", self.rtt_ms),
            ("server_ms", self.server_ms),
            ("network_ms", self.network_ms),
            ("time_to_first_event_ms", None if st is None else st.time_to_first_event_ms),
            ("event_gap_ms", None if st is None else st.event_gap_ms),
            ("send_lag_ms", self.send_lag_ms),
            ("frame_latency_ms", None if fr is None else fr.frame_latency_ms),
            ("frame_hold_ms", None if fr is None else fr.frame_hold_ms),
            ("control_rtt_ms", None if fr is None else fr.control_rtt_ms),
        )
        for name, block in blocks:
            if block is not None:
                yield name, block

    def latency(self, name: str) -> Percentiles | None:
        return dict(self.latencies()).get(name)

    def flood_warning(self) -> str | None:
        """One line when frames that no input asked for (no id, or an id never sent)
        outnumber the replies: the server sends what nobody asked for, and the figures
        should be read so. Late and duplicate replies answer an input that was sent (a
        server-streaming app's further outputs are duplicates), so they do not count."""
        reasons = self.unmatched_by_reason
        unasked = reasons.get("unsolicited", 0) + reasons.get("unknown", 0)
        if not unasked or unasked <= self.received:
            return None
        return (
            f"flood: {unasked:,} frames that no input asked for, more than the "
            f"{self.received:,} replies received"
        )

    @property
    def measured_frames(self) -> bool:
        return self.frames is not None and bool(self.frames.frames_out or self.frames.frames_in)

    def outcome_tables(self) -> list[OutcomeTable]:
        """Messages (when any were sent, or when nothing else was measured) and frames
        (when the run sent frames): each with the rows its total should add up to."""
        tables = []
        f = self.frames
        rows: tuple[tuple[str, int], ...]
        if self.sent or f is None or not f.frames_out:
            rows = (
                ("Received", self.received),
                ("Errors", self.errors),
                ("Dropped", self.dropped),
                ("Timeouts", self.timeouts),
            )
            tables.append(OutcomeTable("Messages", "Sent (measured)", self.sent, rows))
        if f is not None and f.frames_out:
            rows = (("Frames in", f.frames_in), ("Lost", f.frames_lost))
            rows += (("In flight at the end", max(0, f.in_flight)),)
            tables.append(OutcomeTable("Frames", "Frames out", f.frames_out, rows))
        return tables

    # -- the JSON file -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The summary file's object: flat keys, absent parts left out."""
        return _json_object(self)

    @cached_property
    def _json_view(self) -> dict[str, Any]:
        return self.to_json()

    def __getitem__(self, key: str) -> Any:
        """Read-only access by the JSON file's keys (`s["rtt_ms"]["p99"]`), for scripts and
        tests written against the file; code in `app/` reads the typed fields."""
        return self._json_view[key]

    def __contains__(self, key: object) -> bool:
        return key in self._json_view

    def get(self, key: str, default: Any = None) -> Any:
        return self._json_view.get(key, default)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        """Read a summary file's object back (plot bins, never written, stay empty)."""

        def pct(key: str) -> Percentiles | None:
            block = data.get(key)
            return None if block is None else Percentiles(**block)

        def need(key: str) -> Percentiles:
            block = pct(key)
            return block if block is not None else Percentiles(0, *(0.0,) * 7)

        stream = None
        if "events" in data:
            stream = StreamFigures(
                time_to_first_event_ms=need("time_to_first_event_ms"),
                event_gap_ms=need("event_gap_ms"),
                events=data["events"],
                events_per_s=data["events_per_s"],
                client_backlogged_requests=data["client_backlogged_requests"],
            )
        frames = None
        if "frames_out" in data:
            frames = FrameFigures(
                fps_out=data["fps_out"],
                fps_in=data["fps_in"],
                frames_out=data["frames_out"],
                frames_in=data["frames_in"],
                frames_lost=data["frames_lost"],
                frame_latency_ms=need("frame_latency_ms"),
                frame_hold_ms=need("frame_hold_ms"),
                control_rtt_ms=pct("control_rtt_ms"),
                time_to_connected_ms=data.get("time_to_connected_ms"),
                time_to_first_frame_ms=data.get("time_to_first_frame_ms"),
                feedback=data.get("feedback", {}),
                resolution=data.get("resolution", {}),
            )
        fal = None
        if "fal_messages" in data:
            fal = FalTimings(data["fal_messages"], data["fal_timing_s"])
        plain = {
            f.name: data[f.name]
            for f in fields(cls)
            if not f.metadata and f.name in data and not f.name.endswith("_ms")
        }
        plain["network_changes"] = tuple(data.get("network_changes", ()))
        plain["per_session"] = tuple(SessionLine(**line) for line in data.get("per_session", ()))
        return cls(
            **plain,
            rtt_ms=need("rtt_ms"),
            send_lag_ms=pct("send_lag_ms"),
            server_ms=pct("server_ms"),
            network_ms=pct("network_ms"),
            stream=stream,
            frames=frames,
            fal=fal,
            health=_nested(ClientHealth, data.get("health")),
            server_health=_nested(ServerHealth, data.get("server_health")),
        )


def _nested(cls: Any, block: Any) -> Any:
    """A NESTED block read back: its known keys only (a newer file may hold more)."""
    if not isinstance(block, Mapping):
        return None
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in block.items() if k in names})


def _json_object(obj: Any) -> dict[str, Any]:
    """A dataclass as the file writes it: FLAT fields merged in, None and plot-only left out."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        how = f.metadata.get("json")
        if how == "skip" or value is None:
            continue
        if how == "flat":
            out.update(_json_object(value))
        else:
            out[f.name] = _json_value(value)
    return out


def _json_value(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _json_object(value)
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value
