"""When is the measuring side, not the server, the bottleneck? One rule, one line.

An open-loop client that cannot keep up queues its own sends and its replies'
processing behind a busy loop; every round trip then includes that wait, and reading
it as server latency is wrong. The loop-lag probe measures that wait directly (a
10 ms sleeper woken late by the same queue every message waits in), so the rule reads
it first, and the loop thread's CPU as the cause:

- loop lag p99 at least `LAG_P99_MS` (20 ms) and at least `LAG_SHARE_OF_RTT` (a
  quarter) of the round-trip p99, over a run of at least `MIN_LAG_WALL_S`: the client's own
  stalls are a real part of the tail it reports; or
- the loop's thread at `LOOP_CPU_PCT` (95 %) of one core or more, over a run of at
  least `MIN_WALL_S`: no headroom left, the queue grows with any burst.

A loop that lags while its thread uses little CPU was starved by the machine (other
processes); it is still the client's queueing, and the line says which it was.

Why these numbers (docs/health.md): on 2 cores, 50 sessions to the mock echo held
5,000 msg/s with round-trip p99 6.8 ms and send lag p99 2 ms, so a healthy loop
lags a few ms at p99; at 10,000 msg/s round trips reached p99 112 ms with the client
at a full core. 20 ms sits well above the first and well below the second, and the
share of the RTT p99 keeps a slow server (p99 in seconds) from being blamed on a
client that lagged 20 ms once in a hundred wakes.
"""

from __future__ import annotations

from app.core.health.figures import ClientHealth, ServerHealth

LAG_P99_MS = 20.0
LAG_SHARE_OF_RTT = 0.25
MIN_WAKES = 5  # a saturated loop wakes seldom: few wakes, each late, are the evidence
MIN_LAG_WALL_S = 0.5  # a shorter run is not judged on its lag
LOOP_CPU_PCT = 95.0
MIN_WALL_S = 1.0
SERVER_LAG_P99_MS = 20.0
SERVER_CPU_PCT = 95.0


def client_reason(h: ClientHealth, rtt_p99_ms: float) -> str:
    """Why the client counts as saturated ("" when it does not)."""
    lag = h.loop_lag_p99_ms
    busy = h.wall_s >= MIN_WALL_S and h.loop_cpu >= LOOP_CPU_PCT
    lagging = (
        h.loop_lag_wakes >= MIN_WAKES
        and h.wall_s >= MIN_LAG_WALL_S
        and lag >= LAG_P99_MS
        and (rtt_p99_ms <= 0 or lag >= LAG_SHARE_OF_RTT * rtt_p99_ms)
    )
    if not (busy or lagging):
        return ""
    why = f"event-loop lag p99 {lag:.1f} ms"
    if busy:
        return f"{why}, loop thread at {h.loop_cpu:.0f} % of a core"
    if h.loop_cpu < 50:
        return (
            f"{why} with the loop thread at only {h.loop_cpu:.0f} % of a core "
            "(starved of CPU by other processes)"
        )
    return why


def client_line(reason: str) -> str:
    return f"client saturated: {reason}; figures above include the client's own queueing"


def server_reason(h: ServerHealth) -> str:
    if h.loop_lag_p99_ms >= SERVER_LAG_P99_MS:
        why = f"its event-loop lag p99 {h.loop_lag_p99_ms:.1f} ms"
        if h.cpu < 50:
            why += f" with its loop at only {h.cpu:.0f} % of a core (starved of CPU)"
        return why
    if h.cpu >= SERVER_CPU_PCT:
        return f"its loop at {h.cpu:.0f} % of a core (lag p99 {h.loop_lag_p99_ms:.1f} ms)"
    return ""


def server_line(reason: str) -> str:
    return f"server (mock) saturated: {reason}; round trips include the mock's own queueing"
