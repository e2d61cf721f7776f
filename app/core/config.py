"""What one run does: transport, target, traffic shape, limits."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import DEFAULT_MAX_MESSAGE_BYTES
from app.core.targets import Target
from app.core.transports.base import DEFAULT_SEQ_FIELD
from app.core.transports.ws import PayloadFormat
from app.core.transports.wsbase import Credentials, WsOptions


@dataclass(frozen=True)
class WebRtcParams:
    """WebRTC run settings; plain values so this module does not import aiortc."""

    source: str = "synthetic"  # synthetic | file:PATH | camera[:DEVICE]
    width: int = 640
    height: int = 480
    fps: float = 30.0
    mode: str | None = None  # v2v | generated; None: from the path (world/matrix: generated)
    signaling: str | None = None  # json (4a) | msgpack (4b); None: detect from the first frame
    flavour: str | None = None  # ws | realtime | wma | wma-rest; None: from the target
    data_channel: bool = False
    action_every_s: float | None = None  # generated video: cycle actions this often
    video_preview: bool = False  # emit VideoFrame thumbnails (the GUI's video pane)
    record_pixels: bool = False  # emit a thumbnail of each received frame (`--record-pixels`)
    jitter_release: str = "marker"  # marker | next-frame (aiortc's own: +1 frame interval)
    network: str = ""  # impair RTP/RTCP in the client: a preset or profile (network/profile.py)
    network_at: tuple[str, ...] = ()  # scheduled changes "5s:3g", "12s:mock:none" (changes.py)


@dataclass(frozen=True)
class RunConfig:
    target: Target
    payload: Any = field(default_factory=dict)
    count: int | None = 100  # messages in all (split across sessions); None: use duration_s
    duration_s: float | None = None
    rate: float | None = None  # messages/s in all; None: closed loop (one in flight per session)
    concurrency: int = 1
    warmup: int = 0  # messages per session left out of the statistics
    timeout_s: float = 10.0  # a message with no reply after this is timed out
    # who we are and what every request carries, whatever the transport (SSE's POSTs, the
    # WebSocket handshakes of realtime, ws and WebRTC signaling)
    credentials: Credentials = field(default_factory=Credentials)
    headers: Mapping[str, str] = field(default_factory=dict)
    # WebSocket-only settings (max_buffering, compression, subprotocols, limits); its own
    # credentials and headers stay unset: `websocket_options()` adds the run's
    ws: WsOptions = field(default_factory=WsOptions)
    ws_format: PayloadFormat = "json"
    seq_field: str | None = DEFAULT_SEQ_FIELD
    ordered: bool = True  # the app answers in order, so a later reply proves a drop
    reconnects: int = 3  # per session, after the connection ends early
    sse_method: str = "POST"
    max_event_bytes: int = DEFAULT_MAX_MESSAGE_BYTES  # SSE: longest line, largest event
    record_messages: bool = False  # emit a Message event per frame (the GUI inspector)
    webrtc: WebRtcParams = field(default_factory=WebRtcParams)

    def __post_init__(self) -> None:
        if self.ws.credentials != Credentials() or self.ws.headers:
            raise ValueError(
                "RunConfig: credentials and headers belong to the run "
                "(RunConfig.credentials/.headers), not to its WebSocket options"
            )

    @property
    def transport(self) -> str:
        return self.target.transport

    def websocket_options(self) -> WsOptions:
        """The WebSocket settings with the run's credentials and headers, for a client."""
        return dataclasses.replace(self.ws, credentials=self.credentials, headers=self.headers)

    def share(self, session: int) -> tuple[int | None, float | None]:
        """This session's message count and rate."""
        n = self.concurrency
        count = None
        if self.count is not None:
            count = self.count // n + (1 if session < self.count % n else 0)
        rate = self.rate / n if self.rate else None
        return count, rate
