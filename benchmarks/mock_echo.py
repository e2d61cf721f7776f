"""Benchmark the mock realtime echo against a minimal `websockets` echo server.

Not a test: nothing here asserts on speed. Two measurements, each against the mock
(`python -m app mock`) and against a baseline (this file with `--baseline-server`, a bare
`websockets` server that unpacks, stamps and repacks msgpack), both in their own process
so client and server each get a core:

1. Closed-loop round trips on loopback, 64 B and 1 MiB payloads.
2. Capacity: how many concurrent realtime sessions, each sending 10 msg/s (64 B, open
   loop, fixed schedule, latency from the *intended* send time), the server holds before
   p99 passes 20 ms. The load comes from worker processes; their event-loop lag is
   measured so that a saturated load generator is reported instead of blamed on the server.

    .venv/bin/python benchmarks/mock_echo.py [--quick] [--json out.json]

Only 127.0.0.1 is used. Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import json
import math
import multiprocessing as mp
import os
import platform
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import websockets
from websockets.exceptions import ConnectionClosed

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MOCK_PATH = "/mock/echo/realtime"
CLK_TCK = os.sysconf("SC_CLK_TCK")
NS = 1_000_000_000
MS = 1_000_000

P99_LIMIT_MS = 20.0
RATE_HZ = 10.0
CLIENT_LAG_LIMIT_MS = 5.0  # client event-loop lag p99 above this: the load generator is saturated
RTT_ROUNDS = 2  # round-trip runs alternate baseline/mock this many times
NOISY_OTHER_CPU_PCT = 25.0  # other processes used this much CPU during a step: numbers are noisy
DRAIN_S = 1.0  # answers later than this after the last send count as lost
CONNECT_CONCURRENCY = 50


# -- small helpers -------------------------------------------------------------------
def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ns(values_ns: list[int]) -> dict[str, float]:
    """p50/p90/p99/p99.9/max/mean in ms of latencies given in ns."""
    s = sorted(values_ns)
    out = {"n": len(s)}
    for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("p99_9", 99.9)):
        out[f"{name}_ms"] = percentile(s, p) / MS
    out["max_ms"] = (s[-1] / MS) if s else math.nan
    out["mean_ms"] = (sum(s) / len(s) / MS) if s else math.nan
    return out


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a process, in seconds, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    fields = data[data.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine so far (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / CLK_TCK


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def fmt(x: float, digits: int = 3) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def json_clean(x: Any) -> Any:
    """NaN/inf become null, so the file is strict JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: json_clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_clean(v) for v in x]
    return x


def pack(seq: int, blob: bytes) -> bytes:
    return msgpack.packb({"seq": seq, "blob": blob}, use_bin_type=True)


# -- the baseline server: bare websockets, same msgpack work as the mock's echo -----------
async def _baseline_handler(ws: Any) -> None:
    try:
        async for message in ws:
            recv_ns = time.monotonic_ns()
            data = msgpack.unpackb(message, raw=False)
            data["server_recv_ns"] = recv_ns
            data["server_send_ns"] = time.monotonic_ns()
            await ws.send(msgpack.packb(data, use_bin_type=True))
    except ConnectionClosed:
        pass


async def _baseline_server_main() -> None:
    from websockets.asyncio.server import serve

    async with serve(
        _baseline_handler, HOST, 0, compression=None, max_size=None, ping_interval=None
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"listening on http://{HOST}:{port}", flush=True)
        await asyncio.Event().wait()


