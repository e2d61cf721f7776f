"""Reading the mock's `/health` around a run: once before (which starts its loop-lag
probe) and once after, over the run's window, as the summary's `ServerHealth`.

Only for the mock rtprobe started itself (`--mock`): another server's `/health`, if it
has one, says nothing this code could read, and is never asked.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import httpx

from app.core.health.figures import ServerHealth
from app.core.health.saturation import server_line, server_reason
from app.core.report.model import Summary

TIMEOUT_S = 2.0


def server_health(body: Any) -> ServerHealth | None:
    """The mock's `/health` JSON as ServerHealth; None when it has no loop figures."""
    if not isinstance(body, dict) or not isinstance(body.get("loop_lag_ms"), dict):
        return None
    lag = body["loop_lag_ms"]
    try:
        h = ServerHealth(
            window_s=float(body.get("window_s", 0.0)),
            loop_lag_p50_ms=float(lag["p50"]),
            loop_lag_p99_ms=float(lag["p99"]),
            loop_lag_max_ms=float(lag["max"]),
            cpu=float(body.get("cpu_pct", 0.0)),
        )
    except (KeyError, TypeError, ValueError):
        return None
    reason = server_reason(h)
    return replace(h, saturated=True, verdict=server_line(reason)) if reason else h


class MockWatch:
    """`await start()` before the run, `await attach(summary)` after it; both do nothing
    without a mock (`base_url` None) and never fail the run (a reading that cannot be
    had is left out)."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self._began = time.monotonic()

    async def _get(self, window_s: float | None) -> Any:
        assert self.base_url is not None
        params = {} if window_s is None else {"window": f"{window_s:.3f}"}
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            response = await client.get(self.base_url.rstrip("/") + "/health", params=params)
            return response.json()

    async def start(self) -> None:
        self._began = time.monotonic()
        if self.base_url is not None:
            try:
                await self._get(None)
            except (httpx.HTTPError, ValueError):
                self.base_url = None

    async def attach(self, summary: Summary) -> Summary:
        if self.base_url is None:
            return summary
        try:
            body = await self._get(max(0.5, time.monotonic() - self._began))
        except (httpx.HTTPError, ValueError):
            return summary
        reading = server_health(body)
        return summary if reading is None else replace(summary, server_health=reading)
