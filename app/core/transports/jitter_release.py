"""The names of the two jitter-buffer release rules, without importing aiortc (the run
config, session files, the CLI and the mock's HTTP side read them; the rule itself is
`app.core.transports.webrtc_jitter`).

- `marker`: a video frame leaves the receive jitter buffer as soon as it is complete
  (its packets up to the one with the RTP marker bit), as browsers do;
- `next-frame`: aiortc's own rule, when the next frame's first packet arrives: about one
  frame interval later (33 ms at 30 fps).
"""

from __future__ import annotations

from typing import Literal, get_args

Release = Literal["marker", "next-frame"]
RELEASES: tuple[str, ...] = get_args(Release)
DEFAULT_RELEASE: Release = "marker"
QUERY_PARAM = "jitter_release"  # the mock: per connection, over its default


DESCRIPTIONS: dict[str, str] = {
    "marker": "on the marker bit (as browsers do)",
    "next-frame": "when the next frame begins (aiortc's own: +1 frame interval)",
}


def parse_release(value: object, what: str = "jitter release") -> Release:
    """'marker' or 'next-frame' (also 'next_frame', any case); ValueError naming the
    choices otherwise."""
    text = value.strip().lower().replace("_", "-") if isinstance(value, str) else ""
    if text == "marker":
        return "marker"
    if text == "next-frame":
        return "next-frame"
    raise ValueError(f"{what} {str(value)[:40]!r} must be one of: {', '.join(RELEASES)}")