# -- server processes ------------------------------------------------------------------
class ServerProc:
    """A server subprocess we started; stopped by its own PID only."""

    def __init__(self, name: str, argv: list[str], ws_path: str) -> None:
        self.name = name
        self.argv = argv
        self.ws_path = ws_path
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        # lives as long as this object: read after the server stopped
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}{self.ws_path}"

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen(
            self.argv, cwd=REPO, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            line = self.proc.stdout.readline() if sel.select(timeout) else ""
        prefix = f"listening on http://{HOST}:"
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"{self.name} server did not start: {line!r} {self.stderr_tail()}")
        self.port = int(line.strip()[len(prefix) :])
        # keep draining stdout so the server can never block on a full pipe
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def stderr_tail(self, lines: int = 5) -> str:
        self._stderr.seek(0)
        return "".join(self._stderr.readlines()[-lines:]).strip()

    def stderr_lines(self) -> int:
        self._stderr.seek(0)
        return sum(1 for _ in self._stderr)

    def settle(self, max_s: float = 3.0) -> None:
        """Wait (bounded) until the server is idle, so one step's backlog spares the next."""
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            c0 = proc_cpu_s(self.pid)
            time.sleep(0.2)
            if proc_cpu_s(self.pid) - c0 < 0.02:
                return


# -- 1. closed-loop round trips ----------------------------------------------------------
@dataclass
class RttSamples:
    lat: list[int] = field(default_factory=list)
    elapsed_s: float = 0.0
    server_cpu_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = summarize_ns(self.lat)
        out["msgs_per_s"] = len(self.lat) / self.elapsed_s
        # /proc counts CPU in 10 ms ticks: with fewer than ~15 ticks the figure is noise
        coarse = self.server_cpu_s < 0.15
        out["server_cpu_pct"] = math.nan if coarse else 100 * self.server_cpu_s / self.elapsed_s
        out["server_cpu_us_per_msg"] = (
            math.nan if coarse else 1e6 * self.server_cpu_s / len(self.lat)
        )
        return out


async def rtt_run(server: ServerProc, size: int, count: int, warmup: int, into: RttSamples) -> None:
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
    keys = ("p50_ms", "p90_ms", "p99_ms", "p99_9_ms", "max_ms", "mean_ms")
    r = {k.removesuffix("_ms"): ratio(mock[k], base[k]) for k in keys}
    r["msgs_per_s"] = ratio(mock["msgs_per_s"], base["msgs_per_s"])
    r["server_cpu_per_msg"] = ratio(mock["server_cpu_us_per_msg"], base["server_cpu_us_per_msg"])
    return r


# -- 2. capacity: load-generator worker processes ----------------------------------------
@dataclass
class StepState:
    interval_ns: int
    t0: int = 0
    meas_start: int = 0
    t_stop: int = 0
    lat: list[int] = field(default_factory=list)
    late: list[int] = field(default_factory=list)
    lag: list[int] = field(default_factory=list)
    sent_total: int = 0
    sent_meas: int = 0
    recv_total: int = 0
    recv_meas: int = 0
    sending_done: bool = False
    closing: bool = False
    errors: dict[str, int] = field(default_factory=dict)
    drained: asyncio.Event = field(default_factory=asyncio.Event)

    def error(self, kind: str, n: int = 1) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + n


@dataclass
class Session:
    ws: Any
    offset_ns: int
    dead: bool = False


async def _receiver(sess: Session, st: StepState) -> None:
    try:
        async for message in sess.ws:
            now = time.monotonic_ns()
            if isinstance(message, str):  # x-fal-error / x-fal-message
                st.error("text_frames")
                continue
            seq = msgpack.unpackb(message, raw=False)["seq"]
            intended = st.t0 + seq * st.interval_ns + sess.offset_ns
            st.recv_total += 1
            if st.meas_start <= intended < st.t_stop:
                st.lat.append(now - intended)
                st.recv_meas += 1
            if st.sending_done and st.recv_total >= st.sent_total:
                st.drained.set()
    except ConnectionClosed:
        pass
    if not st.closing:
        sess.dead = True
        st.error("closed_by_server")


