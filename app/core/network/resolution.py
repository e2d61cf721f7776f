"""WebRTC frame resolution over a run: what changed, when, and its summary.

A browser's encoder drops resolution when the bandwidth estimate falls; aiortc's does
not (its VP8/H.264 encoders take each frame's size as it comes and adapt only their
bitrate to REMB), so against aiortc the resolution stays what the source sends while
`bitrate_out_kbps` falls. The tracker records it either way, from the width and height
every `FrameSample` carries: the change points per session and direction (a step
series, bounded), frames per resolution, and the summary (min, median by frames,
changes). Pure: no I/O, no numpy; one dict look-up per frame.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

MAX_POINTS = 10_000  # change points kept (a resolution change a second for ~3 h)
MAX_SIZES = 64  # distinct resolutions counted per direction


def size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


class ResolutionTracker:
    def __init__(self) -> None:
        self._last: dict[tuple[int, str], tuple[int, int]] = {}
        self.frames: dict[str, Counter[tuple[int, int]]] = {"in": Counter(), "out": Counter()}
        self.changes: dict[str, int] = {"in": 0, "out": 0}
        # (t_ns, session, direction, width, height): the first frame and every change
        self.points: list[tuple[int, int, str, int, int]] = []

    def frame(self, session: int, direction: str, t_ns: int, width: int, height: int) -> None:
        if width <= 0 or height <= 0 or direction not in self.frames:
            return
        size = (width, height)
        counter = self.frames[direction]
        if size in counter or len(counter) < MAX_SIZES:
            counter[size] += 1
        key = (session, direction)
        last = self._last.get(key)
        if last == size:
            return
        if last is not None:
            self.changes[direction] += 1
        self._last[key] = size
        if len(self.points) < MAX_POINTS:
            self.points.append((t_ns, session, direction, width, height))

    def summary(self) -> dict[str, Any]:
        """`{"in": {"min", "median", "max", "changes", "sizes"}, "out": …}` for the
        directions that had frames with a size; {} when none had."""
        out: dict[str, Any] = {}
        for direction, counter in self.frames.items():
            if not counter:
                continue
            by_area = sorted(counter, key=lambda s: (s[0] * s[1], s))
            total, half, median = sum(counter.values()), 0, by_area[0]
            for size in by_area:
                half += counter[size]
                if 2 * half >= total:
                    median = size
                    break
            out[direction] = {
                "min": size_text(by_area[0]),
                "median": size_text(median),
                "max": size_text(by_area[-1]),
                "changes": self.changes[direction],
                "sizes": len(counter),
            }
        return out


def summary_text(resolution: Mapping[str, Any]) -> str:
    """ "in 1280x720 (min 640x360, 3 changes); out 1280x720" for the CLI summary."""
    parts = []
    for direction in ("out", "in"):
        r = resolution.get(direction)
        if not isinstance(r, Mapping):
            continue
        text = f"{direction} {r.get('median')}"
        if r.get("changes"):
            text += f" (min {r.get('min')}, {r.get('changes')} changes)"
        parts.append(text)
    return "; ".join(parts)


def step_series(
    points: list[tuple[float, int, str, int, int]], direction: str, session: int | None = None
) -> tuple[list[float], list[int], list[int]]:
    """(t_s, width, height) change points of one direction (and session), in time order."""
    rows = [p for p in points if p[2] == direction and (session is None or p[1] == session)]
    rows.sort(key=lambda p: p[0])
    return [p[0] for p in rows], [p[3] for p in rows], [p[4] for p in rows]


def per_second(
    t_s: list[float], widths: list[int], heights: list[int], seconds: list[float]
) -> tuple[list[float], list[float]]:
    """The step series sampled at each of `seconds` (the width and height in force at the
    end of that second); nan before the first frame."""
    w_out: list[float] = []
    h_out: list[float] = []
    i, w, h = 0, float("nan"), float("nan")
    for sec in seconds:
        while i < len(t_s) and t_s[i] < sec + 1:
            w, h = float(widths[i]), float(heights[i])
            i += 1
        w_out.append(w)
        h_out.append(h)
    return w_out, h_out
