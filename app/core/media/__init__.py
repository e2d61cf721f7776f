"""Video for WebRTC runs: marked sources (synthetic, file, camera) and frame helpers."""

from app.core.media.frames import luma, plane_view, read_marker
from app.core.media.sources import (
    FileSource,
    MarkedSource,
    SendLog,
    SyntheticSource,
    WebcamSource,
    source_factory,
)

__all__ = [
    "FileSource",
    "MarkedSource",
    "SendLog",
    "SyntheticSource",
    "WebcamSource",
    "luma",
    "plane_view",
    "read_marker",
    "source_factory",
]