async def _sender(sessions: list[Session], st: StepState, blob: bytes) -> None:
    """One fixed schedule: session k sends seq j at t0 + j*interval + offset_k."""
    j = 0
    while True:
        for sess in sessions:  # sorted by offset, so due times only grow
            due = st.t0 + j * st.interval_ns + sess.offset_ns
            if due >= st.t_stop:
                return
            now = time.monotonic_ns()
            if due > now:
                await asyncio.sleep((due - now) / NS)
                now = time.monotonic_ns()
            if due >= st.meas_start:
                st.late.append(now - due)
            if sess.dead:
                st.error("send_on_closed")
                continue
            try:
                await sess.ws.send(pack(j, blob))
            except ConnectionClosed:
                sess.dead = True
                st.error("send_failed")
                continue
            st.sent_total += 1
            if due >= st.meas_start:
                st.sent_meas += 1
        j += 1


async def _lag_monitor(st: StepState, period_s: float = 0.01) -> None:
    while time.monotonic_ns() < st.t_stop:
        t = time.monotonic_ns()
        await asyncio.sleep(period_s)
        now = time.monotonic_ns()
        if now >= st.meas_start:
            st.lag.append(now - t - int(period_s * NS))


async def _connect(url: str, sem: asyncio.Semaphore) -> Any:
    async with sem:
        return await websockets.connect(
            url, compression=None, max_size=None, open_timeout=20, close_timeout=2
        )


async def _worker_step(conn: Any, cmd: dict[str, Any], wid: int) -> None:
    loop = asyncio.get_running_loop()
    n, workers = cmd["sessions"], cmd["workers"]
    interval_ns = int(NS / cmd["rate_hz"])
    st = StepState(interval_ns=interval_ns)
    ks = list(range(wid, n, workers))
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
    results = await asyncio.gather(*(_connect(cmd["url"], sem) for _ in ks), return_exceptions=True)
    sessions: list[Session] = []
    for k, r in zip(ks, results, strict=True):
        if isinstance(r, BaseException):
            st.error("connect_failed")
        else:
            sessions.append(Session(ws=r, offset_ns=k * interval_ns // n))
    receivers = [asyncio.create_task(_receiver(s, st)) for s in sessions]
    # The load generator must not stall on its own garbage collection mid-step (a full
    # collection over hundreds of connections takes tens of ms): collect now, then pause
    # the collector until the step's replies are in. Bounded: one step's garbage.
    gc.collect()
    gc.freeze()
    gc.disable()
    conn.send({"ready": len(sessions), "errors": dict(st.errors)})
    go = await loop.run_in_executor(None, conn.recv)
    st.t0, st.meas_start, st.t_stop = go["t0"], go["meas_start"], go["t_stop"]
    blob = b"\x00" * cmd["payload"]
    lag_task = asyncio.create_task(_lag_monitor(st))
    await _sender(sessions, st, blob)
    st.sending_done = True
    if st.recv_total >= st.sent_total:
        st.drained.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(st.drained.wait(), DRAIN_S)
    gc.enable()
    gc.unfreeze()
    lost = st.sent_total - st.recv_total
    if lost > 0:
        st.error("lost_or_later_than_drain", lost)
    await lag_task
    st.closing = True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(s.ws.close() for s in sessions), return_exceptions=True), 8
        )
    for t in receivers:
        t.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    late, lag = sorted(st.late), sorted(st.lag)
    conn.send(
        {
            "lat": st.lat,
            "sent_meas": st.sent_meas,
            "recv_meas": st.recv_meas,
            "errors": st.errors,
            "send_late_p99_ms": percentile(late, 99) / MS,
            "send_late_max_ms": (late[-1] / MS) if late else math.nan,
            "lag_p50_ms": percentile(lag, 50) / MS,
            "lag_p99_ms": percentile(lag, 99) / MS,
            "lag_max_ms": (lag[-1] / MS) if lag else math.nan,
        }
    )


