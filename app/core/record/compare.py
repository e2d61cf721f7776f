"""A replay's replies against the recording's, per connection and in order: the k-th
reply of a connection is compared with the k-th recorded one (fal's unary apps answer
in order; for SSE the k-th request's events with the k-th recorded request's). Pure.

By default the fields that differ on every run are not compared: rtprobe's sequence
field and mock/echo's server stamps (`server_recv_ns`, `server_send_ns`, which rtprobe
itself reads as server time). `--ignore` adds more.

A WebRTC session run again is compared by its figures, not frame for frame (the frames
are new ones): frames, fps, per-frame latency and action → frame latency, recorded ->
replayed, one line a session. Timing is the server's to vary, so only a session that
got no frame where the recording got some counts as differing.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from app.core.record.diff import Difference, Ignore, Tolerance, diff
from app.core.record.plan import MediaFigures, Plan
from app.core.transports.base import DEFAULT_SEQ_FIELD

ALWAYS_IGNORED = (DEFAULT_SEQ_FIELD, "server_recv_ns", "server_send_ns")
SHOWN_REPLIES = 10  # the summary names at most this many differing replies


@dataclass(frozen=True, slots=True)
class ReplyDiff:
    connection: int
    source: str  # "entry 3"
    index: int  # the reply's number on its connection
    differences: tuple[Difference, ...]


@dataclass(frozen=True, slots=True)
class MediaDiff:
    """A WebRTC session's figures, recorded and replayed."""

    source: str  # "entry 3"
    recorded: MediaFigures
    replayed: MediaFigures

    @property
    def lost_video(self) -> bool:
        return self.recorded.frames_in > 0 and self.replayed.frames_in == 0

    def line(self) -> str:
        a, b = self.recorded, self.replayed
        parts = [f"frames in {a.frames_in} -> {b.frames_in}"]
        if a.fps_in is not None or b.fps_in is not None:
            parts.append(f"fps in {_fps(a.fps_in)} -> {_fps(b.fps_in)}")
        if a.frames_out or b.frames_out:
            parts.append(f"fps out {_fps(a.fps_out)} -> {_fps(b.fps_out)}")
        if a.frame_latency_ms or b.frame_latency_ms:
            parts.append(
                f"frame latency p50 {_p50(a.frame_latency_ms)} -> {_p50(b.frame_latency_ms)} ms"
            )
        if a.actions or b.actions:
            parts.append(
                f"action → frame p50 {_p50(a.action_latency_ms)} -> {_p50(b.action_latency_ms)}"
                f" ms ({a.actions} -> {b.actions} actions)"
            )
        if a.size_in != b.size_in and (a.size_in or b.size_in):
            parts.append(f"size in {a.size_in or '?'} -> {b.size_in or '?'}")
        return f"webrtc {self.source}: " + ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        def figures(f: MediaFigures) -> dict[str, Any]:
            return {
                "frames_in": f.frames_in,
                "frames_out": f.frames_out,
                "fps_in": f.fps_in,
                "fps_out": f.fps_out,
                "frame_latency_p50_ms": _p50_value(f.frame_latency_ms),
                "action_latency_p50_ms": _p50_value(f.action_latency_ms),
                "actions": f.actions,
                "size_in": f.size_in,
            }

        return {
            "source": self.source,
            "recorded": figures(self.recorded),
            "replayed": figures(self.replayed),
        }


def _fps(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _p50_value(values: tuple[float, ...]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _p50(values: tuple[float, ...]) -> str:
    value = _p50_value(values)
    return "-" if value is None else f"{value:.1f}"


@dataclass
class DiffReport:
    compared: int = 0
    differing: list[ReplyDiff] = field(default_factory=list)
    missing: int = 0  # recorded replies the replay did not get
    extra: int = 0  # replies the replay got that the recording has not
    media: list[MediaDiff] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        lost = any(m.lost_video for m in self.media)
        return bool(self.differing or self.missing or self.extra or lost)

    def lines(self) -> list[str]:
        """The compact summary: one headline, then a line per differing reply (bounded),
        then a line per WebRTC session."""
        media = [m.line() + (" (no video)" if m.lost_video else "") for m in self.media]
        if self.media and not self.compared and not self.differing and not self.missing:
            return media  # a WebRTC recording: no replies to compare
        head = f"replies: {self.compared} compared, {len(self.differing)} differ"
        if self.missing:
            head += f", {self.missing} recorded but not replayed"
        if self.extra:
            head += f", {self.extra} more than recorded"
        out = [head]
        for d in self.differing[:SHOWN_REPLIES]:
            first = d.differences[0].line()
            more = f" (+{len(d.differences) - 1} more)" if len(d.differences) > 1 else ""
            out.append(f"  reply {d.index} of {d.source}: {first}{more}")
        if len(self.differing) > SHOWN_REPLIES:
            out.append(f"  … and {len(self.differing) - SHOWN_REPLIES} more differing replies")
        return out + media

    def as_dict(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "differ": len(self.differing),
            "missing": self.missing,
            "extra": self.extra,
            "replies": [
                {
                    "connection": d.connection,
                    "source": d.source,
                    "index": d.index,
                    "differences": [x.line() for x in d.differences],
                }
                for d in self.differing
            ],
            "webrtc": [m.as_dict() for m in self.media],
        }


def compare(
    plan: Plan,
    replies: dict[int, list[Any]],
    tolerance: Tolerance | None = None,
    ignore: tuple[str, ...] = (),
    media: list[MediaFigures] | None = None,
) -> DiffReport:
    """`replies` per connection of `plan`; `media`, each of `plan.media`'s sessions'
    replayed figures (in order; a missing one counts as no frames)."""
    tolerance = tolerance or Tolerance()
    report = DiffReport()
    rule = Ignore((*ALWAYS_IGNORED, *ignore))
    for i, conn in enumerate(plan.connections):
        old, new = conn.replies, replies.get(i, [])
        report.compared += min(len(old), len(new))
        report.missing += max(0, len(old) - len(new))
        report.extra += max(0, len(new) - len(old))
        for k, (a, b) in enumerate(zip(old, new, strict=False)):
            found = diff(a, b, tolerance, rule)
            if found:
                report.differing.append(ReplyDiff(i, conn.source, k, tuple(found)))
    got = media or []
    for k, run in enumerate(plan.media):
        replayed = got[k] if k < len(got) else MediaFigures()
        report.media.append(MediaDiff(run.source, run.recorded, replayed))
    return report
