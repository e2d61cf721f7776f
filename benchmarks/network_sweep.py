"""Degradation curves: each transport against the mock across a sweep of network conditions.

Not a test: nothing here asserts on speed. The mock runs in its own process; each point
is one `rtprobe run`-equivalent (the engine, `run_collect`) of `--seconds` against it:

- realtime (`mock/echo`), ws (`mock/echo/ws`), SSE (`mock/diffusion`, a stream of events
  per request): closed loop, one session; the condition is the profile's byte-stream
  toxics on the connection (`?toxic=`: latency then bandwidth, per direction). TCP has no
  loss toxic, so loss points show the clean link for these three (marked "n/a");
- WebRTC (`mock/yolo/webrtc`, video-to-video 640x480@30): the profile impairs the
  client's RTP/RTCP both ways (loss, delay, rate).

    .venv/bin/python benchmarks/network_sweep.py [--seconds 3] [--quick]
        [--transports realtime,ws,sse,webrtc] [--json out.json] [--html out.html]

Columns: p50/p99 round trip (WebRTC: per-frame latency), received messages/s (WebRTC:
received kbit/s), fps in, freezes (gaps over 3 frame intervals) and NACKs sent. Every
delay is one way, each way (a round trip adds twice it). A point that measured nothing
(no round trips, no frames) ends the benchmark with status 1 and an `error:` line.
"""

from __future__ import annotations

import asyncio
import html
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.core.engine.build import RunSettings, build_config  # noqa: E402
from app.core.engine.run import run_collect  # noqa: E402
from app.core.report.model import Summary  # noqa: E402
from app.core.report.svg import esc, linear_ticks  # noqa: E402
from benchmarks import common  # noqa: E402
from server_mock.process import MockProcess  # noqa: E402

TARGETS = {
    "realtime": ("mock/echo", '{"prompt": "hello", "n": 1}'),
    "ws": ("mock/echo/ws", '{"hello": "websocket"}'),
    "sse": (
        "mock/diffusion",
        '{"prompt": "a cat", "steps": 8, "step_ms": 20, "width": 64, "height": 64}',
    ),
    "webrtc": ("mock/yolo/webrtc", "{}"),
}
# (family, label, profile); the first point is the clean baseline of every family
FULL = [
    ("loss", "0 %", ""),
    ("loss", "1 %", "loss=1%"),
    ("loss", "2 %", "loss=2%"),
    ("loss", "5 %", "loss=5%"),
    ("loss", "10 %", "loss=10%"),
    ("delay", "50 ms", "delay=50"),
    ("delay", "100 ms", "delay=100"),
    ("delay", "200 ms", "delay=200"),
    ("delay", "300 ms", "delay=300"),
    ("rate", "4000 kbit/s", "rate=4000"),
    ("rate", "1000 kbit/s", "rate=1000"),
    ("rate", "500 kbit/s", "rate=500"),
    ("rate", "300 kbit/s", "rate=300"),
]
QUICK = [FULL[0], FULL[2], FULL[4], FULL[6], FULL[8], FULL[10], FULL[12]]
LOSSY_TCP = "n/a"


def point(base: str, transport: str, profile: str, seconds: float) -> dict[str, Any]:
    target, payload = TARGETS[transport]
    settings = RunSettings(
        transport=transport,
        target=target,
        payload=payload,
        base_url=base,
        duration_s=seconds,
        timeout_s=10.0,
        network=profile,
        video_size="640x480",
        video_fps=30.0,
    )
    summary: Summary = asyncio.run(run_collect(build_config(settings))).summary()
    f = summary.frames
    if f is not None:
        lat = f.frame_latency_ms
        common.require_samples(f"{transport} {profile or 'clean'}", lat.count)
        fb = f.feedback
        wire_in = summary.connection.get("bytes_in") or 0
        return {
            "p50_ms": lat.p50,
            "p99_ms": lat.p99,
            "throughput": round(summary.bytes_in * 8 / 1000 / summary.duration_s, 1)
            if summary.duration_s and summary.bytes_in
            else float(wire_in),
            "unit": "kbit/s in",
            "fps": f.fps_in,
            "freezes": int(fb.get("freezes", 0)),
            "nacks": int(fb.get("nack_sent", 0)),
            "lost_frames": f.frames_lost,
            "samples": lat.count,
        }
    rtt = summary.rtt_ms
    common.require_samples(f"{transport} {profile or 'clean'}", rtt.count)
    return {
        "p50_ms": rtt.p50,
        "p99_ms": rtt.p99,
        "throughput": round(summary.received / summary.duration_s, 1)
        if summary.duration_s
        else 0.0,
        "unit": "msg/s",
        "fps": None,
        "freezes": None,
        "nacks": None,
        "lost_frames": None,
        "samples": rtt.count,
        "errors": summary.errors + summary.timeouts,
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = "| transport | condition | p50 ms | p99 ms | throughput | fps in | freezes | NACKs |"
    out = [head, "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cond = f"{r['family']} {r['label']}" if r["profile"] else "clean"
        if r.get("note"):
            cond += f" ({r['note']})"

        def cell(v: Any) -> str:
            return "–" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))

        out.append(
            f"| {r['transport']} | {cond} | {cell(r['p50_ms'])} | {cell(r['p99_ms'])} | "
            f"{cell(r['throughput'])} {r['unit']} | {cell(r['fps'])} | {cell(r['freezes'])} | "
            f"{cell(r['nacks'])} |"
        )
    return "\n".join(out)


