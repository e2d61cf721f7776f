"""An asyncio loop whose timers fire within microseconds, without spinning.

asyncio sleeps in `epoll_wait`, which takes whole milliseconds (Python rounds the
timeout up), so a send due in 2.3 ms wakes at 3 ms. rtprobe's open-loop schedules used
to make up the difference by yielding to the loop in a busy wait for the last 1.5 ms of
every send: at 5,000 msg/s over 50 sessions that kept the loop's thread at 100 % CPU
and made its own saturation check say "client saturated" on a client that was idle.

Here the selector arms a Linux timerfd (nanosecond resolution) for the loop's next
timer and blocks in epoll until it or any socket fires, so a timer lands within the
kernel's timer slack (~50 us) of its time with the thread asleep until then. Where
timerfd is missing (not Linux), `new_loop()` gives asyncio's default loop and
`is_precise()` says so, and callers keep their old spin (see sessions.base.sleep_until).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import os
import select
import selectors
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

CLOCK_MONOTONIC = 1  # the clock of loop.time() and time.perf_counter() on Linux
TFD_NONBLOCK = os.O_NONBLOCK
TFD_CLOEXEC = 0o2000000
LONGEST_S = 1.0  # longer waits keep epoll's milliseconds: late by <1 ms in >1 s is fine
SAME_DEADLINE_S = 2e-6  # an armed deadline this close to the asked one is kept as it is

PRECISE_MARK = "_rtprobe_precise"  # an attribute of the loops `new_loop()` made


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def _libc() -> Any:
    if not hasattr(select, "epoll") or not hasattr(select, "EPOLLIN"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.timerfd_create.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.timerfd_settime.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(_Itimerspec),
            ctypes.c_void_p,
        ]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


# gevent's monkey-patching (the Locust glue's workers) removes epoll from `selectors`:
# the class still exists there, and `new_loop()` gives asyncio's default loop
HAVE_EPOLL = hasattr(selectors, "EpollSelector")
if TYPE_CHECKING:
    _Base = selectors.EpollSelector
else:
    _Base = selectors.EpollSelector if HAVE_EPOLL else selectors.SelectSelector


class PreciseSelector(_Base):
    """asyncio's epoll selector with a timerfd for timeouts under `LONGEST_S`.

    The timerfd is registered with epoll but not in the selector's key map, so asyncio
    never sees it; its expiry is read (cleared) when it fires. It is armed only when the
    loop's earliest timer changed, never disarmed: a deadline left over (its timer was
    cancelled) costs at most one extra wake, where disarming would cost a syscall on
    every pass of the loop, in the path of every reply."""

    def __init__(self) -> None:
        if _LIBC is None or not HAVE_EPOLL:
            raise OSError("timerfd and epoll are not available here")
        super().__init__()
        fd = _LIBC.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create failed")
        impl: Any = self  # the standard library's internals, not in its type stubs
        self._epoll: Any = impl._selector
        self._keys: dict[int, selectors.SelectorKey] = impl._fd_to_key
        self._timer_fd: int = fd
        self._spec = _Itimerspec()
        self._armed = False  # set until it fires (and is read) or is armed again
        self._deadline = 0.0
        self._epoll.register(fd, select.EPOLLIN)

    def _arm(self, timeout_s: float) -> None:
        value = self._spec.it_value
        value.tv_sec, value.tv_nsec = divmod(max(1, int(timeout_s * 1e9)), 1_000_000_000)
        _LIBC.timerfd_settime(self._timer_fd, 0, ctypes.byref(self._spec), None)
        self._armed = True

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and 0 < timeout < LONGEST_S:
            # the same earliest timer as last time (a sleep outliving several wakes for
            # sockets) needs no new syscall: nothing is added to a reply's path
            deadline = time.monotonic() + timeout
            if not self._armed or abs(deadline - self._deadline) > SAME_DEADLINE_S:
                self._arm(timeout)
                self._deadline = deadline
            poll_timeout = -1.0  # the timerfd ends the wait
        elif timeout is None:
            poll_timeout = -1.0  # an armed timer left over wakes once, harmlessly
        elif timeout <= 0:
            poll_timeout = 0.0
        else:
            poll_timeout = math.ceil(timeout * 1e3) * 1e-3
        max_events = max(len(self._keys), 1) + 1
        ready: list[tuple[selectors.SelectorKey, int]] = []
        try:
            fd_events = self._epoll.poll(poll_timeout, max_events)
        except InterruptedError:
            return ready
        for fd, event in fd_events:
            if fd == self._timer_fd:
                with contextlib.suppress(BlockingIOError):
                    os.read(fd, 8)
                self._armed = False
                continue
            events = 0
            if event & ~select.EPOLLIN:
                events |= selectors.EVENT_WRITE
            if event & ~select.EPOLLOUT:
                events |= selectors.EVENT_READ
            key = self._keys.get(fd)
            if key:
                ready.append((key, events & key.events))
        return ready

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._timer_fd)
        super().close()


def new_loop() -> asyncio.AbstractEventLoop:
    """A loop with precise timers where the system has timerfd, else asyncio's own."""
    try:
        selector = PreciseSelector()
    except OSError:
        return asyncio.new_event_loop()
    loop = asyncio.SelectorEventLoop(selector)
    setattr(loop, PRECISE_MARK, True)
    return loop


def is_precise(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether `loop` came from `new_loop()` with precise timers. Asked before every
    open-loop send: an attribute read (a WeakSet lookup made a weak reference each
    time, 5 % of the loop at 6,000 msg/s)."""
    return getattr(loop, PRECISE_MARK, False) is True


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a `new_loop()`."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main)
