"""Transport name -> its engine session and the facts the GUI, CLI and reports need.

The one place that knows the transport names: `app.core.targets.TRANSPORTS`, the
CLI's choices, session files and the GUI's examples all read this table. The engine
builds every session with `session_factory(name)`; a view that shows something only
some transports have asks `transport(name).<fact>`, never `name == "webrtc"`. A new
transport is one module in `app/core/sessions/` and one row in `TRANSPORTS` (plus its
class in `_SHAPES`, so mypy checks its shape).

Session modules load on first use (`module:Class`), so importing the registry loads no
session module (and not aiortc).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from app.core.errors import TargetError

if TYPE_CHECKING:  # the registry stays light: `app.core.targets` reads its facts too
    from app.core.sessions.base import SessionFactory
    from app.core.sessions.realtime import RealtimeSession
    from app.core.sessions.sse import SseSession
    from app.core.sessions.webrtc import WebRtcSession
    from app.core.sessions.ws import WsSession

    # mypy checks here that every row's session has the shape the engine relies on
    _SHAPES: tuple[SessionFactory, ...] = (
        RealtimeSession,
        WsSession,
        SseSession,
        WebRtcSession.from_config,
    )


@dataclass(frozen=True)
class Transport:
    name: str
    session: str | SessionFactory  # "module:Class", imported on first use, or the factory
    label: str  # how a person calls it, in messages
    takes_actions: bool = False  # `act("action"/"pause")` reaches the server (a video pane)
    measures_frames: bool = False  # FrameSample events: fps, frame latency, video preview
    paced_by_source: bool = False  # the media source sets the pace: no rate; runs for a time
    # the client impairs its own packets (`act("network", …)`, app/core/network/datagram.py);
    # otherwise a network profile becomes the mock's byte-stream toxics
    impairs_packets: bool = False
    streams_events: bool = False  # one message is one streaming request (first event, gaps)
    chooses_format: bool = False  # the payload's wire format is the user's (`ws_format`)
    takes_max_buffering: bool = False  # fal's `max_buffering` query parameter applies
    over_http: bool = False  # http(s):// URLs; every other transport speaks ws(s)://
    default_path: str = ""  # the route an app id without a path gets (`/realtime`, …)
    object_payload: bool = False  # the input must be one JSON object (msgpack map, POST body)
    speaks_msgpack: bool = False  # every frame is one msgpack map (fal's realtime protocol)
    sends_payload: bool = True  # the user writes what is sent (not media from a source)
    default_duration_s: float | None = None  # a run given no count or duration lasts this
    # a ready example against the embedded mock (the GUI's "+ T" and new connections)
    example_target: str = ""
    example_payload: str = "{}"

    def factory(self) -> SessionFactory:
        """The session class (or function) that builds this transport's sessions."""
        if not isinstance(self.session, str):
            return self.session
        module, _, path = self.session.partition(":")
        found: object = importlib.import_module(module)
        for name in path.split("."):
            found = getattr(found, name)
        return cast("SessionFactory", found)


TRANSPORTS: dict[str, Transport] = {
    t.name: t
    for t in (
        Transport(
            "realtime",
            "app.core.sessions.realtime:RealtimeSession",
            "realtime",
            takes_max_buffering=True,
            speaks_msgpack=True,
            default_path="realtime",
            object_payload=True,
            example_target="mock/echo",
            example_payload='{"prompt": "hello", "n": 1}',
        ),
        Transport(
            "ws",
            "app.core.sessions.ws:WsSession",
            "WebSocket",
            chooses_format=True,
            takes_max_buffering=True,
            example_target="mock/echo/ws",
            example_payload='{"hello": "websocket"}',
        ),
        Transport(
            "sse",
            "app.core.sessions.sse:SseSession",
            "SSE",
            streams_events=True,
            over_http=True,
            default_path="stream",
            object_payload=True,
            example_target="mock/diffusion",
            example_payload=(
                '{"prompt": "a cat", "steps": 8, "step_ms": 20, "width": 64, "height": 64}'
            ),
        ),
        Transport(
            "webrtc",
            "app.core.sessions.webrtc:WebRtcSession.from_config",
            "WebRTC",
            takes_actions=True,
            measures_frames=True,
            paced_by_source=True,
            sends_payload=False,
            impairs_packets=True,
            default_path="webrtc",
            # it counts frames it receives; a run of it is more naturally a length of time
            default_duration_s=10.0,
            example_target="mock/yolo/webrtc",
        ),
    )
}


def transport(name: str) -> Transport:
    """The registry entry for `name`; TargetError (one line) for a name it does not have."""
    entry = TRANSPORTS.get(name)
    if entry is None:
        known = ", ".join(TRANSPORTS)
        raise TargetError(f"unknown transport {name!r} (one of {known})")
    return entry


def fact(name: str, attribute: str) -> bool:
    """`transport(name).<attribute>`, False for a name the registry does not have (an
    Aggregator or a view made before its transport was known)."""
    entry = TRANSPORTS.get(name)
    return bool(getattr(entry, attribute)) if entry is not None else False


def session_factory(name: str) -> SessionFactory:
    return transport(name).factory()
