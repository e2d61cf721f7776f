"""The engine's one event stream: frozen dataclasses that the GUI, the CLI and the
report writers all consume the same way.

Times are `time.perf_counter_ns()` values (`*_ns`) on the engine's clock; durations
are nanoseconds. `session` numbers the concurrent sessions of a run from 0. Every run
ends with exactly one `RunFinished`; nothing of that run follows it but the ErrorEvent
answering a control (an action, a pause) sent after the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal


def now_ns() -> int:
    """The engine's clock, for every `*_ns` field of these events."""
    return time.perf_counter_ns()


Outcome = Literal["received", "errored", "dropped", "timed_out"]
State = Literal["connecting", "connected", "closed", "failed", "reconnecting"]


@dataclass(slots=True)
class Sample:
    """One message's fate. For SSE one message is one streaming request.

    Immutable by convention, like every event here, but not `frozen`: one is made per
    message, and a frozen dataclass's `__init__` sets each of its 15 fields through
    `object.__setattr__` (2.1 µs against 0.7 µs measured, in the path of every reply)."""

    session: int
    seq: int
    outcome: Outcome
    intended_ns: int  # when the scheduler meant to send (open loop: the schedule)
    sent_ns: int  # when it was actually sent
    done_ns: int  # reply, error, drop detection or timeout
    bytes_out: int = 0
    bytes_in: int = 0
    server_ns: int | None = None  # server time, when the app reports receive/send stamps
    warmup: bool = False
    first_ns: int | None = None  # SSE: first event of the stream
    events: int = 0  # SSE: events in the stream
    error: str = ""
    gaps_ns: tuple[int, ...] = ()  # SSE: between consecutive events
    backlogged: bool = False  # SSE: the client, not the server, set the pace

    @property
    def rtt_ns(self) -> int:
        """Latency from the intended send time (coordinated-omission corrected)."""
        return self.done_ns - self.intended_ns


RAW_CAP = 64 * 1024  # bytes (or characters of a text frame) of a frame a Message keeps


@dataclass(frozen=True, slots=True)
class Message:
    """A frame for the inspector: what went over the wire, decoded where possible.

    `raw` is the frame itself as it went over the wire, for the inspector's Hex tab:
    the bytes of a binary frame, the text of a text frame (its UTF-8 is what was sent),
    at most `RAW_CAP` of it (`size` is the whole frame's); None where the session does
    not have the frame, or the redactor withheld it because it held a secret.
    `sse_fields` is an SSE event's other fields where they are set: `event` (its type,
    when not "message"), `id` (the stream's last event ID, when one was ever set) and
    `retry` (a reconnection time the event brought)."""

    session: int
    direction: Literal["out", "in"]
    t_ns: int
    kind: str  # "output", "input", "x-fal-error", "x-fal-message", "text", "event", "signaling"
    size: int
    data: Any = None
    seq: int | None = None
    raw: bytes | str | None = field(default=None, repr=False)
    sse_fields: dict[str, str | int] | None = field(default=None, repr=False)


def capped_raw(frame: bytes | str | None) -> bytes | str | None:
    """`frame` as a Message keeps it: its first `RAW_CAP` bytes (or characters); the
    same object, not a copy, when it is short enough."""
    if frame is None or len(frame) <= RAW_CAP:
        return frame
    return frame[:RAW_CAP]


@dataclass(frozen=True, slots=True)
class Unmatched:
    """Frames that arrived and were no message's reply, tallied by a message session and
    sent at most a few times a second (a flood of frames is not a flood of events).

    `reasons` counts the replies that matched no pending message, by why (`late`,
    `duplicate`, `unknown`, `unsolicited`: app/core/sessions/matcher.py). `bytes_in` is
    the size of every frame since the last tally that no Sample carries: those replies,
    and fal's notices (x-fal-message, the stream's end) and errors that ended no message.
    """

    session: int
    t_ns: int
    reasons: dict[str, int] = field(default_factory=dict)
    bytes_in: int = 0

    @property
    def count(self) -> int:
        return sum(self.reasons.values())


@dataclass(frozen=True, slots=True)
class StateChange:
    session: int
    t_ns: int
    state: State
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """An error a user should see, already a one-line message. `session` is None for an
    error of the run as a whole (an action no session could take, …)."""

    session: int | None
    t_ns: int
    kind: str  # the ProbeError class name, e.g. "AuthError", "AppError"
    message: str


@dataclass(frozen=True, slots=True)
class FrameSample:
    """WebRTC: one video frame sent or received."""

    session: int
    direction: Literal["out", "in"]
    t_ns: int
    frame_id: int | None = None
    latency_ns: int | None = None  # marker-matched end-to-end latency (in only)
    hold_ns: int | None = None  # of which the client's jitter buffer held it
    width: int = 0
    height: int = 0


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """Periodic transport statistics (WebRTC getStats, negotiated extensions, …)."""

    session: int
    t_ns: int
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """WebRTC: a small RGB thumbnail of a sent or received frame, for a live preview.

    Only emitted when a run asks for previews (`WebRtcParams.video_preview`), at most a
    few per second per direction, so the GUI shows video without the engine shipping
    every full frame across threads. Measurement consumers ignore it.
    """

    session: int
    direction: Literal["out", "in"]
    t_ns: int
    width: int  # of the thumbnail
    height: int
    rgb: bytes = field(repr=False, default=b"")  # RGB888 rows, width * 3 bytes each
    frame_id: int | None = None  # the marker value, when readable
    source_width: int = 0  # of the frame it was taken from
    source_height: int = 0


@dataclass(frozen=True, slots=True)
class Health:
    """The client's own health so far in the run (app/core/health): sent about once a
    second and once more, `final`, just before RunFinished. Times are cumulative since
    the run began: process CPU `cpu_s` over `wall_s`, the loop thread's `loop_cpu_s`
    over `loop_wall_s`, how late a 10 ms sleeper woke (`lag_*`), the GC's pauses."""

    t_ns: int
    wall_s: float
    cpu_s: float
    loop_cpu_s: float
    loop_wall_s: float
    cores: int
    lag_wakes: int
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    gc_count: int
    gc_total_ms: float
    gc_max_ms: float
    final: bool = False


FinishReason = Literal["done", "stopped", "failed", "cancelled"]


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The last event of every run. `error` is the one-line reason a run failed as a
    whole (a bad config, an engine bug, the engine process gone); the sessions' own
    failures arrive before it as ErrorEvents and StateChanges."""

    t_ns: int
    reason: FinishReason
    error: str = ""


@dataclass(frozen=True, slots=True)
class EventsDropped:
    """`count` events of this run were discarded because the consumer (the GUI) did not
    take them in time; sent after the drop, before the run's RunFinished."""

    t_ns: int
    count: int


@dataclass(frozen=True, slots=True)
class NetworkChange:
    """A network condition changed during the run (`app.core.network.changes`): on the
    client's packets or the mock's side of a session, to preset/profile `name` (`spec`
    in full); `direction` says which way it acts: up, down or both. `session` is None
    for a change of the whole mock (every connection)."""

    session: int | None
    t_ns: int
    side: Literal["client", "mock"]
    direction: str
    name: str
    spec: str


Event = (
    Sample
    | Message
    | Unmatched
    | StateChange
    | ErrorEvent
    | FrameSample
    | StatsSnapshot
    | VideoFrame
    | Health
    | RunFinished
    | EventsDropped
    | NetworkChange
)
