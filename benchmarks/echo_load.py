"""`mock_echo.py`, part 2a: the load generators of the capacity sweep.

Worker processes (spawned, so each has its own GIL and core) open their share of the
sessions and send on one fixed, open-loop schedule: session k sends seq j at
`t0 + j * interval + offset_k`. A reply's latency is measured from that *intended* send
time (coordinated-omission corrected) and matched by `seq`. Each worker also measures
its own event-loop lag and send lateness, so a saturated load generator can be told
apart from a slow server. The parent drives the workers over pipes, one step at a time,
and samples the CPU of the server, of each worker and of the rest of the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import multiprocessing as mp
import time
from dataclasses import dataclass, field
from typing import Any

import msgpack
import websockets
from websockets.exceptions import ConnectionClosed

from benchmarks.common import MS, NS, CpuSampler, Server, percentile_ms, settle
from benchmarks.echo_rtt import pack

DRAIN_S = 1.0  # answers later than this after the last send count as lost
CONNECT_CONCURRENCY = 50


# -- inside a worker process -----------------------------------------------------------
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
                await asyncio.sleep((due - now) / NS)  # the schedule itself
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
        await asyncio.sleep(period_s)  # how late this wakes up is the loop's lag
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
    conn.send(
        {
            "lat": st.lat,
            "sent_meas": st.sent_meas,
            "recv_meas": st.recv_meas,
            "errors": st.errors,
            "send_late_p99_ms": percentile_ms(st.late, 99),
            "send_late_max_ms": (max(st.late) / MS) if st.late else math.nan,
            "lag_p50_ms": percentile_ms(st.lag, 50),
            "lag_p99_ms": percentile_ms(st.lag, 99),
            "lag_max_ms": (max(st.lag) / MS) if st.lag else math.nan,
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
    from app.core import lifeline

    # ends with the benchmark (Linux), even mid-step; elsewhere the pipe's end does it
    lifeline.parent_death_signal()
    asyncio.run(_worker_loop(conn, wid))


# -- in the parent ---------------------------------------------------------------------
@dataclass(frozen=True)
class StepPlan:
    sessions: int
    rate_hz: float
    payload: int
    warmup_s: float
    measure_s: float


class LoadGenerators:
    """Persistent worker processes (spawned), driven over pipes, one step at a time."""

    def __init__(self, workers: int) -> None:
        ctx = mp.get_context("spawn")
        self.conns: list[Any] = []
        self.procs: list[Any] = []
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

    def run_step(self, server: Server, plan: StepPlan) -> dict[str, Any]:
        """One step: connect, send on schedule, collect. Raw figures; no verdict."""
        settle(server.pid)
        cmd = {
            "op": "step",
            "url": server.url,
            "sessions": plan.sessions,
            "workers": len(self.conns),
            "rate_hz": plan.rate_hz,
            "payload": plan.payload,
        }
        t_connect = time.monotonic()
        for c in self.conns:
            c.send(cmd)
        ready = self._recv_all(timeout=120)
        connect_s = time.monotonic() - t_connect
        t0 = time.monotonic_ns() + 200 * MS
        meas_start = t0 + int(plan.warmup_s * NS)
        t_stop = meas_start + int(plan.measure_s * NS)
        for c in self.conns:
            c.send({"t0": t0, "meas_start": meas_start, "t_stop": t_stop})
        cpu = CpuSampler([server.pid] + [p.pid for p in self.procs])
        time.sleep(max(0.0, (meas_start - time.monotonic_ns()) / NS))  # until the window
        a = cpu.mark()
        time.sleep(max(0.0, (t_stop - time.monotonic_ns()) / NS))
        b = cpu.mark()
        results = self._recv_all(timeout=DRAIN_S + 30)
        usage = CpuSampler.usage(a, b)
        errors: dict[str, int] = {}
        for r in ready + results:
            for k, v in r["errors"].items():
                errors[k] = errors.get(k, 0) + v
        return {
            "sessions": plan.sessions,
            "connected": sum(r["ready"] for r in ready),
            "connect_s": connect_s,
            "target_msgs_per_s": plan.sessions * plan.rate_hz,
            "sent_msgs_per_s": sum(r["sent_meas"] for r in results) / plan.measure_s,
            "msgs_per_s": sum(r["recv_meas"] for r in results) / plan.measure_s,
            "lat": [x for r in results for x in r["lat"]],
            "errors": sum(errors.values()),
            "error_kinds": errors,
            "client_lag_p50_ms": max(r["lag_p50_ms"] for r in results),
            "client_lag_p99_ms": max(r["lag_p99_ms"] for r in results),
            "client_lag_max_ms": max(r["lag_max_ms"] for r in results),
            "client_send_late_p99_ms": max(r["send_late_p99_ms"] for r in results),
            "server_cpu_pct": usage.procs_pct[0],
            "client_cpu_pct": list(usage.procs_pct[1:]),
            "other_cpu_pct": usage.other_pct,
        }

    def close(self) -> None:
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.send({"op": "quit"})
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