COLOURS = {"realtime": "#0072b2", "ws": "#e69f00", "sse": "#009e73", "webrtc": "#cc79a7"}


def chart(rows: list[dict[str, Any]], family: str, key: str, title: str) -> str:
    """One small line chart: x = the family's conditions (clean first), a line per transport."""
    labels = ["clean"] + [lab for fam, lab, p in FULL if fam == family and p]
    pts = [r for r in rows if (r["family"] == family or not r["profile"]) and r[key] is not None]
    labels = [
        lab
        for lab in labels
        if any(r["label"] == lab or (lab == "clean" and not r["profile"]) for r in pts)
    ]
    if len(labels) < 2:
        return ""
    w, h, left, right, top, bottom = 420, 220, 52, 12, 22, 40
    values = [float(r[key]) for r in pts]
    ticks = linear_ticks(0, max(values) * 1.1 or 1.0)
    hi = ticks[-1] if ticks else 1.0

    def x(i: int) -> float:
        return left + (w - left - right) * i / (len(labels) - 1)

    def y(v: float) -> float:
        return top + (h - top - bottom) * (1 - v / hi)

    parts = [f'<svg width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg" font-size="10">']
    parts.append(f'<text x="{left}" y="13" font-weight="bold">{esc(title)}</text>')
    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y(t) + 3:.1f}" text-anchor="end">{t:g}</text>'
        )
    for i, lab in enumerate(labels):
        parts.append(
            f'<text x="{x(i):.1f}" y="{h - bottom + 14}" text-anchor="middle">{esc(lab)}</text>'
        )
    for transport, colour in COLOURS.items():
        line = []
        for i, lab in enumerate(labels):
            for r in pts:
                same = (not r["profile"]) if lab == "clean" else r["label"] == lab
                if r["transport"] == transport and same:
                    line.append((x(i), y(float(r[key]))))
        if line:
            d = " ".join(f"{px:.1f},{py:.1f}" for px, py in line)
            parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
            parts += [
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>' for px, py in line
            ]
    parts.append("</svg>")
    return "".join(parts)


def page(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    legend = " ".join(
        f'<span style="color:{c};font-weight:bold">■ {esc(t)}</span>' for t, c in COLOURS.items()
    )
    charts = []
    for family, what in (
        ("loss", "loss each way"),
        ("delay", "delay each way"),
        ("rate", "rate cap"),
    ):
        for key, title in (
            ("p50_ms", "p50 round trip / frame latency, ms"),
            ("p99_ms", "p99 round trip / frame latency, ms"),
            ("fps", "WebRTC fps in"),
            ("freezes", "WebRTC freezes"),
        ):
            charts.append(chart(rows, family, key, f"{title} vs {what}"))
    body = "".join(f"<div style='display:inline-block;margin:6px'>{c}</div>" for c in charts if c)
    md = html.escape(table(rows))
    return (
        "<!doctype html><meta charset='utf-8'><title>rtprobe network sweep</title>"
        "<body style='font-family:sans-serif'><h1>Degradation curves</h1>"
        f"<p>{esc(meta)}</p><p>{legend}</p>{body}<h2>Table</h2><pre>{md}</pre></body>"
    )


def main() -> int:
    p = common.parser(__doc__ or "")
    p.add_argument("--seconds", type=float, default=3.0, help="each point runs this long")
    p.add_argument("--quick", action="store_true", help="7 points instead of 13")
    p.add_argument("--transports", default="realtime,ws,sse,webrtc")
    p.add_argument("--html", help="write the HTML page here")
    args = p.parse_args()
    transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    unknown = [t for t in transports if t not in TARGETS]
    if unknown:
        p.error(f"unknown transport {unknown[0]!r} (one of {', '.join(TARGETS)})")
    points = QUICK if args.quick else FULL
    rows: list[dict[str, Any]] = []
    t0 = time.monotonic()
    with MockProcess() as base:
        for transport in transports:
            for family, label, profile in points:
                if family == "loss" and profile and transport != "webrtc":
                    continue  # TCP: no loss toxic (see the docstring)
                figures = point(base, transport, profile, args.seconds)
                row = {"transport": transport, "family": family, "label": label,
                       "profile": profile, **figures}  # fmt: skip
                rows.append(row)
                print(f"{transport:8} {profile or 'clean':12} p50 {row['p50_ms']:.1f} ms  "
                      f"p99 {row['p99_ms']:.1f} ms", file=sys.stderr, flush=True)  # fmt: skip
    meta = {
        "seconds_per_point": args.seconds,
        "elapsed_s": round(time.monotonic() - t0, 1),
        "note": f"loss on realtime/ws/SSE: {LOSSY_TCP} (TCP); delays are one way, each way",
        **common.machine_info(("aiortc",)),
    }
    print(table(rows))
    if args.json_out:
        common.write_json(args.json_out, {"meta": meta, "rows": rows})
    if args.html:
        Path(args.html).write_text(page(rows, meta), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(common.run(main))
