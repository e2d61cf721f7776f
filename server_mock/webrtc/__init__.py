"""The WebRTC side of the mock apps, independent of the socket that carries signaling.

- `signaling`: the server side of a signaling session (`SignalingSession`) over any
  `SignalingChannel`;
- `channels`: the two it runs on, a WebSocket of JSON text frames (4a) and a realtime
  session of msgpack maps (4b); tests use `memory_channel_pair`;
- `yolo`: video-to-video, boxes drawn around moving and bright regions (`serve_yolo`);
- `world`: a generated 640x352 scene steered by `action` messages (`serve_world`).

Messages sent: `ready` (world: `iceservers` first), `answer`, `pause` (world),
`error` with `"<phase>:<ExceptionClass>:<message>"`. Fatal phases end the session:
`offer_failed`, `ice_failed`, `frame_failed`. The non-fatal `bad_message` phase reports a
message the session could not use (unknown type, missing field, unknown action token)
and carries on. Frames keep the marker area (`app.core.codecs.webrtc_marker`) untouched:
yolo never draws there, and the world scene stamps `pack_world(action_id, seq)` into
every frame.

Importing this package loads aiortc, av and numpy: `server_mock.app` imports it on the
first WebRTC session only.
"""

from __future__ import annotations

from app.core.codecs.webrtc import error_text, parse_candidate
from server_mock.webrtc.channels import JsonTextChannel, MsgpackChannel
from server_mock.webrtc.signaling import (
    MAX_PENDING_CANDIDATES,
    MemoryChannel,
    SignalingChannel,
    SignalingSession,
    memory_channel_pair,
)
from server_mock.webrtc.world import (
    WORLD_HEIGHT,
    WORLD_WIDTH,
    Action,
    WorldScene,
    WorldSession,
    WorldTrack,
    parse_action,
    serve_world,
)
from server_mock.webrtc.yolo import (
    Box,
    Detector,
    YoloSession,
    YoloTrack,
    annotate,
    cell_components,
    draw_outline,
    serve_yolo,
)

__all__ = [
    "MAX_PENDING_CANDIDATES",
    "WORLD_HEIGHT",
    "WORLD_WIDTH",
    "Action",
    "Box",
    "Detector",
    "JsonTextChannel",
    "MemoryChannel",
    "MsgpackChannel",
    "SignalingChannel",
    "SignalingSession",
    "WorldScene",
    "WorldSession",
    "WorldTrack",
    "YoloSession",
    "YoloTrack",
    "annotate",
    "cell_components",
    "draw_outline",
    "error_text",
    "memory_channel_pair",
    "parse_action",
    "parse_candidate",
    "serve_world",
    "serve_yolo",
]
