"""Runs measured for real against a mock, headless, folded into a `LiveRun`: what the
history and compare tests store, reopen and compare."""

from __future__ import annotations

import asyncio

from app.core.config import RunConfig
from app.core.engine.run import run
from app.core.events import Event
from app.core.live import LiveRun
from app.core.targets import resolve
from tests.support.engines import ECHO


def measured_run(
    mock_base: str, transport: str = "ws", *, count: int = 40, rate: float | None = None
) -> LiveRun:
    """`count` messages to the mock's echo, every event folded into a finished LiveRun.
    Run on this thread's own loop: call it from a test with no running loop."""
    config = RunConfig(
        target=resolve(transport, ECHO[transport], base_url=mock_base), count=count, rate=rate
    )
    events: list[Event] = []
    asyncio.run(run(config, events.append))
    live = LiveRun(config.transport, config.target.display)
    live.feed_many(events)
    return live