async def _worker_loop(conn: Any, wid: int) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(1000):  # bounded: one command per step
        cmd = await loop.run_in_executor(None, conn.recv)
        if cmd.get("op") != "step":
            return
        await _worker_step(conn, cmd, wid)


def worker_main(conn: Any, wid: int) -> None:
    asyncio.run(_worker_loop(conn, wid))


class LoadGenerators:
    """Persistent worker processes (spawned), driven over pipes, one step at a time."""

    def __init__(self, workers: int) -> None:
        ctx = mp.get_context("spawn")
        self.conns = []
        self.procs = []
        for wid in range(workers):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker_main, args=(child, wid), daemon=True)
            p.start()
            self.conns.append(parent)
            self.procs.append(p)

    def _recv_all(self, timeout: float) -> list[Any]:
        out = []
        deadline = time.monotonic() + timeout
        for c in self.conns:
            if not c.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError("load generator did not answer")
            out.append(c.recv())
        return out

    def run_step(
        self, server: ServerProc, n: int, warmup_s: float, measure_s: float
    ) -> dict[str, Any]:
        server.settle()
        cmd = {
            "op": "step",
            "url": server.url,
            "sessions": n,
            "workers": len(self.conns),
            "rate_hz": RATE_HZ,
            "payload": 64,
        }
        t_connect = time.monotonic()
        for c in self.conns:
            c.send(cmd)
        ready = self._recv_all(timeout=120)
        connect_s = time.monotonic() - t_connect
        t0 = time.monotonic_ns() + 200 * MS
        meas_start = t0 + int(warmup_s * NS)
        t_stop = meas_start + int(measure_s * NS)
        for c in self.conns:
            c.send({"t0": t0, "meas_start": meas_start, "t_stop": t_stop})
        pids = [server.pid] + [p.pid for p in self.procs]
        time.sleep(max(0.0, (meas_start - time.monotonic_ns()) / NS))
        cpu0, busy0, w0 = [proc_cpu_s(p) for p in pids], machine_busy_s(), time.monotonic()
        time.sleep(max(0.0, (t_stop - time.monotonic_ns()) / NS))
        cpu1, busy1, w1 = [proc_cpu_s(p) for p in pids], machine_busy_s(), time.monotonic()
        results = self._recv_all(timeout=DRAIN_S + 30)
        dt = w1 - w0
        cpu_pct = [100 * (b - a) / dt for a, b in zip(cpu0, cpu1, strict=True)]
        errors: dict[str, int] = {}
        for r in ready + results:
            for k, v in r["errors"].items():
                errors[k] = errors.get(k, 0) + v
        lat = [x for r in results for x in r["lat"]]
        s = summarize_ns(lat)
        client_lag_p99 = max(r["lag_p99_ms"] for r in results)
        step = {
            "sessions": n,
            "connected": sum(r["ready"] for r in ready),
            "connect_s": connect_s,
            "target_msgs_per_s": n * RATE_HZ,
            "sent_msgs_per_s": sum(r["sent_meas"] for r in results) / measure_s,
            "msgs_per_s": sum(r["recv_meas"] for r in results) / measure_s,
            **{k: s[k] for k in ("n", "p50_ms", "p90_ms", "p99_ms", "p99_9_ms", "max_ms")},
            "errors": sum(errors.values()),
            "error_kinds": errors,
            "client_lag_p50_ms": max(r["lag_p50_ms"] for r in results),
            "client_lag_p99_ms": client_lag_p99,
            "client_lag_max_ms": max(r["lag_max_ms"] for r in results),
            "client_send_late_p99_ms": max(r["send_late_p99_ms"] for r in results),
            "server_cpu_pct": cpu_pct[0],
            "client_cpu_pct": cpu_pct[1:],
            "other_cpu_pct": 100 * (busy1 - busy0) / dt - sum(cpu_pct),
        }
        step["client_saturated"] = (
            client_lag_p99 > CLIENT_LAG_LIMIT_MS
            or step["client_send_late_p99_ms"] > CLIENT_LAG_LIMIT_MS
            or step["sent_msgs_per_s"] < 0.95 * step["target_msgs_per_s"]
        )
        reasons = []
        if step["errors"]:
            reasons.append("errors")
        if not s["p99_ms"] <= P99_LIMIT_MS:
            reasons.append(f"p99 > {P99_LIMIT_MS:g} ms")
        if step["client_saturated"]:
            reasons.append("client saturated")
        step["verdict"] = "ok" if not reasons else ", ".join(reasons)
        step["noisy"] = step["other_cpu_pct"] > NOISY_OTHER_CPU_PCT
        return step

    def close(self) -> None:
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.send({"op": "quit"})
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)


