"""The tests' bounded waits: they return what the predicate found, or fail naming it."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.support.waiting import async_wait_until, wait_until


def test_wait_until_returns_the_first_truthy_value() -> None:
    calls = itertools.count()
    assert wait_until(lambda: next(calls) >= 3 and "ready", 5) == "ready"


def test_wait_until_fails_with_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match=r"timed out after 0\.05 s waiting for the door"):
        wait_until(lambda: False, 0.05, what="the door")


async def test_async_wait_until_awaits_a_coroutine_predicate() -> None:
    calls = itertools.count()

    async def ready() -> list[int]:
        await asyncio.sleep(0)
        return [1] if next(calls) >= 2 else []

    assert await async_wait_until(ready, 5) == [1]
    with pytest.raises(AssertionError, match="waiting for nothing"):
        await async_wait_until(lambda: 0, 0.05, what="nothing")
