"""Settings of one mock server: where it listens, auth, limits and default faults."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass
class FaultConfig:
    """Faults applied to every session unless a connection's query overrides them.

    Probabilities are in 0..1; durations in milliseconds; 0 disables a fault.
    """

    latency_ms: float = 0.0  # added before each output / event / answer
    jitter_ms: float = 0.0  # uniform +- jitter around latency_ms (never below 0)
    drop: float = 0.0  # probability that an output is silently dropped
    error_rate: float = 0.0  # probability that an output is replaced by an error
    disconnect_after: int = 0  # abrupt disconnect after this many outputs
    slow_start_ms: float = 0.0  # delay before a session is accepted
    stall_ms: float = 0.0  # SSE: pause this long mid-stream ...
    stall_after: int = 1  # ... after this many events
    frame_drop: float = 0.0  # WebRTC: probability that a video frame is not sent
    seed: int | None = None  # random seed, for repeatable fault patterns


@dataclass
class MockConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 picks a free port
    key: str | None = None  # when set, demand `Authorization: Key <key>` or a token we issued
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    session_timeout_s: float = 60.0  # idle realtime sessions get TIMEOUT after this
    timings: bool = False  # send x-fal-message timings frames on realtime sessions
    faults: FaultConfig = field(default_factory=FaultConfig)
