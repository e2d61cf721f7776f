"""The part of a WebRTC session every signaling flavour shares: the peer connection the
client offers from, and the answer applied to it. `WebRtcClient` (WebSocket signaling,
4a/4b) and `WmaClient` (HTTP session start, 4c) both call these, so each receiver gets
the jitter-release rule, its hold probe and the network tap whatever the flavour."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiortc import RTCIceServer, RTCPeerConnection, RTCSessionDescription

from app.core.errors import ProtocolError
from app.core.text import one_line
from app.core.transports.loopback import (
    keep_loopback_candidates,
    rtc_configuration,
    use_loopback_candidates,
)
from app.core.transports.webrtc_jitter import install_release
from app.core.transports.webrtc_options import ice_configuration
from app.core.transports.webrtc_parts import HoldProbe

if TYPE_CHECKING:
    from app.core.transports.webrtc import WebRtcClient


def new_peer(client: WebRtcClient, offered: list[RTCIceServer]) -> RTCPeerConnection:
    """The peer connection every flavour offers from: ICE as `connect` describes, the
    source track (or a receive-only transceiver), and on each video receiver the
    jitter-release rule, then the hold probe."""
    if client.loopback:
        client._stack.enter_context(use_loopback_candidates())
        config = rtc_configuration()
    else:
        config = ice_configuration(client.options, offered)
    client.pc = pc = RTCPeerConnection(config)
    pc.on("connectionstatechange", client._on_state)
    pc.on("track", client._on_track)
    if client.source is not None:
        pc.addTrack(client.source)
    else:
        pc.addTransceiver("video", direction="recvonly")
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "video":
            install_release(transceiver.receiver, client.options.jitter_release)
            client._probes.append(HoldProbe(transceiver.receiver))
    return pc


async def apply_answer(client: WebRtcClient, pc: RTCPeerConnection, sdp: str) -> None:
    """The answer's SDP applied (loopback candidates only on a loopback target), and
    the network tap attached again: BUNDLE may have replaced a transport."""
    if client.loopback:
        sdp, _removed = keep_loopback_candidates(sdp)
    client.answer_sdp = sdp
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
    except Exception as exc:
        raise ProtocolError(
            f"the answer was refused: {type(exc).__name__}: {one_line(exc)}"
        ) from None
    client.tap.attach(pc)
