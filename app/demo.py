"""The headless demo: what `rtprobe` does when there is no display.

Starts the embedded mock server (in its own process, as `rtprobe run --mock` does) and
runs a short test of the realtime, raw WebSocket and SSE transports through the same
engine the app uses, printing what it measured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.core.engine.build import RunSettings, build_config
from app.core.engine.run import run_collect
from app.core.report.fmt import fmt_ms
from app.core.report.model import Summary
from app.core.sessions import registry
from server_mock.process import MockProcess

TESTS = (
    ("realtime mock/echo (64 B)", "realtime", "mock/echo", {"payload": "x" * 64}, 1),
    ("raw WebSocket mock/echo/ws", "ws", "mock/echo/ws", {"hello": "websocket"}, 1),
    (
        "SSE mock/diffusion/stream",
        "sse",
        "mock/diffusion",
        {"steps": 4, "step_ms": 5, "width": 64, "height": 64},
        40,
    ),
)


def _row(name: str, summary: Summary, extra: str = "") -> str:
    # SSE: one message is one stream, so its first event is the latency that matters
    block = summary.stream.time_to_first_event_ms if summary.stream else summary.rtt_ms
    return (
        f"  {name:<28} n={summary.received:<5} p50={fmt_ms(block.p50):>7} ms  "
        f"p99={fmt_ms(block.p99):>7} ms  {extra}"
    ).rstrip()


async def _tests(base: str, count: int, echo: Callable[[str], None]) -> int:
    failures = 0
    for name, transport, target, payload, divisor in TESTS:
        n = max(3, count // divisor)
        cfg = build_config(
            RunSettings(transport, target, payload=payload, count=n, reconnects=0, base_url=base)
        )
        summary = (await run_collect(cfg)).summary()
        extra = "(time to first event)" if registry.transport(transport).streams_events else ""
        if summary.received != n:
            failures += 1
            extra = f"only {summary.received} of {n} answered: " + "; ".join(
                summary.errors_by_message
            )
        echo(_row(name, summary, extra))
    return 1 if failures else 0


async def run_demo(count: int = 200, echo: Callable[[str], None] = print) -> int:
    with MockProcess() as base:
        echo(f"embedded mock server listening on {base}")
        return await _tests(base, count, echo)


def main() -> int:
    return asyncio.run(run_demo())