def capacity_sweep(
    gens: LoadGenerators,
    server: ServerProc,
    steps: list[int],
    warmup_s: float,
    measure_s: float,
    deadline: float,
) -> dict[str, Any]:
    print(f"\n  {server.name}: {server.url}", flush=True)
    print("  " + CAP_HEADER, flush=True)
    done: list[dict[str, Any]] = []
    stopped = "none, every step passed"
    for n in steps:
        if time.monotonic() > deadline:
            stopped = "time budget used up"
            break
        for attempt in (1, 2):  # a failure while others loaded the machine is repeated once
            step = gens.run_step(server, n, warmup_s, measure_s)
            step["attempt"] = attempt
            done.append(step)
            print("  " + cap_row(step), flush=True)
            if step["verdict"] == "ok" or not step["noisy"] or time.monotonic() > deadline:
                break
        if step["verdict"] != "ok":
            stopped = f"{n} sessions: {step['verdict']}"
            break
    passing = [s["sessions"] for s in done if s["verdict"] == "ok"]
    holds = max(passing) if passing else 0
    last = done[-1] if done else None
    client_limited = bool(last and last["client_saturated"])
    if last is None or last["verdict"] == "ok":
        bound = "a lower bound: every step passed"
    elif client_limited:
        bound = "a lower bound: the load generator saturated first"
    elif last["server_cpu_pct"] < 85:
        bound = (
            f"server-bound below {last['sessions']}, yet not CPU-saturated there: "
            "latency stalls, not throughput"
        )
    else:
        bound = f"server-bound below {last['sessions']}: CPU-saturated"
    return {
        "steps": done,
        "holds_sessions": holds,
        "server_cpu_pct_at_stop": last["server_cpu_pct"] if last else math.nan,
        "stopped_because": stopped,
        "client_limited": client_limited,
        "bound": bound,
    }


CAP_HEADER = (
    f"{'sessions':>8} {'sent/s':>7} {'recv/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'p99.9':>7} "
    f"{'max ms':>7} {'errors':>6} {'lag p99':>7} {'srv CPU':>7} {'cli CPU':>9} {'other':>5}"
    "  verdict"
)


def cap_row(s: dict[str, Any]) -> str:
    cli = "+".join(f"{c:.0f}" for c in s["client_cpu_pct"])
    return (
        f"{s['sessions']:>8} {s['sent_msgs_per_s']:>7.0f} {s['msgs_per_s']:>7.0f} "
        f"{fmt(s['p50_ms'], 2):>7} {fmt(s['p99_ms'], 2):>7} {fmt(s['p99_9_ms'], 2):>7} "
        f"{fmt(s['max_ms'], 1):>7} {s['errors']:>6} {fmt(s['client_lag_p99_ms'], 2):>7} "
        f"{s['server_cpu_pct']:>6.0f}% {cli:>8}% {max(0.0, s['other_cpu_pct']):>4.0f}%  "
        f"{s['verdict']}{' (noisy: other processes used the CPU)' if s['noisy'] else ''}"
    )


# -- report ----------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            n: version(n) for n in ("websockets", "uvicorn", "starlette", "msgpack", "rtprobe")
        },
        "loadavg_start": os.getloadavg(),
    }


