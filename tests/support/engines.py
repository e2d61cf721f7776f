"""Waiting on an engine runner (thread or process: both have `drain()`), bounded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.config import RunConfig
from app.core.events import Event, RunFinished, Sample
from app.core.targets import resolve
from tests.support.waiting import wait_until

Drained = list[tuple[int, Event]]
ECHO = {"realtime": "mock/echo", "ws": "mock/echo/ws"}


def open_ended(
    mock_base: str, transport: str = "ws", *, rate: float, duration_s: float = 60
) -> RunConfig:
    """A run on the mock's echo at `rate` messages/s that lasts until it is stopped
    (`duration_s` is only its ceiling): what tests of stopping and of dying engines need."""
    return RunConfig(
        target=resolve(transport, ECHO[transport], base_url=mock_base),
        count=None,
        duration_s=duration_s,
        rate=rate,
    )


def is_run_end(event: Event) -> bool:
    return isinstance(event, RunFinished)


def drain_until(
    engine: Any,
    predicate: Callable[[Drained], bool],
    timeout_s: float = 20,
    *,
    what: str = "the engine's events",
    got: Drained | None = None,
) -> Drained:
    """Drain (run id, event) pairs into `got` until `predicate(got)` holds; returns `got`."""
    got = [] if got is None else got

    def ready() -> bool:
        got.extend(engine.drain())
        return predicate(got)

    wait_until(ready, timeout_s, what=what, interval_s=0.02)
    return got


def until_finished(
    engine: Any, run_ids: set[int], timeout_s: float = 20, *, got: Drained | None = None
) -> Drained:
    """Every (run id, event) drained (after those already in `got`) until each run's
    RunFinished arrived."""
    return drain_until(
        engine,
        lambda g: {r for r, e in g if is_run_end(e)} >= run_ids,
        timeout_s,
        what="runs did not finish",
        got=got,
    )


def samples_of(got: Drained, run_id: int) -> int:
    """How many samples of `run_id` are in `got`."""
    return sum(1 for r, e in got if r == run_id and isinstance(e, Sample))
