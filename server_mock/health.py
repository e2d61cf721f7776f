"""The mock's own health for `/health`: how late its event loop wakes a 10 ms sleeper
and how much of a core its loop thread uses, over a recent window.

The probe starts with the first `/health` request (the mock's server runs without
lifespan events), so a client that wants figures for its run reads `/health` once
before and once after, the second time with `?window=S` (the run's length, at most
60 s: what the probe's ring holds).
"""

from __future__ import annotations

import math

from starlette.requests import Request

from app.core.health.loop_lag import LoopLagProbe

DEFAULT_WINDOW_S = 10.0
MAX_WINDOW_S = 60.0


def _window(request: Request) -> float:
    try:
        seconds = float(request.query_params.get("window", DEFAULT_WINDOW_S))
    except ValueError:
        return DEFAULT_WINDOW_S
    if not math.isfinite(seconds) or seconds <= 0:
        return DEFAULT_WINDOW_S
    return min(seconds, MAX_WINDOW_S)


def loop_health(request: Request) -> dict[str, object]:
    """The `/health` keys this module adds: `loop_lag_ms` (p50/p99/max) and `cpu_pct`
    (the loop thread, percent of one core) over `window_s`; zeros at the first read."""
    state = request.app.state
    probe = getattr(state, "loop_probe", None)
    if probe is None or not probe.running:
        probe = state.loop_probe = LoopLagProbe()
        probe.start()
    w = probe.window(_window(request))
    return {
        "loop_lag_ms": {"p50": w["p50"], "p99": w["p99"], "max": w["max"]},
        "cpu_pct": w["cpu"],
        "window_s": w["window_s"],
        "wakes": int(w["wakes"]),
    }
