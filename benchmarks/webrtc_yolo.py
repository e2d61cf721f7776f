"""Benchmark rtprobe's WebRTC client against the mock's yolo app (video-to-video).

Not a test: nothing here asserts on speed. The mock runs in its own process
(`server_mock.process.MockProcess`), the client (`WebRtcSession` with a
`SyntheticSource`) in this one, both on 127.0.0.1 only (no STUN, loopback candidates).

    .venv/bin/python benchmarks/webrtc_yolo.py [--seconds 10] [--size 640x480] [--fps 30]
        [--signaling json|msgpack] [--json out.json]

Prints fps out/in, frames lost, per-frame latency p50/p90/p99 and, separately, the part
of it that aiortc's receive jitter buffer held the frame on the client (`hold`) and
the rest (`latency - hold`: encode, network, the server's own jitter buffer, processing,
decode), the data channel detection latency (the server's side without our jitter
buffer), time to connected and to first frame, and the CPU % of each process over the
streaming window (100 % = one core). Ratios against what the same run sent: fps in/out,
and the hold over one frame interval (aiortc releases a frame when the next one starts
arriving, so ~1.0 is the expected hold). Percentiles come from core's HDR histogram
(microsecond resolution). A run that received no frames, no per-frame latencies or no
detections exits with status 1 and an `error:` line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
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
from app.core.transports.webrtc import WebRtcOptions  # noqa: E402
from benchmarks import common  # noqa: E402
from benchmarks.common import proc_cpu_s, ratio, self_cpu_s  # noqa: E402
from server_mock.process import MockProcess  # noqa: E402

PATHS = {"json": "/mock/yolo/webrtc", "msgpack": "/mock/yolo/realtime"}


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


def median_of(stats: list[dict[str, Any]], key: str) -> float:
    """A side figure (bitrate) over the stats snapshots: NaN when getStats gave none."""
    values = [s[key] for s in stats if key in s]
    return round(statistics.median(values), 2) if values else float("nan")


class Collector:
    """Events in, per-frame lists and CPU marks out (the window starts at connected)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.out_t: list[int] = []
        self.in_t: list[int] = []
        self.latency_ms: list[float] = []
        self.hold_ms: list[float] = []
        self.rest_ms: list[float] = []
        self.stats: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.window: dict[str, float] = {}

    def __call__(self, e: Event) -> None:
        if isinstance(e, FrameSample):
            if e.direction == "out":
                self.out_t.append(e.t_ns)
                return
            self.in_t.append(e.t_ns)
            if e.latency_ns is not None:
                self.latency_ms.append(e.latency_ns / 1e6)
                if e.hold_ns is not None:
                    self.rest_ms.append((e.latency_ns - e.hold_ns) / 1e6)
            if e.hold_ns is not None:
                self.hold_ms.append(e.hold_ns / 1e6)
        elif isinstance(e, StatsSnapshot):
            self.stats.append(dict(e.values))
        elif isinstance(e, ErrorEvent):
            self.errors.append(f"{e.kind}: {e.message}")
        elif isinstance(e, StateChange) and e.state == "connected":
            self.mark("start")
        elif isinstance(e, StateChange) and e.state in ("closed", "failed"):
            self.mark("end")

    def mark(self, name: str) -> None:
        self.window[f"{name}_wall"] = time.perf_counter()
        self.window[f"{name}_client"] = self_cpu_s()
        self.window[f"{name}_server"] = proc_cpu_s(self.server_pid)

    def cpu(self) -> dict[str, float]:
        w = self.window
        if "start_wall" not in w or "end_wall" not in w:
            return {}
        wall = w["end_wall"] - w["start_wall"]
        return {
            "client_pct": round(100 * (w["end_client"] - w["start_client"]) / wall, 1),
            "server_pct": round(100 * (w["end_server"] - w["start_server"]) / wall, 1),
            "window_s": round(wall, 2),
        }


def fps(times: list[int]) -> float:
    if len(times) < 2:
        return 0.0
    return round((len(times) - 1) / ((times[-1] - times[0]) / 1e9), 2)


