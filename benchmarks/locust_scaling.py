"""rtprobe on Locust: 1 and 2 worker processes at a fixed per-user rate, against `rtprobe
run` alone in the same run, all on the mock's WebSocket echo.

Each round runs U users per worker process, each user one session at R msg/s open loop
(so the offered load is U x R per worker), for D seconds, and reads the merged rtprobe
report: msg/s achieved, merged p50/p99, send lag p99 (the client's own lateness), and
each worker's CPU in the steady part of the round (from WARM_S after the start to
TAIL_S before the end, so imports and start-up are not counted). The capacity figure is
messages per CPU second of the load-generating processes (msg/s over their CPU share).
In a Locust round the steady part starts once the master's partial report shows every
user running (workers connect and spawn at their own pace on a loaded machine), so
waiting for workers is not counted as idle capacity. `--repeat N` runs the three rounds
N times, alternately, and reports the median ratios (each repetition's too).
Locust's harness (gevent, its stats, the request events) costs what its worker spends
above `rtprobe run` alone for the same messages; the goal is a ratio of at least 0.8.
A round that received nothing fails loudly (exit status 1).

On 2 cores the mock, the master and the workers share the machine: the offered load is
fixed, so 2 workers reach twice one's msg/s while the cores keep up, and their p99 and
send lag show it when they do not; `other_cpu_pct` says how busy the rest of the
machine was.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    CpuSampler,
    fmt,
    machine_info,
    parser,
    ratio,
    require_samples,
    run,
    write_json,
)
from server_mock.process import MockProcess

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "app" / "load" / "locustfile.py"
ROUTE = "/mock/echo/ws"
LIMIT_S = 120.0  # any one process of a round, beyond its duration
WARM_S = 3.0  # processes started, users spawned, sessions connected
TAIL_S = 1.0


def figures(report: dict[str, Any], cpu_pct: list[float], name: str) -> dict:
    """One round's row from its rtprobe JSON report and its load processes' steady CPU
    (% of a core each). NoSamples when the round received nothing."""
    received = int(report.get("received", 0))
    require_samples(name, received)
    duration = float(report["duration_s"])
    rate = received / duration if duration else 0.0
    cpu = sum(cpu_pct) / 100
    lag = report.get("send_lag_ms") or {}
    return {
        "round": name,
        "workers": len(cpu_pct),
        "sent": report["sent"],
        "received": received,
        "failed": report["sent"] - received,
        "msgs_per_s": round(rate, 1),
        "p50_ms": report["rtt_ms"]["p50"],
        "p99_ms": report["rtt_ms"]["p99"],
        "send_lag_p99_ms": lag.get("p99"),
        "worker_cpu_pct": [round(c, 1) for c in cpu_pct],
        "msgs_per_cpu_s": round(rate / cpu, 1) if cpu > 0 else float("nan"),
    }


def _steady(pids: list[int], duration: float, ready: Any = None) -> Any:
    """CPU usage of `pids` in the steady part of a round that has just started: from
    WARM_S after the start (or from when `ready()` turns true, bounded) to TAIL_S before
    the end."""
    sampler = CpuSampler(pids)
    started = time.monotonic()
    if ready is None:
        time.sleep(WARM_S)  # a benchmark's fixed measuring window, not a wait for a result
        left = duration - WARM_S - TAIL_S
    else:
        deadline = started + LIMIT_S
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError("the Locust round never had all its users running")
            time.sleep(0.1)  # polling the master's partial report, bounded above
        left = duration - 1.0 - TAIL_S  # -t counts from the test's start, ~1 s before
    before = sampler.mark()
    time.sleep(max(0.5, left))
    return CpuSampler.usage(before, sampler.mark())


def _all_running(report: Path, users: int) -> Any:
    def ready() -> bool:
        try:
            data = json.loads(report.read_text())
        except (OSError, ValueError):
            return False
        return bool(data.get("users") == users and data.get("received", 0) > 0)

    return ready


def _cpu_of(proc: subprocess.Popen[bytes], timeout_s: float) -> float:
    """Wait for `proc` (bounded) and return its user + system CPU seconds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.05)  # polling a child's exit, bounded by the deadline
    proc.kill()
    raise RuntimeError(f"{proc.args!r} did not end within {timeout_s:.0f} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("FAL_KEY", None)
    return env


def rtprobe_alone(url: str, users: int, rate: float, duration: float, out: Path) -> dict:
    report = out / "alone.json"
    cmd = [sys.executable, "-m", "app", "run", "ws", url, "--concurrency", str(users),
           "--rate", str(users * rate), "--duration", str(duration), "--quiet",
           "--json", str(report)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    usage = _steady([proc.pid], duration)
    _cpu_of(proc, duration + LIMIT_S)
    row = figures(json.loads(report.read_text()), list(usage.procs_pct), "rtprobe run alone")
    row["other_cpu_pct"] = round(usage.other_pct, 1)
    return row


def on_locust(url: str, workers: int, users: int, rate: float, duration: float, out: Path) -> dict:
    report = out / f"locust-{workers}.json"
    port = str(_free_port())
    locust = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]
    worker_cmd = [*locust, "--worker", "--master-host", "127.0.0.1", "--master-port", port]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": _env()}
    procs = [subprocess.Popen(worker_cmd, **quiet) for _ in range(workers)]  # type: ignore[call-overload]
    total = users * workers
    master_cmd = [*locust, "--master", "--master-bind-host", "127.0.0.1",
                  "--master-bind-port", port, "--expect-workers", str(workers),
                  "--headless", "--only-summary", "-u", str(total), "-r", str(total),
                  "-t", f"{duration:g}", "--transport", "ws", "--target", url,
                  "--rate", str(rate), "--report-json", str(report),
                  "--report-every", "0.5"]  # fmt: skip
    master = subprocess.Popen(master_cmd, **quiet)  # type: ignore[call-overload]
    try:
        pids = [*(p.pid for p in procs), master.pid]
        usage = _steady(pids, duration, _all_running(report, total))
        _cpu_of(master, duration + LIMIT_S)
        for p in procs:
            _cpu_of(p, LIMIT_S)
    finally:
        for p in (*procs, master):
            if p.poll() is None:
                p.kill()
    *worker_pct, master_pct = usage.procs_pct
    row = figures(json.loads(report.read_text()), worker_pct, f"Locust, {workers} worker(s)")
    row["master_cpu_pct"] = round(master_pct, 1)
    row["other_cpu_pct"] = round(usage.other_pct, 1)
    return row


HEADER = (
    f"  {'round':<22}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'lag p99':>9}"
    f"{'msg/CPU s':>11}  worker CPU %"
)


def line(r: dict) -> str:
    return (
        f"  {r['round']:<22}{r['msgs_per_s']:>9.1f}{fmt(r['p50_ms']):>9}{fmt(r['p99_ms']):>9}"
        f"{fmt(r['send_lag_p99_ms']):>9}{r['msgs_per_cpu_s']:>11.1f}  "
        + " ".join(f"{c:.0f}" for c in r["worker_cpu_pct"])
    )


def main() -> int:
    p = parser(__doc__ or "")
    p.add_argument("--users", type=int, default=10, help="users per worker process (10)")
    p.add_argument("--rate", type=float, default=100.0, help="msg/s per user (100)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per round (10, >= 6)")
    p.add_argument("--repeat", type=int, default=1, help="alternate the three rounds N times")
    args = p.parse_args()
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.duration < WARM_S + TAIL_S + 2:
        p.error(f"--duration must be at least {WARM_S + TAIL_S + 2:g} s")
    info = machine_info(["locust", "gevent", "websockets"])
    print(f"{args.users} users per worker at {args.rate:g} msg/s each, {args.duration:g} s")
    rows: list[dict] = []
    capacities, scalings = [], []
    with MockProcess() as base, tempfile.TemporaryDirectory() as tmp:
        url = base.replace("http://", "ws://") + ROUTE
        print(HEADER, flush=True)
        for _ in range(args.repeat):
            trio = []
            for one in (
                lambda: rtprobe_alone(url, args.users, args.rate, args.duration, Path(tmp)),
                lambda: on_locust(url, 1, args.users, args.rate, args.duration, Path(tmp)),
                lambda: on_locust(url, 2, args.users, args.rate, args.duration, Path(tmp)),
            ):
                trio.append(one())
                print(line(trio[-1]), flush=True)
            alone, one_worker, two = trio
            capacities.append(ratio(one_worker["msgs_per_cpu_s"], alone["msgs_per_cpu_s"]))
            scalings.append(ratio(two["msgs_per_s"], one_worker["msgs_per_s"]))
            rows += trio
    capacity, scaling = statistics.median(capacities), statistics.median(scalings)
    each = ", ".join(f"x{fmt(c, 2)}" for c in capacities)
    print(f"  per-worker capacity in Locust vs rtprobe run alone: x{fmt(capacity, 2)} "
          f"(median of {each}; goal 0.8)")  # fmt: skip
    print(f"  2 workers vs 1: x{fmt(scaling, 2)} msg/s")
    if args.json_out:
        write_json(
            args.json_out,
            {
                "machine": info,
                "users_per_worker": args.users,
                "rate_per_user": args.rate,
                "duration_s": args.duration,
                "rounds": rows,
                "capacity_ratio": capacity,
                "capacity_ratios": capacities,
                "scaling_2_vs_1": scaling,
                "scaling_ratios": scalings,
                "loadavg_end": os.getloadavg(),
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
