"""`mock_echo.py`, part 1: closed-loop round trips on one connection, mock vs baseline.

One connection (`websockets.connect(url, compression=None, max_size=None)`) sends a
msgpack map `{"seq": i, "blob": bytes}` and waits for its echo before the next. Rounds
alternate baseline and mock (a fresh connection each), so drift in machine load or clock
speed lands on both alike. The client's garbage collector is paused during the measured
loop: its pauses are not the server's latency.
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import msgpack
import websockets

from benchmarks.common import (
    NS,
    Server,
    fmt,
    latency_summary,
    proc_cpu_s,
    ratio,
    summary_fields,
)

ROUNDS = 2  # round-trip runs alternate baseline/mock this many times
COLUMNS = ("p50", "p90", "p99", "p99_9", "max", "mean")


def pack(seq: int, blob: bytes) -> bytes:
    return msgpack.packb({"seq": seq, "blob": blob}, use_bin_type=True)


@dataclass
class RttSamples:
    """Round trips of one server over all its rounds, and the server CPU they cost."""

    lat: list[int] = field(default_factory=list)
    elapsed_s: float = 0.0
    server_cpu_s: float = 0.0

    def summary(self, round_name: str) -> dict[str, Any]:
        out: dict[str, Any] = summary_fields(latency_summary(self.lat, round_name))
        out["msgs_per_s"] = len(self.lat) / self.elapsed_s
        # /proc counts CPU in 10 ms ticks: with fewer than ~15 ticks the figure is noise
        coarse = self.server_cpu_s < 0.15
        out["server_cpu_pct"] = math.nan if coarse else 100 * self.server_cpu_s / self.elapsed_s
        out["server_cpu_us_per_msg"] = (
            math.nan if coarse else 1e6 * self.server_cpu_s / len(self.lat)
        )
        return out


async def rtt_run(server: Server, size: int, count: int, warmup: int, into: RttSamples) -> None:
    """One connection: `warmup` round trips, then `count` measured ones added to `into`."""
    blob = os.urandom(size)
    lat = into.lat
    async with websockets.connect(server.url, compression=None, max_size=None) as ws:
        async with asyncio.timeout(120):
            for i in range(warmup):
                await ws.send(pack(i, blob))
                await ws.recv()
            gc.collect()
            gc.disable()  # the client's own GC pauses are not the server's latency
            try:
                cpu0, t_start = proc_cpu_s(server.pid), time.perf_counter_ns()
                for i in range(count):
                    t0 = time.perf_counter_ns()
                    await ws.send(pack(warmup + i, blob))
                    reply = await ws.recv()
                    t1 = time.perf_counter_ns()
                    if msgpack.unpackb(reply, raw=False)["seq"] != warmup + i:
                        raise RuntimeError(f"{server.name}: reply out of order at {i}")
                    lat.append(t1 - t0)
                into.elapsed_s += (time.perf_counter_ns() - t_start) / NS
                into.server_cpu_s += proc_cpu_s(server.pid) - cpu0
            finally:
                gc.enable()


def rtt_ratios(mock: dict[str, Any], base: dict[str, Any]) -> dict[str, float]:
    r = {c: ratio(mock[f"{c}_ms"], base[f"{c}_ms"]) for c in COLUMNS}
    r["msgs_per_s"] = ratio(mock["msgs_per_s"], base["msgs_per_s"])
    r["server_cpu_per_msg"] = ratio(mock["server_cpu_us_per_msg"], base["server_cpu_us_per_msg"])
    return r


def print_rtt(label: str, res: dict[str, Any]) -> None:
    print(f"\n  {label}")
    head = "".join(f"{c.replace('_', '.'):>8}" for c in COLUMNS)
    print(f"  {'':<9}{'n':>6}{head}{'msgs/s':>9}{'srv CPU':>9}{'µs/msg':>8}")
    for name in ("baseline", "mock"):
        r = res[name]
        vals = "".join(f"{r[c + '_ms']:>8.3f}" for c in COLUMNS)
        print(
            f"  {name:<9}{r['n']:>6}{vals}{r['msgs_per_s']:>9.0f}"
            f"{fmt(r['server_cpu_pct'], 0):>8}%{fmt(r['server_cpu_us_per_msg'], 0):>8}"
        )
    q = res["ratio"]
    vals = "".join(f"{fmt(q[c], 2):>7}x" for c in COLUMNS)
    print(
        f"  {'ratio':<9}{'':>6}{vals}{fmt(q['msgs_per_s'], 2):>8}x{'':>9}"
        f"{fmt(q['server_cpu_per_msg'], 2):>7}x"
    )


def plans(quick: bool, count: int | None = None) -> dict[str, tuple[int, int, int]]:
    """label -> (payload bytes, measured round trips, warm-up per round); `count` sets the
    round trips of both payloads (a smoke run, or zero to see a round without samples)."""
    div = 10 if quick else 1
    plan = {
        "64B": (64, 5000 // div, 200 // (4 if quick else 1)),
        "1MiB": (1 << 20, 500 // div, 50 // (2 if quick else 1)),
    }
    if count is not None:
        plan = {k: (size, count, min(warmup, count)) for k, (size, _, warmup) in plan.items()}
    return plan


async def run_rtt(
    servers: dict[str, Server], plan: dict[str, tuple[int, int, int]], deadline: float
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, (size, count, warmup) in plan.items():
        if time.monotonic() > deadline:
            break
        res: dict[str, Any] = {
            "payload_bytes": size,
            "count": count,
            "warmup": warmup,
            "rounds": ROUNDS,
        }
        samples = {name: RttSamples() for name in ("baseline", "mock")}
        for _ in range(ROUNDS):
            for name, into in samples.items():
                await rtt_run(servers[name], size, count // ROUNDS, warmup, into)
        for name, into in samples.items():
            res[name] = into.summary(f"round trips, {label}, {name}")
        res["ratio"] = rtt_ratios(res["mock"], res["baseline"])
        out[label] = res
        print_rtt(
            f"{label} payload, {count} round trips ({ROUNDS} alternating rounds, "
            f"{warmup} warm-up each), ms:",
            res,
        )
    return out
