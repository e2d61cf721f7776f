"""`mock_echo.py`, part 2b: the capacity sweep, each step's verdict and its table row.

N sessions, each sending 64 B at 10 msg/s, step through growing N until a step fails:
p99 above 20 ms, any error, or a saturated load generator (its own loop lag or send
lateness p99 above 5 ms, or fewer than 95 % of the planned sends). A step that fails
while other processes used more than a quarter of a core ("noisy") is run once more.
"""

from __future__ import annotations

import math
import time
from typing import Any

from benchmarks.common import Server, fmt, latency_summary, summary_fields
from benchmarks.echo_load import LoadGenerators, StepPlan

P99_LIMIT_MS = 20.0
RATE_HZ = 10.0
PAYLOAD = 64
CLIENT_LAG_LIMIT_MS = 5.0  # client event-loop lag p99 above this: the load generator is saturated
NOISY_OTHER_CPU_PCT = 25.0  # other processes used this much CPU during a step: numbers are noisy


def judge(raw: dict[str, Any], round_name: str) -> dict[str, Any]:
    """A step's raw figures plus its percentiles, verdict and noise flag.
    A step without a single reply raises `NoSamples`: the server measured nothing."""
    step = {k: v for k, v in raw.items() if k != "lat"}
    s = summary_fields(latency_summary(raw["lat"], round_name))
    step.update({k: s[k] for k in ("n", "p50_ms", "p90_ms", "p99_ms", "p99_9_ms", "max_ms")})
    step["client_saturated"] = (
        step["client_lag_p99_ms"] > CLIENT_LAG_LIMIT_MS
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


def capacity_sweep(
    gens: LoadGenerators,
    server: Server,
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
        plan = StepPlan(n, RATE_HZ, PAYLOAD, warmup_s, measure_s)
        for attempt in (1, 2):  # a failure while others loaded the machine is repeated once
            step = judge(gens.run_step(server, plan), f"capacity, {server.name}, {n} sessions")
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
