"""Benchmark rtprobe's WebRTC client against the mock's yolo app (video-to-video), with
the jitter buffer releasing frames on their RTP marker bit and, as a baseline measured
in the same run, with aiortc's own next-frame release.

Not a test: nothing here asserts on speed. The mock runs in its own process
(`server_mock.process.MockProcess`), the client (`WebRtcSession`s with `SyntheticSource`s)
in this one, both on 127.0.0.1 only (no STUN, loopback candidates).

    .venv/bin/python benchmarks/webrtc_yolo.py [--seconds 8] [--rounds 2]
        [--sizes 640x480,1280x720] [--modes marker,next-frame] [--sessions 1]
        [--fps 30] [--warmup 1] [--signaling json|msgpack] [--json out.json]

A mode is the rule at both ends: the client's `jitter_release` and the mock's, chosen
per connection with `?jitter_release=` (so one mock process serves both). Rounds run
every size and mode alternately (marker, next-frame, next-frame, marker, …) so a drift
of the machine's load falls on both. `--sessions N` runs N concurrent sessions from this
one process in each round (fps in is then per session: the slowest one is shown).

Per mode and size (the round with the median p50 is shown, with every round's p50 beside
it; fps in is the slowest session of the slowest round, lost the sum of all rounds):
fps out/in, frames lost, per-frame round trip p50/p99 (send of a
frame -> its annotated copy decoded here), the client's jitter-buffer hold p50/p99 (first
packet -> release to the decoder), the rest (latency - hold: encode, network, the mock's
own buffer, processing, decode), the data channel detection latency, and the CPU % of
this process, the mock and the rest of the machine over the streaming window (100 % =
one core). Then the ratio marker / next-frame of each figure per size. Frames received
in the first `--warmup` seconds of a session are left out of the latency and fps figures
(the key frame and set-up), never out of the lost count. A round that received no frames
or no timed frames exits with status 1 and an `error:` line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.core.config import RunConfig  # noqa: E402
from app.core.events import ErrorEvent, Event, FrameSample, StateChange, StatsSnapshot  # noqa: E402
from app.core.media import SyntheticSource  # noqa: E402
from app.core.sessions.webrtc import WebRtcSession  # noqa: E402
from app.core.targets import resolve  # noqa: E402
from app.core.transports.jitter_release import RELEASES, parse_release  # noqa: E402
from app.core.transports.webrtc import WebRtcOptions  # noqa: E402
from benchmarks import common  # noqa: E402
from benchmarks.common import CpuSampler, ratio  # noqa: E402
from server_mock.process import MockProcess  # noqa: E402

PATHS = {"json": "/mock/yolo/webrtc", "msgpack": "/mock/yolo/realtime"}
GOALS_P50_MS = {"640x480": 30.0, "1280x720": 45.0}  # issue 13, marker release
GOAL_FPS = 29.5


def pcts(values_ms: list[float], round_name: str | None = None) -> dict[str, float]:
    """p50/p90/p99 in ms; a `round_name` makes an empty list fail loudly (`NoSamples`)."""
    if round_name is not None:
        common.require_samples(round_name, len(values_ms))
    h = common.histogram_of(v * 1e6 for v in values_ms)
    out: dict[str, float] = {
        f"p{p}": round(h.percentile_ms(p), 2) if h.count else float("nan") for p in (50, 90, 99)
    }
    out["count"] = len(values_ms)
    return out


class Collector:
    """One session's events in, per-frame lists out (frames after the warm-up only)."""

    def __init__(self, warmup_s: float, on_state: Any) -> None:
        self.warmup_ns = int(warmup_s * 1e9)
        self.on_state = on_state
        self.first_in: int | None = None
        self.out_t: list[int] = []
        self.in_t: list[int] = []
        self.latency_ms: list[float] = []
        self.hold_ms: list[float] = []
        self.rest_ms: list[float] = []
        self.detections_ms: list[float] = []
        self.decode_ms: list[float] = []
        self.final: dict[str, Any] = {}
        self.info: dict[str, Any] = {}
        self.errors: list[str] = []

    def __call__(self, e: Event) -> None:
        if isinstance(e, FrameSample):
            self._frame(e)
        elif isinstance(e, StatsSnapshot):
            self.final.update(e.values)
            if "jitter_release" in e.values or "time_to_connected_ms" in e.values:
                self.info.update(e.values)
        elif isinstance(e, ErrorEvent):
            self.errors.append(f"{e.kind}: {e.message}")
        elif isinstance(e, StateChange):
            self.on_state(e.state)

    def _frame(self, e: FrameSample) -> None:
        if e.direction == "out":
            self.out_t.append(e.t_ns)
            return
        if self.first_in is None:
            self.first_in = e.t_ns
        if e.t_ns - self.first_in < self.warmup_ns:
            return
        self.in_t.append(e.t_ns)
        if e.latency_ns is not None:
            self.latency_ms.append(e.latency_ns / 1e6)
            if e.hold_ns is not None:
                self.rest_ms.append((e.latency_ns - e.hold_ns) / 1e6)
        if e.hold_ns is not None:
            self.hold_ms.append(e.hold_ns / 1e6)

    def on_frame(self, f: Any) -> None:
        """The decoder's part (release -> delivered here): not in the engine's events."""
        first = self.first_in
        if f.decode_ns is not None and first is not None and f.t_ns - first >= self.warmup_ns:
            self.decode_ms.append(f.decode_ns / 1e6)

    def on_data(self, m: Any) -> None:
        first = self.first_in
        if m.latency_ns is not None and first is not None and m.t_ns - first >= self.warmup_ns:
            self.detections_ms.append(m.latency_ns / 1e6)


