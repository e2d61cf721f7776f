"""Zero-copy access to av video frames: plane views and the frame marker.

Received WebRTC frames are yuv420p (aiortc's decoders), so the marker is read straight
from the Y plane without converting the frame; other formats fall back to a grey copy.
"""

from __future__ import annotations

import av
import numpy as np

from app.core.codecs import webrtc_marker as marker


def plane_view(frame: av.VideoFrame, index: int) -> np.ndarray:
    """A writable (height, width) uint8 view of one plane, without its row padding."""
    plane = frame.planes[index]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def luma(frame: av.VideoFrame) -> np.ndarray:
    """The Y plane as (H, W) uint8: a view for yuv420p/yuvj420p, else a grey copy."""
    if frame.format.name in ("yuv420p", "yuvj420p", "nv12", "gray"):
        return plane_view(frame, 0)
    return frame.to_ndarray(format="gray")


def read_marker(frame: av.VideoFrame) -> int | None:
    """The marker value stamped in `frame`, or None when absent or unreadable."""
    return marker.read(luma(frame))
