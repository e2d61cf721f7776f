"""`rtprobe calibrate`: the floor of measurement on this machine.

Against the mock echo (in its own process), the same closed-loop round trips are
timed by (1) a minimal websockets + msgpack client, the baseline; (2) rtprobe's
realtime client through the full engine; (3) fal-client's realtime, when installed.
Rounds alternate the clients so drift on the machine hits all of them alike. The
ratios to the baseline are rtprobe's own overhead: targets p50 <= 1.05, p99 <= 1.10
(issue 14). Open loop (send lag, tails, the highest sustainable rate) is measured by
benchmarks/open_loop_tail.py and open_loop_capacity.py.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgpack
import websockets

from app.core import precise_loop
from app.core.engine.build import RunSettings, build_config
from app.core.engine.run import run_collect
from app.core.metrics import LatencyHistogram

SIZES = {"64B": 64, "64KiB": 64 * 1024}
TARGET_P50_RATIO = 1.05
TARGET_P99_RATIO = 1.10


def add_parser(sub: Any, types: dict[str, Callable[[str], Any]]) -> None:
    p = sub.add_parser("calibrate", help="measure rtprobe's own overhead against a minimal client")
    p.add_argument(
        "--count", type=types["count"], default=2000, help="round trips per client per round"
    )
    p.add_argument(
        "--rounds", type=types["count"], default=3, help="alternating rounds (default 3)"
    )
    p.add_argument(
        "--warmup", type=types["count"], default=200, help="round trips left out per run"
    )
    p.add_argument("--json", dest="json_out", metavar="FILE", help="write the results as JSON")


async def _raw(url: str, payload: dict[str, Any], count: int, warmup: int) -> LatencyHistogram:
    h = LatencyHistogram()
    async with websockets.connect(url, compression=None, max_size=None, ping_interval=None) as ws:
        for seq in range(count + warmup):
            frame = msgpack.packb({**payload, "rtprobe_seq": seq}, use_bin_type=True)
            t0 = time.perf_counter_ns()
            await ws.send(frame)
            reply = msgpack.unpackb(await ws.recv(), raw=False)
            t1 = time.perf_counter_ns()
            if reply.get("rtprobe_seq") != seq:
                raise RuntimeError("raw client: reply out of order")
            if seq >= warmup:
                h.record_ns(t1 - t0)
    return h


async def _engine(base: str, payload: dict[str, Any], count: int, warmup: int) -> LatencyHistogram:
    cfg = build_config(
        RunSettings(
            "realtime",
            "mock/echo",
            payload=payload,
            count=count + warmup,
            warmup=warmup,
            base_url=base,
        )
    )
    agg = await run_collect(cfg)
    if agg.totals().received != count:
        raise RuntimeError(f"engine: {agg.totals().received} of {count} replies")
    return agg.rtt


async def _fal_client(
    base: str, payload: dict[str, Any], count: int, warmup: int
) -> LatencyHistogram:
    import fal_client.client as fc

    saved = fc.REALTIME_URL_FORMAT
    fc.REALTIME_URL_FORMAT = base.replace("http://", "ws://") + "/"
    h = LatencyHistogram()
    try:
        client = fc.AsyncClient(key="calibrate")
        async with client.realtime("mock/echo", use_jwt=False) as conn:
            for seq in range(count + warmup):
                t0 = time.perf_counter_ns()
                await conn.send({**payload, "rtprobe_seq": seq})
                await conn.recv()
                t1 = time.perf_counter_ns()
                if seq >= warmup:
                    h.record_ns(t1 - t0)
    finally:
        fc.REALTIME_URL_FORMAT = saved
    return h


def _has_fal_client() -> bool:
    try:
        import fal_client  # noqa: F401
    except ImportError:
        return False
    return True


async def calibrate(
    base: str, count: int, rounds: int, warmup: int, echo: Callable[[str], None] = print
) -> dict[str, Any]:
    url = base.replace("http://", "ws://") + "/mock/echo/realtime"
    clients: dict[str, Callable[[dict[str, Any]], Awaitable[LatencyHistogram]]] = {
        "raw": lambda p: _raw(url, p, count, warmup),
        "rtprobe": lambda p: _engine(base, p, count, warmup),
    }
    if _has_fal_client():
        clients["fal_client"] = lambda p: _fal_client(base, p, count, warmup)
    results: dict[str, Any] = {}
    for label, size in SIZES.items():
        payload = {"blob": b"\x00" * size}
        merged = {name: LatencyHistogram() for name in clients}
        cpu_s = dict.fromkeys(clients, 0.0)
        names = list(clients)
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]  # rotate who goes first
            for name in order:
                c0 = time.process_time()
                merged[name].merge(await clients[name](payload))
                cpu_s[name] += time.process_time() - c0
        block: dict[str, Any] = {name: h.summary().as_dict() for name, h in merged.items()}
        # CPU per round trip (this process: client side only, the mock runs apart): what a
        # loaded machine disturbs least, where latency percentiles swing with the load
        trips = rounds * (count + warmup)
        for name in names:
            block[name]["cpu_us_per_round_trip"] = round(cpu_s[name] / trips * 1e6, 1)
        raw = merged["raw"].summary()
        for name in names:
            if name == "raw":
                continue
            s = merged[name].summary()
            block[f"{name}_ratio"] = {
                "p50": round(s.p50 / raw.p50, 3),
                "p99": round(s.p99 / raw.p99, 3),
                "cpu": round(
                    block[name]["cpu_us_per_round_trip"] / block["raw"]["cpu_us_per_round_trip"], 3
                ),
            }
        results[label] = block
        echo(_format_block(label, block, names))
    return results


def _format_block(label: str, block: dict[str, Any], names: list[str]) -> str:
    lines = [
        f"{label} payload, closed loop ({block['raw']['count']} round trips each):",
        f"  {'client':<12}{'p50 ms':>10}{'p99 ms':>10}{'p99.9 ms':>10}"
        f"{'p50 ratio':>11}{'p99 ratio':>11}{'CPU us/rt':>11}{'CPU ratio':>11}",
    ]
    for name in names:
        s = block[name]
        ratio = block.get(f"{name}_ratio", {"p50": 1.0, "p99": 1.0, "cpu": 1.0})
        lines.append(
            f"  {name:<12}{s['p50']:>10.4f}{s['p99']:>10.4f}{s['p999']:>10.4f}"
            f"{ratio['p50']:>11.3f}{ratio['p99']:>11.3f}"
            f"{s['cpu_us_per_round_trip']:>11.1f}{ratio['cpu']:>11.3f}"
        )
    r = block["rtprobe_ratio"]
    ok = r["p50"] <= TARGET_P50_RATIO and r["p99"] <= TARGET_P99_RATIO
    lines.append(
        f"  rtprobe overhead {'within' if ok else 'OVER'} target "
        f"(p50 <= {TARGET_P50_RATIO}, p99 <= {TARGET_P99_RATIO})"
    )
    if "fal_client" in block:
        faster = block["rtprobe"]["p50"] < block["fal_client"]["p50"]
        lines.append(
            f"  rtprobe is {'faster' if faster else 'NOT faster'} than fal_client at p50"
            " (fal-client offers permessage-deflate, as it does against fal)"
        )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from server_mock.process import MockProcess

    with MockProcess() as base:
        # the loop `rtprobe run` uses (app.core.precise_loop), for both clients alike
        results = precise_loop.run(calibrate(base, args.count, args.rounds, args.warmup))
    report = {
        "results": results,
        "targets": {"p50_ratio": TARGET_P50_RATIO, "p99_ratio": TARGET_P99_RATIO},
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "websockets": websockets.__version__,
        },
    }
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return 0