def fps(times: list[int]) -> float:
    if len(times) < 2:
        return 0.0
    return round((len(times) - 1) / ((times[-1] - times[0]) / 1e9), 2)


class Window:
    """The CPU window: from `warmup` after every session connected to the first end."""

    def __init__(self, sampler: CpuSampler, sessions: int) -> None:
        self.sampler = sampler
        self.sessions = sessions
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.start: Any = None
        self.end: Any = None

    def state(self, state: str) -> None:
        if state == "connected":
            self.connected += 1
            if self.connected >= self.sessions:
                self.all_connected.set()
        elif state in ("closed", "failed") and self.start is not None and self.end is None:
            self.end = self.sampler.mark()

    def usage(self) -> dict[str, float]:
        if self.start is None or self.end is None:
            return {}
        u = self.sampler.usage(self.start, self.end)
        return {
            "client_pct": round(u.self_pct, 1),
            "server_pct": round(u.procs_pct[0], 1),
            "other_pct": round(u.other_pct, 1),
            "window_s": round(u.wall_s, 2),
        }


async def measure(
    base: str, sampler: CpuSampler, args: argparse.Namespace, size: str, mode: str
) -> dict[str, Any]:
    """One round: `args.sessions` concurrent sessions at `size`, both ends on `mode`."""
    w, h = (int(x) for x in size.lower().split("x"))
    release = parse_release(mode)
    target = resolve("webrtc", f"{base}{PATHS[args.signaling]}?jitter_release={release}")
    config = RunConfig(
        target=target, count=None, duration_s=args.seconds, timeout_s=10.0, concurrency=1
    )
    window = Window(sampler, args.sessions)
    collectors: list[Collector] = []
    runs = []
    for i in range(args.sessions):
        collect = Collector(args.warmup, window.state)
        collectors.append(collect)
        session = WebRtcSession(
            i,
            config,
            collect,
            asyncio.Event(),
            source_factory=lambda: SyntheticSource(w, h, args.fps),
            mode="v2v",
            data_channel=True,
            actions=None,
            options=WebRtcOptions(flavour=args.signaling, jitter_release=release),
        )
        original = session._on_data

        def on_data(m: Any, collect: Collector = collect, original: Any = original) -> None:
            collect.on_data(m)  # the detection latency is not an engine event
            original(m)

        session._on_data = on_data  # type: ignore[method-assign]
        original_frame = session._on_frame_in

        def on_frame(f: Any, collect: Collector = collect, original: Any = original_frame) -> None:
            original(f)  # first: it records the first frame's time the warm-up counts from
            collect.on_frame(f)

        session._on_frame_in = on_frame  # type: ignore[method-assign]
        runs.append(asyncio.ensure_future(session.run()))

    async def cpu_window() -> None:
        await window.all_connected.wait()
        await asyncio.sleep(args.warmup)
        window.start = sampler.mark()

    marker = asyncio.ensure_future(cpu_window())
    try:
        await asyncio.wait_for(asyncio.gather(*runs), args.seconds + 60)
    finally:
        marker.cancel()
    if window.start is not None and window.end is None:
        window.end = sampler.mark()
    label = f"{size} {mode} x{args.sessions}"
    for n, c in enumerate(collectors):
        common.require_samples(f"{label}: session {n} frames received", len(c.in_t))
    return summarise(collectors, window, label)


