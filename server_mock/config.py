"""Settings of one mock server: where it listens, auth, limits and default faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.faultschema import FaultConfig  # the one fault schema, kept in core
from app.core.network.toxics import Toxic  # the byte-stream toxics (server_mock/toxics.py)
from app.core.transports.jitter_release import DEFAULT_RELEASE, Release

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
    recording: str | None = None  # serve this HAR recording (server_mock/recorded.py)
    recording_speed: float | None = 1.0  # its delays divided by this; None: no delays
    toxics: list[Toxic] = field(default_factory=list)  # server-wide, live at /_mock/toxics
    # when the WebRTC apps' incoming video leaves the jitter buffer: "marker" (complete, as
    # a browser does) or "next-frame" (aiortc's own); `?jitter_release=` per connection
    jitter_release: Release = DEFAULT_RELEASE
    # WebRTC apps drop the frames they could not keep up with, keeping the newest
    # (server_mock/drop_stale.py); `?drop_stale=` per connection
    drop_stale: bool = True
    token_ttl_s: float | None = None  # tokens live at most this long, whatever was asked
    wma_keepalive_s: float = 15.0  # mock/wma start-session: `: keepalive` comment interval
    wma_heartbeat_timeout_s: float = 30.0  # mock/wma REST: a session ends without heartbeats
    wma_frames: int | None = None  # mock/wma: end each session after this many frames
    network: str = ""  # a network preset/profile, live at /_mock/network (server_mock/network.py)
