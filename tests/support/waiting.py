"""Bounded waits on a condition, so a test never sleeps a fixed time and then asserts.

A fixed sleep is either too short on a loaded machine (the test fails for no reason) or
too long everywhere else. These poll a predicate until it holds, and fail with a message
naming what was awaited once `timeout_s` has passed; the timeout is a ceiling that a
healthy run never reaches, not a guess at how long things take.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout_s: float = 10.0,
    *,
    what: str = "the condition",
    interval_s: float = 0.01,
) -> T:
    """Poll `predicate` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


async def async_wait_until(
    predicate: Callable[[], T | Awaitable[T]],
    timeout_s: float = 10.0,
    *,
    what: str = "the condition",
    interval_s: float = 0.01,
) -> T:
    """`wait_until` for a coroutine: the loop keeps running while it waits, and the
    predicate may itself be a coroutine function (e.g. an HTTP query)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = predicate()
        value = cast(T, await got) if inspect.isawaitable(got) else cast(T, got)
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(interval_s)
