"""`--record-pixels`: a received frame's thumbnail as a base64 JPEG for its
`_rtprobeFrames` item (`"pixels"`), which `rtprobe mock --from` sends again.

av (already the WebRTC client's) encodes it, loaded on the first picture only.
"""

from __future__ import annotations

import base64
from fractions import Fraction

QUALITY = "5"  # mjpeg's qscale: 2 (best) .. 31; 5 keeps a 160x120 thumbnail near 5 KB


def jpeg(width: int, height: int, rgb: bytes) -> bytes:
    """RGB888 rows (`width` * 3 bytes each) as a baseline JPEG, cropped to even sides."""
    import av
    import numpy as np

    img = np.frombuffer(rgb, np.uint8).reshape(height, width, 3)
    w, h = width - width % 2, height - height % 2
    if w < 2 or h < 2:
        raise ValueError(f"a {width}x{height} picture is too small for a JPEG")
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img[:h, :w]), format="rgb24")
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = w, h, "yuvj420p"
    codec.time_base = Fraction(1, 30)
    codec.options = {"qscale": QUALITY}
    packets = codec.encode(frame.reformat(format="yuvj420p")) + codec.encode(None)
    return b"".join(bytes(p) for p in packets)


def jpeg_base64(width: int, height: int, rgb: bytes) -> str:
    return base64.b64encode(jpeg(width, height, rgb)).decode("ascii")
