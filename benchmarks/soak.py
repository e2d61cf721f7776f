"""Soak: rtprobe's engine against the mock for minutes, watching memory and descriptors.

`python benchmarks/soak.py --minutes M --rate R` starts the mock in its own process
(`MockProcess`), runs `app.core.engine.run` in this process against its realtime echo at
R messages/s (open loop) for M minutes, and samples, every `--every` seconds, the
resident memory (RSS) and open file descriptors of this client and of the mock from
/proc. It prints the curve and the growth (mean of the first minute against mean of the
last), and `--json FILE` keeps every sample. A leak shows as a curve that keeps rising;
the target is < 20 MB RSS growth and no fd growth over 60 min at 1,000 msg/s.

The events are counted, not kept (keeping them would be a leak of the measurement's own
making): outcomes, bytes and a latency histogram. A run that received no reply is no
result (`NoSamples`, exit status 1).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.core.engine.build import RunSettings, build_config  # noqa: E402
from app.core.engine.run import run as engine_run  # noqa: E402
from app.core.events import ErrorEvent, Event, RunFinished, Sample  # noqa: E402
from app.core.metrics import LatencyHistogram  # noqa: E402
from benchmarks.common import (  # noqa: E402
    MockProcess,
    fmt,
    machine_info,
    parser,
    require_samples,
    run,
    write_json,
)

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024
MINUTE_S = 60.0


# -- /proc -----------------------------------------------------------------------------
def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/statm (pages)."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def open_fds(pid: int) -> int:
    """Open file descriptors of a process: the entries of /proc/PID/fd."""
    return len(os.listdir(f"/proc/{pid}/fd"))


@dataclass(frozen=True)
class Point:
    t_s: float  # since the run started
    client_rss: int
    client_fds: int
    mock_rss: int
    mock_fds: int
    received: int  # replies so far, to show the load was really on


class Sampler:
    """Samples this process and the mock every `every_s` on a thread of its own, so a
    busy engine loop does not skew the sampling times."""

    def __init__(self, mock_pid: int, every_s: float, counts: Counts) -> None:
        self.mock_pid = mock_pid
        self.every_s = every_s
        self.counts = counts
        self.points: list[Point] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="soak-sampler", daemon=True)

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._thread.start()

    def sample(self) -> None:
        me = os.getpid()
        self.points.append(
            Point(
                t_s=time.monotonic() - self._t0,
                client_rss=rss_bytes(me),
                client_fds=open_fds(me),
                mock_rss=rss_bytes(self.mock_pid),
                mock_fds=open_fds(self.mock_pid),
                received=self.counts.outcomes.get("received", 0),
            )
        )

    def _loop(self) -> None:
        self.sample()
        while not self._stop.wait(self.every_s):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# -- the run ---------------------------------------------------------------------------
@dataclass
class Counts:
    """What the run's events add up to, without keeping any event."""

    outcomes: dict[str, int] = field(default_factory=dict)
    bytes_out: int = 0
    bytes_in: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    finished: str = ""
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def feed(self, event: Event) -> None:
        if isinstance(event, Sample):
            self.outcomes[event.outcome] = self.outcomes.get(event.outcome, 0) + 1
            self.bytes_out += event.bytes_out
            self.bytes_in += event.bytes_in
            if event.outcome == "received":
                self.latency.record_ns(max(event.rtt_ns, 0))
        elif isinstance(event, ErrorEvent):
            self.errors[event.kind] = self.errors.get(event.kind, 0) + 1
        elif isinstance(event, RunFinished):
            self.finished = event.reason + (f": {event.error}" if event.error else "")


async def soak(base_url: str, seconds: float, rate: float, counts: Counts) -> None:
    settings = RunSettings(
        transport="realtime",
        target="mock/echo",
        base_url=base_url,
        duration_s=seconds,
        rate=rate,
        payload='{"prompt": "soak"}',
        timeout_s=10.0,
    )
    await engine_run(build_config(settings), counts.feed)