def summarise(collectors: list[Collector], window: Window, label: str) -> dict[str, Any]:
    latency = [v for c in collectors for v in c.latency_ms]
    fps_in = [fps(c.in_t) for c in collectors]
    info = collectors[0].info
    return {
        "fps_out": min(fps(c.out_t) for c in collectors),
        "fps_in_min": min(fps_in),
        "fps_in": fps_in,
        "frames_out": sum(len(c.out_t) for c in collectors),
        "frames_in": sum(c.final.get("frames_decoded", 0) for c in collectors),
        "frames_lost": sum(c.final.get("frames_lost", 0) for c in collectors),
        "frames_unreadable": sum(c.final.get("frames_unreadable", 0) for c in collectors),
        "latency_ms": pcts(latency, f"{label}: per-frame latency"),
        "hold_ms": pcts([v for c in collectors for v in c.hold_ms]),
        "rest_ms": pcts([v for c in collectors for v in c.rest_ms]),
        "detection_ms": pcts([v for c in collectors for v in c.detections_ms]),
        "decode_ms": pcts([v for c in collectors for v in c.decode_ms]),
        "jitter_release": info.get("jitter_release"),
        "time_to_connected_ms": info.get("time_to_connected_ms"),
        "cpu": window.usage(),
        "errors": [e for c in collectors for e in c.errors],
    }


