"""StopSignals: the first SIGINT/SIGTERM asks the work to stop, a grace later it is
cancelled, a second signal cancels at once; what the process had before comes back."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import pytest

from app.commands.signals import StopSignals

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals to ourselves")


async def _polite(stop: asyncio.Event) -> str:
    await stop.wait()
    return "wound down"


async def _stubborn() -> str:
    await asyncio.sleep(60)
    return "never"


def test_first_signal_sets_stop_and_the_work_finishes() -> None:
    async def main() -> tuple[str | None, int, str]:
        with StopSignals() as stops:
            asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGTERM)
            result = await asyncio.wait_for(stops.finish(_polite(stops.stop)), 10)
            return result, stops.exit_code, stops.name

    assert asyncio.run(main()) == ("wound down", 143, "SIGTERM")


def test_work_that_ignores_stop_is_cancelled_after_the_grace() -> None:
    async def main() -> tuple[str | None, float]:
        with StopSignals(grace_s=0.2) as stops:
            asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGTERM)
            t0 = time.monotonic()
            result = await asyncio.wait_for(stops.finish(_stubborn()), 10)
            return result, time.monotonic() - t0

    result, took = asyncio.run(main())
    assert result is None and took < 5


def test_a_second_signal_cancels_at_once() -> None:
    async def main() -> str | None:
        with StopSignals(grace_s=60) as stops:
            loop = asyncio.get_running_loop()
            loop.call_soon(os.kill, os.getpid(), signal.SIGTERM)
            loop.call_later(0.1, os.kill, os.getpid(), signal.SIGTERM)
            return await asyncio.wait_for(stops.finish(_stubborn()), 10)

    assert asyncio.run(main()) is None


def test_sigint_is_handled_when_inherited_ignored_and_restored_after() -> None:
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job starts
    try:

        async def main() -> int:
            with StopSignals() as stops:
                asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGINT)
                await asyncio.wait_for(stops.finish(_polite(stops.stop)), 10)
                return stops.exit_code

        assert asyncio.run(main()) == 130
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, saved)


def test_no_signal_returns_the_result_and_exit_code_0() -> None:
    async def main() -> tuple[int | None, int]:
        with StopSignals() as stops:
            result = await stops.finish(asyncio.sleep(0, 7))
            return result, stops.exit_code

    assert asyncio.run(main()) == (7, 0)