def print_rtt(label: str, res: dict[str, Any]) -> None:
    print(f"\n  {label}")
    cols = ("p50", "p90", "p99", "p99_9", "max", "mean")
    head = "".join(f"{c.replace('_', '.'):>8}" for c in cols)
    print(f"  {'':<9}{'n':>6}{head}{'msgs/s':>9}{'srv CPU':>9}{'µs/msg':>8}")
    for name in ("baseline", "mock"):
        r = res[name]
        vals = "".join(f"{r[c + '_ms']:>8.3f}" for c in cols)
        print(
            f"  {name:<9}{r['n']:>6}{vals}{r['msgs_per_s']:>9.0f}"
            f"{fmt(r['server_cpu_pct'], 0):>8}%{fmt(r['server_cpu_us_per_msg'], 0):>8}"
        )
    q = res["ratio"]
    vals = "".join(f"{q[c]:>7.2f}x" for c in cols)
    print(
        f"  {'ratio':<9}{'':>6}{vals}{q['msgs_per_s']:>8.2f}x{'':>9}"
        f"{fmt(q['server_cpu_per_msg'], 2):>7}x"
    )


async def run_rtt(servers: dict[str, ServerProc], quick: bool, deadline: float) -> dict[str, Any]:
    div = 10 if quick else 1
    plans = {
        "64B": (64, 5000 // div, 200 // (4 if quick else 1)),
        "1MiB": (1 << 20, 500 // div, 50 // (2 if quick else 1)),
    }
    out: dict[str, Any] = {}
    for label, (size, count, warmup) in plans.items():
        if time.monotonic() > deadline:
            break
        res: dict[str, Any] = {
            "payload_bytes": size,
            "count": count,
            "warmup": warmup,
            "rounds": RTT_ROUNDS,
        }
        samples = {name: RttSamples() for name in ("baseline", "mock")}
        # alternate baseline/mock in rounds (a fresh connection each) so drift in machine
        # load or clock speed lands on both sides alike
        for _ in range(RTT_ROUNDS):
            for name, into in samples.items():
                await rtt_run(servers[name], size, count // RTT_ROUNDS, warmup, into)
        for name, into in samples.items():
            res[name] = into.summary()
        res["ratio"] = rtt_ratios(res["mock"], res["baseline"])
        out[label] = res
        print_rtt(
            f"{label} payload, {count} round trips ({RTT_ROUNDS} alternating rounds, "
            f"{warmup} warm-up each), ms:",
            res,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="~10x fewer samples, ~40 s")
    parser.add_argument("--json", metavar="FILE", help="write every number as JSON")
    parser.add_argument("--workers", type=int, default=2, help="load-generator processes")
    parser.add_argument("--steps", help="capacity steps, comma-separated session counts")
    parser.add_argument("--no-rtt", action="store_true", help="skip the round-trip part")
    parser.add_argument("--no-capacity", action="store_true", help="skip the capacity part")
    parser.add_argument("--baseline-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.baseline_server:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_baseline_server_main())
        return 0

    started = time.monotonic()
    deadline = started + (35 if args.quick else 200)  # no new phase or step after this
    if args.steps:
        steps = [int(x) for x in args.steps.split(",") if x.strip()]
    else:
        steps = [100, 300, 500, 800] if args.quick else [50, 100, 200, 300, 400, 600, 800, 1000]
    warmup_s, measure_s = (0.5, 1.5) if args.quick else (1.0, 5.0)

    report: dict[str, Any] = {"machine": machine_info(), "quick": args.quick}
    m = report["machine"]
    print(
        f"rtprobe mock echo benchmark  ({'quick' if args.quick else 'full'})  "
        f"cpus={m['cpus']} python={m['python']} "
        + " ".join(f"{k}={v}" for k, v in m["versions"].items() if v)
        + f"  load avg {m['loadavg_start'][0]:.2f}"
    )
    py = sys.executable
    servers = {
        "baseline": ServerProc(
            "baseline", [py, str(Path(__file__).resolve()), "--baseline-server"], MOCK_PATH
        ),
        "mock": ServerProc(
            "mock", [py, "-m", "app", "mock", "--port", "0", "--log-level", "warning"], MOCK_PATH
        ),
    }
    gens: LoadGenerators | None = None
    try:
        for s in servers.values():
            s.start()
        if not args.no_rtt:
            print(
                "\n1. Round trips, closed loop, one connection, loopback (client ≠ server process)"
            )
            report["rtt"] = asyncio.run(run_rtt(servers, args.quick, deadline))
        if not args.no_capacity:
            print(
                f"\n2. Capacity: sessions x {RATE_HZ:g} msg/s of 64 B, open loop, latency from the "
                f"intended send time; {warmup_s:g} s warm-up + {measure_s:g} s per step; "
                f"{args.workers} load-generator process(es); stop at p99 > {P99_LIMIT_MS:g} ms, "
                f"errors, or client lag/send lateness p99 > {CLIENT_LAG_LIMIT_MS:g} ms"
            )
            gens = LoadGenerators(args.workers)
            cap: dict[str, Any] = {
                "rate_hz": RATE_HZ,
                "payload_bytes": 64,
                "p99_limit_ms": P99_LIMIT_MS,
                "client_lag_limit_ms": CLIENT_LAG_LIMIT_MS,
                "warmup_s": warmup_s,
                "measure_s": measure_s,
                "workers": args.workers,
                "steps_planned": steps,
            }
            for name in ("baseline", "mock"):
                cap[name] = capacity_sweep(
                    gens, servers[name], steps, warmup_s, measure_s, deadline
                )
                servers[name].stop()  # its leftover backlog must not load the next sweep
            hb, hm = cap["baseline"]["holds_sessions"], cap["mock"]["holds_sessions"]
            cap["ratio_holds"] = ratio(hm, hb)
            report["capacity"] = cap
    finally:
        if gens is not None:
            gens.close()
        for s in servers.values():
            s.stop()

    report["machine"]["loadavg_end"] = os.getloadavg()
    report["elapsed_s"] = time.monotonic() - started
    report["server_stderr_lines"] = {n: s.stderr_lines() for n, s in servers.items()}

    print("\nSummary")
    for label, res in report.get("rtt", {}).items():
        q = res["ratio"]
        print(
            f"  RTT {label:>4}: mock p50 {res['mock']['p50_ms']:.3f} ms vs baseline "
            f"{res['baseline']['p50_ms']:.3f} ms -> p50 x{q['p50']:.2f}, p99 x{q['p99']:.2f}, "
            f"server CPU per msg x{fmt(q['server_cpu_per_msg'], 2)}"
        )
    if "capacity" in report:
        cap = report["capacity"]
        for name in ("mock", "baseline"):
            c = cap[name]
            print(
                f"  {name}: holds {c['holds_sessions']} sessions at {RATE_HZ:g} msg/s with "
                f"p99 ≤ {P99_LIMIT_MS:g} ms\n      ({c['bound']}; failed step: "
                f"{c['stopped_because']}; server CPU at the last step "
                f"{fmt(c['server_cpu_pct_at_stop'], 0)}%)"
            )
        print(f"  mock / baseline sessions held: {fmt(cap['ratio_holds'], 2)}")
    for n, lines in report["server_stderr_lines"].items():
        if lines:
            print(
                f"  note: the {n} server wrote {lines} stderr lines; "
                f"last: {servers[n].stderr_tail(2)}"
            )
    print(
        f"  elapsed {report['elapsed_s']:.0f} s, load avg "
        f"{report['machine']['loadavg_end'][0]:.2f} at the end"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(json_clean(report), indent=2, allow_nan=False) + "\n")
        print(f"  wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
