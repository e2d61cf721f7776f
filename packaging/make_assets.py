"""Make rtprobe's assets from code: the icon and a short sample video.

    .venv/bin/python packaging/make_assets.py [--out assets]

- `rtprobe.svg` and `rtprobe.png` (256x256, RGBA): a pulse trace on a dark rounded
  square. Both come from the same geometry; the PNG is drawn with QPainter offscreen.
- `sample.mp4`: 3 s of 320x240 at 30 fps, H.264 (yuv420p, no audio): a moving
  gradient with a bouncing ball and a sliding box, small enough to commit (~100 KB),
  meant as a WebRTC file source (`--source file:assets/sample.mp4`).

The output is deterministic for a given av/FFmpeg and Qt version.
"""

from __future__ import annotations

import argparse
import os
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# --- icon geometry, in a 256x256 box ------------------------------------------------
SIZE = 256
BG_TOP, BG_BOTTOM = "#22314a", "#111a28"
TRACE = "#3ddc97"
DOT = "#ffd166"
MARGIN, RADIUS = 8, 48
# a flat line, a small bump, the spike, a dip, a flat line: x, y
PULSE = [
    (36, 140), (84, 140), (98, 124), (112, 140), (124, 140),
    (140, 56), (158, 200), (172, 140), (220, 140),
]  # fmt: skip
TRACE_WIDTH = 16
DOT_AT, DOT_R = (220, 140), 13


def icon_svg() -> str:
    points = " ".join(f"{x},{y}" for x, y in PULSE)
    side = SIZE - 2 * MARGIN
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" \
viewBox="0 0 {SIZE} {SIZE}">
  <title>rtprobe</title>
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="{BG_TOP}"/>
      <stop offset="1" stop-color="{BG_BOTTOM}"/>
    </linearGradient>
  </defs>
  <rect x="{MARGIN}" y="{MARGIN}" width="{side}" height="{side}" rx="{RADIUS}" fill="url(#bg)"/>
  <polyline points="{points}" fill="none" stroke="{TRACE}" stroke-width="{TRACE_WIDTH}" \
stroke-linecap="round" stroke-linejoin="round"/>
  <circle cx="{DOT_AT[0]}" cy="{DOT_AT[1]}" r="{DOT_R}" fill="{DOT}"/>
</svg>
"""


def icon_png(path: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import (
        QBrush,
        QColor,
        QGuiApplication,
        QImage,
        QLinearGradient,
        QPainter,
        QPainterPath,
        QPen,
        QPolygonF,
    )

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, MARGIN, 0, SIZE - MARGIN)
    gradient.setColorAt(0, QColor(BG_TOP))
    gradient.setColorAt(1, QColor(BG_BOTTOM))
    side = SIZE - 2 * MARGIN
    rounded = QPainterPath()
    rounded.addRoundedRect(QRectF(MARGIN, MARGIN, side, side), RADIUS, RADIUS)
    p.fillPath(rounded, QBrush(gradient))
    pen = QPen(QColor(TRACE), TRACE_WIDTH)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.drawPolyline(QPolygonF([QPointF(x, y) for x, y in PULSE]))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(DOT))
    p.drawEllipse(QPointF(*DOT_AT), DOT_R, DOT_R)
    p.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")


# --- sample video -------------------------------------------------------------------
def video_frames(width: int, height: int, count: int, fps: int):
    """RGB frames: a slowly moving gradient, a bouncing ball, a sliding box."""
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for i in range(count):
        t = i / fps
        img = np.empty((height, width, 3), dtype=np.float32)
        img[:, :, 0] = 0.25 + 0.15 * np.sin(2 * np.pi * (x + 0.2 * t))
        img[:, :, 1] = 0.30 + 0.15 * np.sin(2 * np.pi * (y + 0.3 * t))
        img[:, :, 2] = 0.45 + 0.15 * np.sin(2 * np.pi * (x + y - 0.25 * t))
        # a ball bouncing on a parabola
        bx = 40 + (width - 80) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 3))
        by = height - 40 - (height - 80) * abs(np.sin(np.pi * t / 1.5))
        ball = (xx - bx) ** 2 + (yy - by) ** 2 <= 22**2
        img[ball] = (1.0, 0.82, 0.40)
        # a box sliding left to right
        x0 = int((width - 60) * (t / 3))
        img[20:70, x0 : x0 + 60] = (0.24, 0.86, 0.59)
        yield (np.clip(img, 0, 1) * 255).astype(np.uint8)


def sample_video(
    path: Path, seconds: float = 3.0, width: int = 320, height: int = 240, fps: int = 30
) -> None:
    import av

    count = round(seconds * fps)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps, 1))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        # small, seekable, decodes everywhere; one thread keeps the output repeatable
        stream.options = {"crf": "28", "preset": "slow", "tune": "animation", "threads": "1"}
        stream.codec_context.gop_size = fps
        for rgb in video_frames(width, height, count, fps):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets", help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rtprobe.svg").write_text(icon_svg(), encoding="utf-8")
    icon_png(args.out / "rtprobe.png")
    sample_video(args.out / "sample.mp4")
    for name in ("rtprobe.svg", "rtprobe.png", "sample.mp4"):
        print(f"{args.out / name}: {(args.out / name).stat().st_size / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
