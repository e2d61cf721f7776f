"""How a WebRTC session is asked for: its options, its hooks and the defaults taken
from the target (mode from the path, loopback from the host)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiortc import RTCConfiguration, RTCIceServer

from app.core.codecs.webrtc import Flavour
from app.core.codecs.wma import WmaFlavour
from app.core.errors import ProbeError
from app.core.network.datagram import NetworkSetting
from app.core.targets import Target
from app.core.transports.jitter_release import DEFAULT_RELEASE, Release
from app.core.transports.loopback import is_loopback_address
from app.core.transports.webrtc_frames import ActionResult, DataMessage, FrameInfo, Mode


def default_mode(target: Target) -> Mode:
    """World models generate the video; everything else processes ours."""
    path = urlsplit(target.url).path.lower()
    return "generated" if any(w in path for w in ("world", "matrix")) else "v2v"


def is_loopback_target(target: Target) -> bool:
    host = urlsplit(target.url).hostname or ""
    return host == "localhost" or is_loopback_address(host)


@dataclass
class Hooks:
    """Callbacks, all optional and called on the event loop; keep them cheap."""

    on_frame: Callable[[FrameInfo], None] | None = None
    on_action: Callable[[ActionResult], None] | None = None
    # direction, message, size, the frame as it went over the wire (text or bytes)
    on_signaling: Callable[[str, dict[str, Any], int, str | bytes | None], None] | None = None
    on_data: Callable[[DataMessage], None] | None = None
    on_problem: Callable[[ProbeError], None] | None = None  # non-fatal (bad_message, …)


@dataclass(frozen=True)
class WebRtcOptions:
    mode: Mode | None = None  # None: from the target's path (world/matrix -> generated)
    flavour: Flavour | None = None  # None: detected from the first frame received
    data_channel: bool = False
    data_channel_label: str = "detections"
    trickle: bool = False  # also send our candidates as `icecandidate` (they are in the SDP)
    connect_timeout_s: float = 10.0  # each of: ready, answer, connected
    ice_servers: tuple[RTCIceServer, ...] = ()  # non-loopback targets only
    use_server_ice: bool = True  # use an `iceservers` message (non-loopback targets only)
    # when a received frame leaves the jitter buffer: "marker" (complete, as browsers do)
    # or "next-frame" (aiortc's own: one frame interval later); `webrtc_jitter`
    jitter_release: Release = DEFAULT_RELEASE
    wma: WmaFlavour | None = None  # fal's wma flavour (4c) instead of WebSocket signaling
    ping_interval_s: float = 1.0  # wma: control-channel ping (round trip) interval
    heartbeat_s: float = 5.0  # wma-rest: heartbeat interval
    network: NetworkSetting | None = None  # impair RTP/RTCP both ways (live; None: untouched)


def ice_configuration(options: WebRtcOptions, offered: list[RTCIceServer]) -> RTCConfiguration:
    """Off loopback: only the servers the caller gave and, unless told not to, those the
    app offered in `iceservers`; never a public STUN by default."""
    servers = list(options.ice_servers)
    if options.use_server_ice:
        servers += offered
    return RTCConfiguration(iceServers=servers)
