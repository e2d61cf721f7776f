"""Drop-stale: what the mock's WebRTC apps do with incoming frames they cannot keep up
with. Off, a frame waits in aiortc's receive queue (unbounded) until the app takes it,
so a starved app falls further behind with every frame and its round trips grow without
end. On (the default, as a realtime video server does: it answers the newest frame, not
a backlog), when the app takes a frame that is more than one frame interval older than
the newest one waiting (two or more wait behind it), every frame but the newest is
dropped and counted; one frame waiting is jitter and is kept. The client sees the
dropped frames as lost (they never come back).

`rtprobe mock --drop-stale on|off` sets the server's default; `?drop_stale=on|off` (or
1/0, true/false) a connection's. `/health` reports the default and the process's
counters (`webrtc_drop_stale`, `webrtc_frames_dropped_stale`, `webrtc_frame_queue_max`).
Light on purpose: `server_mock.app` imports it; the queue itself is in
`server_mock/webrtc/stale.py` (loads aiortc with the rest of that package)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

QUERY_PARAM = "drop_stale"
DEFAULT = True
_WORDS = {"on": True, "1": True, "true": True, "off": False, "0": False, "false": False}


def parse(text: str) -> bool:
    """`on`/`off` (1/0, true/false); ValueError naming the parameter otherwise."""
    try:
        return _WORDS[text.strip().lower()]
    except KeyError:
        raise ValueError(f"{QUERY_PARAM}={text[:40]!r} must be on or off") from None


def of(query: Any, default: bool) -> bool:
    """A connection's `?drop_stale=`, else the server's `default`."""
    value = query.get(QUERY_PARAM)
    return default if value is None else parse(value)


@dataclass
class Counters:
    """The process's frame-queue figures, for `/health` (every WebRTC session adds)."""

    dropped: int = 0  # frames dropped as stale
    queue_max: int = 0  # the deepest receive queue an app found when it took a frame

    def health(self, default: bool) -> dict[str, object]:
        return {
            "webrtc_drop_stale": "on" if default else "off",
            "webrtc_frames_dropped_stale": self.dropped,
            "webrtc_frame_queue_max": self.queue_max,
        }


COUNTERS = Counters()
