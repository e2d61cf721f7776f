"""Settings of one mock server: where it listens, auth, limits and default faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.faultschema import FaultConfig  # the one fault schema, kept in core

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "FaultConfig", "MockConfig"]

DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass
class MockConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 picks a free port
    key: str | None = None  # when set, demand `Authorization: Key <key>` or a token we issued
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    session_timeout_s: float = 60.0  # idle realtime sessions get TIMEOUT after this
    timings: bool = False  # send x-fal-message timings frames on realtime sessions
    faults: FaultConfig = field(default_factory=FaultConfig)
    token_ttl_s: float | None = None  # tokens live at most this long, whatever was asked
    wma_keepalive_s: float = 15.0  # mock/wma start-session: `: keepalive` comment interval
    wma_heartbeat_timeout_s: float = 30.0  # mock/wma REST: a session ends without heartbeats
    wma_frames: int | None = None  # mock/wma: end each session after this many frames
