"""How each run setting is called on the command line: `rtprobe run` and the Locust
options (app.load) name the same flags, so a one-line error names the flag the user
typed. A table only, cheap to import (a Locust worker imports it)."""

from __future__ import annotations

FLAGS: dict[str, str] = {
    "target": "TARGET",
    "payload": "--payload",
    "payload_format": "--format",
    "count": "--count",
    "duration_s": "--duration",
    "rate": "--rate",
    "concurrency": "--concurrency",
    "warmup": "--warmup",
    "timeout_s": "--timeout",
    "headers": "--header",
    "max_buffering": "--max-buffering",
    "reconnects": "--reconnects",
    "max_message_bytes": "--max-message-bytes",
    "sse_method": "--method",
    "video_source": "--source",
    "video_size": "--size",
    "video_fps": "--fps",
    "video_mode": "--mode",
    "signaling": "--signaling",
    "jitter_release": "--jitter-release",
    "webrtc_flavour": "--webrtc-flavour",
    "actions_every_s": "--actions-every",
    "record": "--record",
    "record_pixels": "--record-pixels",
    "network": "--network",
    "network_at": "--network-at",
}
