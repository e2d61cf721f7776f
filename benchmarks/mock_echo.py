"""Benchmark the mock realtime echo against a minimal `websockets` echo server.

Not a test: nothing here asserts on speed. Two measurements, each against the mock
(`python -m app mock`) and against a baseline (`echo_baseline.py`, a bare `websockets`
server that unpacks, stamps and repacks msgpack), both in their own process so client
and server each get a core:

1. Closed-loop round trips on loopback, 64 B and 1 MiB payloads (`echo_rtt.py`).
2. Capacity: how many concurrent realtime sessions, each sending 10 msg/s (64 B, open
   loop, fixed schedule, latency from the *intended* send time), the server holds before
   p99 passes 20 ms (`echo_capacity.py`). The load comes from worker processes
   (`echo_load.py`); their event-loop lag is measured so that a saturated load generator
   is reported instead of blamed on the server.

    .venv/bin/python benchmarks/mock_echo.py [--quick] [--json out.json]

Only 127.0.0.1 is used. Every loop is bounded in count and time. A round or step that
measured no samples ends the run with exit status 1 and an `error:` line.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import common  # noqa: E402
from benchmarks.common import Server, fmt, ratio  # noqa: E402
from benchmarks.echo_capacity import (  # noqa: E402
    CLIENT_LAG_LIMIT_MS,
    P99_LIMIT_MS,
    PAYLOAD,
    RATE_HZ,
    capacity_sweep,
)
from benchmarks.echo_load import LoadGenerators  # noqa: E402
from benchmarks.echo_rtt import plans, run_rtt  # noqa: E402
from server_mock.process import MockProcess  # noqa: E402

MOCK_PATH = "/mock/echo/realtime"
BASELINE = Path(__file__).resolve().parent / "echo_baseline.py"
PACKAGES = ("websockets", "uvicorn", "starlette", "msgpack", "rtprobe")


def servers() -> dict[str, Server]:
    """Both servers on 127.0.0.1, port 0, each in its own process (not yet started)."""
    baseline = MockProcess(command=[sys.executable, str(BASELINE)])
    return {
        "baseline": Server("baseline", baseline, MOCK_PATH),
        "mock": Server("mock", MockProcess(), MOCK_PATH),
    }


def parse_args(argv: list[str] | None) -> Any:
    parser = common.parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="~10x fewer samples, ~40 s")
    parser.add_argument("--workers", type=int, default=2, help="load-generator processes")
    parser.add_argument("--steps", help="capacity steps, comma-separated session counts")
    parser.add_argument("--no-rtt", action="store_true", help="skip the round-trip part")
    parser.add_argument("--no-capacity", action="store_true", help="skip the capacity part")
    parser.add_argument(
        "--rtt-count", type=int, metavar="N", help="measured round trips per payload"
    )
    parser.add_argument(
        "--step-seconds",
        metavar="WARMUP,MEASURE",
        help="seconds of warm-up and of measurement per capacity step (default 1,5)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    deadline = started + (35 if args.quick else 200)  # no new phase or step after this
    if args.steps:
        steps = [int(x) for x in args.steps.split(",") if x.strip()]
    else:
        steps = [100, 300, 500, 800] if args.quick else [50, 100, 200, 300, 400, 600, 800, 1000]
    warmup_s, measure_s = (0.5, 1.5) if args.quick else (1.0, 5.0)
    if args.step_seconds:
        warmup_s, measure_s = (float(x) for x in args.step_seconds.split(","))

    report: dict[str, Any] = {"machine": common.machine_info(PACKAGES), "quick": args.quick}
    m = report["machine"]
    print(
        f"rtprobe mock echo benchmark  ({'quick' if args.quick else 'full'})  "
        f"cpus={m['cpus']} python={m['python']} "
        + " ".join(f"{k}={v}" for k, v in m["versions"].items() if v)
        + f"  load avg {m['loadavg_start'][0]:.2f}"
    )
    running = servers()
    gens: LoadGenerators | None = None
    try:
        for s in running.values():
            s.process.start()
        if not args.no_rtt:
            print(
                "\n1. Round trips, closed loop, one connection, loopback (client ≠ server process)"
            )
            plan = plans(args.quick, args.rtt_count)
            report["rtt"] = asyncio.run(run_rtt(running, plan, deadline))
        if not args.no_capacity:
            print(
                f"\n2. Capacity: sessions x {RATE_HZ:g} msg/s of {PAYLOAD} B, open loop, latency "
                f"from the intended send time; {warmup_s:g} s warm-up + {measure_s:g} s per "
                f"step; {args.workers} load-generator process(es); stop at p99 > "
                f"{P99_LIMIT_MS:g} ms, errors, or client lag/send lateness p99 > "
                f"{CLIENT_LAG_LIMIT_MS:g} ms"
            )
            gens = LoadGenerators(args.workers)
            cap: dict[str, Any] = {
                "rate_hz": RATE_HZ,
                "payload_bytes": PAYLOAD,
                "p99_limit_ms": P99_LIMIT_MS,
                "client_lag_limit_ms": CLIENT_LAG_LIMIT_MS,
                "warmup_s": warmup_s,
                "measure_s": measure_s,
                "workers": args.workers,
                "steps_planned": steps,
            }
            for name in ("baseline", "mock"):
                cap[name] = capacity_sweep(
                    gens, running[name], steps, warmup_s, measure_s, deadline
                )
                running[name].process.stop()  # its leftover backlog must not load the next sweep
            hb, hm = cap["baseline"]["holds_sessions"], cap["mock"]["holds_sessions"]
            cap["ratio_holds"] = ratio(hm, hb)
            report["capacity"] = cap
    finally:
        if gens is not None:
            gens.close()
        for s in running.values():
            s.process.stop()

    report["machine"]["loadavg_end"] = os.getloadavg()
    report["elapsed_s"] = time.monotonic() - started
    report["server_stderr_lines"] = {n: s.process.stderr_lines for n, s in running.items()}
    print_summary(report, running)
    if args.json_out:
        common.write_json(args.json_out, report)
        print(f"  wrote {args.json_out}")
    return 0


def print_summary(report: dict[str, Any], running: dict[str, Server]) -> None:
    print("\nSummary")
    for label, res in report.get("rtt", {}).items():
        q = res["ratio"]
        print(
            f"  RTT {label:>4}: mock p50 {res['mock']['p50_ms']:.3f} ms vs baseline "
            f"{res['baseline']['p50_ms']:.3f} ms -> "
            + common.ratio_line(
                "mock/baseline",
                {"p50": q["p50"], "p99": q["p99"], "server CPU per msg": q["server_cpu_per_msg"]},
            )
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
            last = " | ".join(list(running[n].process.stderr_tail)[-2:])
            print(f"  note: the {n} server wrote {lines} stderr lines; last: {last}")
    print(
        f"  elapsed {report['elapsed_s']:.0f} s, load avg "
        f"{report['machine']['loadavg_end'][0]:.2f} at the end"
    )


if __name__ == "__main__":
    raise SystemExit(common.run(main))