def merge(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one (size, mode): lists joined, percentiles of the joined samples kept
    per round (the table shows the median round's), counts summed."""
    by_p50 = sorted(rounds, key=lambda r: r["latency_ms"]["p50"])
    mid = by_p50[len(by_p50) // 2]
    out = dict(mid)
    out["rounds"] = len(rounds)
    out["frames_lost"] = sum(r["frames_lost"] for r in rounds)
    out["frames_unreadable"] = sum(r["frames_unreadable"] for r in rounds)
    out["fps_in_min"] = min(r["fps_in_min"] for r in rounds)
    out["latency_p50_per_round"] = [r["latency_ms"]["p50"] for r in rounds]
    return out


def order(modes: list[str], r: int) -> list[str]:
    return modes if r % 2 == 0 else list(reversed(modes))


ROW = "{:<9} {:<10} {:>3} {:>7} {:>7} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}"


def show(results: dict[str, dict[str, dict[str, Any]]], args: argparse.Namespace) -> None:
    print(
        f"yolo v2v @{args.fps:g} fps, {args.seconds:g} s a round ({args.warmup:g} s warm-up left"
        f" out), {args.rounds} round(s) a mode, {args.sessions} session(s) a round,"
        f" signaling {args.signaling}; the machine may be shared: compare within this run"
    )
    print(
        ROW.format(
            "size", "mode", "n", "fps out", "fps in", "lost", "p50 ms", "p99 ms",
            "hold p50", "hold p99", "rest p50", "cpu cl", "cpu mk",
        )
    )  # fmt: skip
    for size, modes in results.items():
        for mode, r in modes.items():
            cpu = r["cpu"]
            print(
                ROW.format(
                    size, mode, args.sessions, r["fps_out"], r["fps_in_min"], r["frames_lost"],
                    r["latency_ms"]["p50"], r["latency_ms"]["p99"], r["hold_ms"]["p50"],
                    r["hold_ms"]["p99"], r["rest_ms"]["p50"],
                    f"{cpu.get('client_pct', '-')}%", f"{cpu.get('server_pct', '-')}%",
                )
            )  # fmt: skip
    for size, modes in results.items():
        if "marker" in modes and "next-frame" in modes:
            m, n = modes["marker"], modes["next-frame"]
            ratios = {
                "p50": ratio(m["latency_ms"]["p50"], n["latency_ms"]["p50"]),
                "p99": ratio(m["latency_ms"]["p99"], n["latency_ms"]["p99"]),
                "hold p50": ratio(m["hold_ms"]["p50"], n["hold_ms"]["p50"]),
                "client cpu": ratio(m["cpu"].get("client_pct"), n["cpu"].get("client_pct")),
            }
            print("  " + common.ratio_line(f"{size} marker / next-frame", ratios))
        goal = GOALS_P50_MS.get(size)
        if "marker" in modes and goal is not None:
            m = modes["marker"]
            met = (
                m["latency_ms"]["p50"] <= goal
                and m["fps_in_min"] >= GOAL_FPS
                and m["frames_lost"] == 0
            )
            print(
                f"  {size} marker goal (p50 <= {goal} ms, fps in >= {GOAL_FPS}, 0 lost): "
                f"{'met' if met else 'MISSED'}; p50 per round {m['latency_p50_per_round']}"
            )
        for mode, r in modes.items():
            cpu = r["cpu"]
            if cpu:
                print(
                    f"  {size} {mode}: CPU client {cpu['client_pct']} %, mock "
                    f"{cpu['server_pct']} %, rest of the machine {cpu['other_pct']} % "
                    f"(over {cpu['window_s']} s); fps in per session {r['fps_in']}"
                )
            print(
                f"  {size} {mode}: p50 parts: client hold {r['hold_ms']['p50']} ms, decode +"
                f" hop {r['decode_ms']['p50']} ms; detections on the data channel (send ->"
                f" annotated in the mock -> back) {r['detection_ms']['p50']} ms"
            )
            if r["errors"]:
                print(f"  {size} {mode}: errors {r['errors']}")


def main() -> int:
    parser = common.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="per round (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="per size and mode (default 2)")
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--modes", default="marker,next-frame", help=f"of {', '.join(RELEASES)}")
    parser.add_argument("--sessions", type=int, default=1, help="concurrent sessions a round")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds left out (default 1)")
    parser.add_argument("--signaling", choices=sorted(PATHS), default="json")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    try:
        modes = [parse_release(m) for m in args.modes.split(",") if m.strip()]
    except ValueError as exc:
        parser.error(str(exc))
    if args.sessions < 1 or args.rounds < 1 or not sizes or not modes:
        parser.error("--sessions and --rounds must be at least 1, --sizes and --modes non-empty")
    mock = MockProcess()
    base = mock.start()
    rounds: dict[str, dict[str, list[dict[str, Any]]]] = {s: {m: [] for m in modes} for s in sizes}
    started = time.monotonic()
    try:
        assert mock.pid is not None
        sampler = CpuSampler([mock.pid])
        for r in range(args.rounds):
            for size in sizes:
                for mode in order(modes, r):
                    result = asyncio.run(measure(base, sampler, args, size, mode))
                    rounds[size][mode].append(result)
                    cpu = result["cpu"]
                    print(
                        f"  round {r + 1} {size} {mode}: p50 {result['latency_ms']['p50']} ms,"
                        f" hold p50 {result['hold_ms']['p50']} ms, fps in"
                        f" {result['fps_in_min']}, lost {result['frames_lost']}, CPU client"
                        f" {cpu.get('client_pct')} % mock {cpu.get('server_pct')} % rest of the"
                        f" machine {cpu.get('other_pct')} %",
                        flush=True,
                    )
    finally:
        mock.stop()
    results = {s: {m: merge(rs) for m, rs in ms.items()} for s, ms in rounds.items()}
    show(results, args)
    if args.json_out:
        common.write_json(
            args.json_out,
            {
                "config": vars(args),
                "results": results,
                "rounds": rounds,
                "wall_s": round(time.monotonic() - started, 1),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            },
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(common.run(main))