async def measure(base: str, server_pid: int, args: argparse.Namespace) -> dict[str, Any]:
    w, h = (int(x) for x in args.size.lower().split("x"))
    target = resolve("webrtc", base + PATHS[args.signaling])
    config = RunConfig(target=target, count=None, duration_s=args.seconds, timeout_s=10.0)
    collect = Collector(server_pid)
    session = WebRtcSession(
        0,
        config,
        collect,
        asyncio.Event(),
        source_factory=lambda: SyntheticSource(w, h, args.fps),
        mode="v2v",
        data_channel=True,
        actions=None,
        options=WebRtcOptions(flavour=args.signaling),
    )
    detections_ms: list[float] = []
    original = session._on_data

    def on_data(m: Any) -> None:  # the detection latency is not an engine event
        if m.latency_ns is not None:
            detections_ms.append(m.latency_ns / 1e6)
        original(m)

    session._on_data = on_data  # type: ignore[method-assign]
    await asyncio.wait_for(session.run(), args.seconds + 60)
    common.require_samples("frames received", len(collect.in_t))
    info = next((s for s in collect.stats if "time_to_connected_ms" in s), {})
    first = next((s for s in collect.stats if "time_to_first_frame_ms" in s), {})
    final = collect.stats[-1] if collect.stats else {}
    return {
        "config": {
            "size": f"{w}x{h}",
            "fps": args.fps,
            "seconds": args.seconds,
            "signaling": info.get("signaling"),
            "codec": "VP8 (aiortc default)",
        },
        "fps_out": fps(collect.out_t),
        "fps_in": fps(collect.in_t),
        "frames_out": len(collect.out_t),
        "frames_in": len(collect.in_t),
        "frames_lost": final.get("frames_lost"),
        "frames_duplicate": final.get("frames_duplicate"),
        "frames_unreadable": final.get("frames_unreadable"),
        "latency_ms": pcts(collect.latency_ms, "per-frame latency"),
        "hold_ms": pcts(collect.hold_ms),
        "latency_minus_hold_ms": pcts(collect.rest_ms),
        "detection_latency_ms": pcts(detections_ms, "detections on the data channel"),
        "time_to_connected_ms": info.get("time_to_connected_ms"),
        "ice_dtls_ms": info.get("ice_dtls_ms"),
        "time_to_first_frame_ms": first.get("time_to_first_frame_ms"),
        "cpu": collect.cpu(),
        "getstats_last": {
            k: final.get(k)
            for k in ("packets_lost", "jitter_ms", "rtt_ms", "bytes_in", "bytes_out")
            if k in final
        },
        "bitrate_kbps": {
            "in": {"p50": median_of(collect.stats, "bitrate_in_kbps")},
            "out": {"p50": median_of(collect.stats, "bitrate_out_kbps")},
        },
        "errors": collect.errors,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
    }


def ratios(r: dict[str, Any]) -> dict[str, float]:
    """Against what this run sent: frames back per frame out, and the hold in frame
    intervals (at the rate frames actually went out)."""
    interval_ms = 1000 / r["fps_out"] if r["fps_out"] else float("nan")
    return {
        "fps in/out": ratio(r["fps_in"], r["fps_out"]),
        "hold p50 / frame interval": ratio(r["hold_ms"]["p50"], interval_ms),
    }


def show(r: dict[str, Any]) -> None:
    c = r["config"]
    print(f"yolo v2v {c['size']}@{c['fps']:g} for {c['seconds']:g} s, signaling {c['signaling']}")
    print(
        f"  frames   out {r['frames_out']} ({r['fps_out']} fps)   in {r['frames_in']} "
        f"({r['fps_in']} fps)   lost {r['frames_lost']}   duplicate {r['frames_duplicate']}"
        f"   unreadable {r['frames_unreadable']}"
    )
    for name, key in (
        ("latency", "latency_ms"),
        ("  hold (client jitter buffer)", "hold_ms"),
        ("  latency - hold", "latency_minus_hold_ms"),
        ("detections (data channel)", "detection_latency_ms"),
    ):
        p = r[key]
        print(
            f"  {name:<32} p50 {p['p50']:7.2f}  p90 {p['p90']:7.2f}  p99 {p['p99']:7.2f} ms"
            f"  (n={p['count']})"
        )
    print(
        f"  set-up   connected {r['time_to_connected_ms']} ms (ICE+DTLS {r['ice_dtls_ms']} ms)"
        f"   first frame {r['time_to_first_frame_ms']} ms"
    )
    b = r["bitrate_kbps"]
    print(f"  bitrate  in p50 {b['in']['p50']} kbit/s   out p50 {b['out']['p50']} kbit/s")
    print(f"  getStats {r['getstats_last']}")
    cpu = r["cpu"]
    if cpu:
        print(
            f"  CPU      client {cpu['client_pct']} %   mock server {cpu['server_pct']} %"
            f"   (over {cpu['window_s']} s, 100 % = one core)"
        )
    print("  " + common.ratio_line("ratios", r["ratios"]))
    if r["errors"]:
        print(f"  errors   {r['errors']}")


def main() -> int:
    parser = common.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--signaling", choices=sorted(PATHS), default="json")
    args = parser.parse_args()
    mock = MockProcess()
    base = mock.start()
    try:
        assert mock.pid is not None
        result = asyncio.run(measure(base, mock.pid, args))
    finally:
        mock.stop()
    result["ratios"] = ratios(result)
    show(result)
    if args.json_out:
        common.write_json(args.json_out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(common.run(main))
