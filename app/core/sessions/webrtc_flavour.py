"""Which WebRTC flavour a run speaks: told (`--webrtc-flavour`) or taken from the target.

`ws` is JSON text signaling on a WebSocket (4a), `realtime` msgpack over the realtime
protocol (4b), `wma` fal's start-session with an SSE answer (4c) and `wma-rest` its
deprecated REST bridge. Untold, a target path ending in `/start-session` is wma, one
ending in `/session` is wma-rest, an app whose alias says `wma` (`mock/wma`) is wma,
and anything else is WebSocket signaling with the framing detected from the first frame,
unless a probe says otherwise: an app id on its default route (`…/webrtc`) is asked for
its `/openapi.json` first (`should_probe`), and a route marked as a wma session
(`x-fal-realtime`, `sessionProtocol: "wma"`) makes it wma.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import urlsplit

from app.core.codecs import wma
from app.core.codecs.webrtc import Flavour
from app.core.errors import TargetError
from app.core.targets import Target

FLAVOURS = ("ws", "realtime", "wma", "wma-rest")
_SIGNALING: dict[str, Flavour] = {"ws": "json", "realtime": "msgpack"}


def choose(
    flavour: str | None, signaling: Flavour | None, target: Target
) -> tuple[Flavour | None, wma.WmaFlavour | None]:
    """(WebSocket framing or None, wma flavour or None) for this run."""
    if flavour is not None and flavour not in FLAVOURS:
        raise TargetError(f"unknown WebRTC flavour {flavour!r} ({' or '.join(FLAVOURS)})")
    if flavour in _SIGNALING:
        return _SIGNALING[flavour], None
    if flavour is not None:
        return None, cast("wma.WmaFlavour", flavour)
    if signaling is not None:
        return signaling, None
    path = urlsplit(target.url).path
    told = wma.flavour_of_path(path)
    if told is not None:
        return None, told
    segments = path.strip("/").split("/")
    alias = target.alias or (segments[1] if len(segments) > 1 else "")
    if "wma" in alias.lower().replace("_", "-").split("-"):
        return None, "wma"
    return None, None


def should_probe(flavour: str | None, signaling: Flavour | None, target: Target) -> bool:
    """Nothing told and nothing in the path: an app id on the default WebRTC route."""
    if flavour is not None or signaling is not None or not target.alias:
        return False
    return urlsplit(target.url).path.rstrip("/").endswith("/webrtc") and choose(
        None, None, target
    ) == (None, None)
