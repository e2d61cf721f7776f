"""Waiting on an engine runner (thread or process: both have `drain()`), bounded."""

from __future__ import annotations

import time
from typing import Any

from app.core.events import Event, RunFinished


def until_finished(
    engine: Any, run_ids: set[int], timeout_s: float = 20
) -> list[tuple[int, Event]]:
    """Every (run id, event) drained until each run's RunFinished arrived."""
    got: list[tuple[int, Event]] = []
    done: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while done != run_ids and time.monotonic() < deadline:
        for run_id, event in engine.drain():
            got.append((run_id, event))
            if isinstance(event, RunFinished):
                done.add(run_id)
        time.sleep(0.02)
    assert done == run_ids, "runs did not finish"
    return got