# -- growth ----------------------------------------------------------------------------
def window_mean(points: list[Point], attr: str, lo: float, hi: float) -> float:
    vals = [getattr(p, attr) for p in points if lo <= p.t_s <= hi]
    return sum(vals) / len(vals) if vals else float("nan")


def growth(points: list[Point], window_s: float) -> dict[str, float]:
    """Mean of the last window minus mean of the first, per measured quantity, over the
    samples taken under load (before the first reply the connection is not yet open)."""
    points = [p for p in points if p.received > 0] or points
    start, end = points[0].t_s, points[-1].t_s
    window_s = min(window_s, (end - start) / 2)
    out: dict[str, float] = {}
    for attr in ("client_rss", "client_fds", "mock_rss", "mock_fds"):
        first = window_mean(points, attr, start, start + window_s)
        last = window_mean(points, attr, end - window_s, end)
        out[attr] = last - first
    return out


def curve_rows(points: list[Point], rows: int) -> list[Point]:
    """At most `rows` points spread over the run, always the first and the last."""
    if len(points) <= rows:
        return points
    step = (len(points) - 1) / (rows - 1)
    return [points[round(i * step)] for i in range(rows)]


def print_curve(points: list[Point], rows: int) -> None:
    print(f"{'t_s':>7} {'client_MB':>9} {'fds':>4} {'mock_MB':>8} {'fds':>4} {'received':>9}")
    for p in curve_rows(points, rows):
        print(
            f"{p.t_s:7.0f} {p.client_rss / MB:9.1f} {p.client_fds:4d} "
            f"{p.mock_rss / MB:8.1f} {p.mock_fds:4d} {p.received:9d}"
        )


def main() -> int:
    ap = parser(__doc__ or "")
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the run")
    ap.add_argument("--rate", type=float, default=1000.0, help="messages per second")
    ap.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--rows", type=int, default=25, help="rows of the printed curve")
    args = ap.parse_args()
    if args.minutes <= 0 or args.rate <= 0 or args.every <= 0:
        ap.error("--minutes, --rate and --every must be positive")
    seconds = args.minutes * MINUTE_S
    info = machine_info(["websockets", "msgpack"])
    counts = Counts()
    mock = MockProcess()
    base_url = mock.start()
    try:
        assert mock.pid is not None  # started above
        sampler = Sampler(mock.pid, args.every, counts)
        sampler.start()
        t0 = time.monotonic()
        try:
            asyncio.run(soak(base_url, seconds, args.rate, counts))
        finally:
            sampler.stop()
        wall = time.monotonic() - t0
    finally:
        mock.stop()
    received = counts.outcomes.get("received", 0)
    require_samples("soak", received)
    points = sampler.points
    g = growth(points, MINUTE_S)
    print(
        f"soak: {wall:.0f} s at {args.rate:g} msg/s; outcomes {counts.outcomes}; "
        f"errors {counts.errors or '{}'}; run {counts.finished}"
    )
    lat = counts.latency.summary()
    print(f"latency ms: p50 {fmt(lat.p50)} p99 {fmt(lat.p99)} max {fmt(lat.max)}")
    print_curve(points, args.rows)
    window = min(MINUTE_S, points[-1].t_s / 2)
    print(
        f"growth (last {window:.0f} s vs first {window:.0f} s): "
        f"client RSS {g['client_rss'] / MB:+.1f} MB, fds {g['client_fds']:+.1f}; "
        f"mock RSS {g['mock_rss'] / MB:+.1f} MB, fds {g['mock_fds']:+.1f}"
    )
    print(f"load average: start {info['loadavg_start']}, end {os.getloadavg()}")
    if args.json_out:
        data: dict[str, Any] = {
            "minutes": args.minutes,
            "rate": args.rate,
            "wall_s": wall,
            "outcomes": counts.outcomes,
            "errors": counts.errors,
            "finished": counts.finished,
            "bytes_out": counts.bytes_out,
            "bytes_in": counts.bytes_in,
            "growth": g,
            "points": [vars(p) for p in points],
            "machine": info | {"loadavg_end": os.getloadavg()},
        }
        write_json(args.json_out, data)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
