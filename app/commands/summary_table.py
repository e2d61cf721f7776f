"""What `rtprobe run` prints: the live progress line and the summary table at the end.

Kept apart from the command itself because `rtprobe replay`, `rtprobe runs show` and the
Locust master print the same table."""

from __future__ import annotations

import sys
import time

from app.commands.health_lines import health_lines
from app.core.network.changes import summary_line
from app.core.network.feedback import feedback_lines
from app.core.network.resolution import summary_text as resolution_text
from app.core.report.fmt import fmt_ms
from app.core.summary import Aggregator, Summary
from app.core.transports.jitter_release import DESCRIPTIONS

PROGRESS_EVERY_S = 0.5


class Progress:
    """One live line on a terminal (nothing when piped), redrawn twice a second."""

    def __init__(self, agg: Aggregator, enabled: bool) -> None:
        self.agg = agg
        self.enabled = enabled
        self._last = 0.0
        self._last_sent = 0
        self._shown = False

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < PROGRESS_EVERY_S):
            return
        s = self.agg.summary()
        rate = (s.sent - self._last_sent) / (now - self._last) if self._last else 0.0
        self._last, self._last_sent = now, s.sent
        line = (
            f"{rate:8.1f} msg/s  sent {s.sent}  recv {s.received}  err {s.errors}  "
            f"drop {s.dropped}  timeout {s.timeouts}  p50 {fmt_ms(s.rtt_ms.p50)} ms  "
            f"p99 {fmt_ms(s.rtt_ms.p99)} ms"
        )
        sys.stderr.write("\r\x1b[2K" + line)
        sys.stderr.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


_TABLE_ROWS = (  # label, latency block; the first row's label depends on the run
    ("round trip (ms)", "rtt_ms"),
    ("  server (ms)", "server_ms"),
    ("  network (ms)", "network_ms"),
    ("first event (ms)", "time_to_first_event_ms"),
    ("between events (ms)", "event_gap_ms"),
    ("  send lag (ms)", "send_lag_ms"),
    ("frame latency (ms)", "frame_latency_ms"),
    ("  client hold (ms)", "frame_hold_ms"),
    ("control round trip (ms)", "control_rtt_ms"),
)


def format_summary(s: Summary) -> str:
    """The summary printed at the end of `rtprobe run`: counters, a latency table, and the
    figures of whatever else the run measured (frames, extensions, timings, errors)."""
    video = s.frames is not None
    lines = [f"{s.transport}  {s.target}"]
    counts = (
        f"sent {s.sent}  received {s.received}  errors {s.errors}"
        f"  dropped {s.dropped}  timeouts {s.timeouts}"
        + (f"  (warm-up {s.warmup} not counted)" if s.warmup else "")
    )
    traffic = f"  {s.duration_s:.3f} s  {s.rate_per_s:.1f} msg/s"
    if s.sent or not s.measured_frames:
        lines.append(("  actions " if video else "  ") + counts)
    else:
        traffic = f"  {s.duration_s:.3f} s"  # video-to-video: no messages, the frames say it
    lines.append(traffic + f"  in {s.bytes_in} B  out {s.bytes_out} B")
    if s.events_dropped:
        lines.append(f"  {s.events_dropped} events never delivered: the figures above miss them")
    if s.unmatched:  # frames that answered no message: never in the counts above
        why = ", ".join(f"{r} {n}" for r, n in s.unmatched_by_reason.items() if n)
        lines.append(f"  unmatched {s.unmatched}" + (f" ({why})" if why else ""))
    if (flood := s.flood_warning()) is not None:
        lines.append(f"  {flood}")
    lines += health_lines(s)  # the client's (and mock's) own health, saturation first
    header = f"  {'':<22}{'p50':>10}{'p90':>10}{'p99':>10}{'p99.9':>10}{'max':>10}{'mean':>10}"
    table = [header]
    for label, key in _TABLE_ROWS:
        block = s.latency(key)
        if block is None or not block.count:
            continue
        if key == "rtt_ms" and video:
            label = "action → frame (ms)"
        figures = (block.p50, block.p90, block.p99, block.p999, block.max, block.mean)
        table.append(f"  {label:<22}" + "".join(f"{fmt_ms(v):>10}" for v in figures))
    if len(table) > 1:
        lines += table
    if s.frames is not None:
        f = s.frames
        lines.append(
            f"  frames out {f.frames_out} ({f.fps_out:.1f} fps)  in {f.frames_in}"
            f" ({f.fps_in:.1f} fps)  lost {f.frames_lost}"
            + (f"  in flight at the end {f.in_flight}" if f.frames_out and f.in_flight else "")
        )
        for value, label in (
            (f.time_to_connected_ms, "connected"),
            (f.time_to_first_frame_ms, "first frame"),
        ):
            if value is not None:
                lines.append(f"  {label} after {value:.1f} ms")
        lines += [f"  {line}" for line in feedback_lines(f.feedback)]
        if f.resolution:
            lines.append(f"  resolution: {resolution_text(f.resolution)}")
        if (release := s.connection.get("jitter_release")) is not None:
            lines.append(f"  frames leave the jitter buffer: {DESCRIPTIONS.get(release, release)}")
    if s.network_changes:
        lines.append(f"  network: {summary_line(s.network_changes)}")
    extensions = s.connection.get("extensions")
    if extensions is not None:
        lines.append(f"  WebSocket extensions: {', '.join(extensions) or 'none'}")
    if s.fal is not None:
        lines.append(
            f"  x-fal-message timings: {s.fal.fal_messages} frames, "
            f"{s.fal.fal_timing_s:.3f} s reported by the server"
        )
    for message, n in s.errors_by_message.items():
        lines.append(f"  error x{n}: {message}")
    return "\n".join(lines)
