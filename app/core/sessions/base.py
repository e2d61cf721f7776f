"""What an engine session is, and the rules every transport's session shares.

A session is one connection's worth of a run: session `index` of `config.concurrency`,
sending its share of the traffic (`RunConfig.share`), emitting every measurement to
`emit`, and ending when its count or duration is reached or when `stop` is set. The
engine builds sessions through `app.core.sessions.registry` only, and steers them through
`Session.act`; it never asks which transport a session speaks.

Reconnect policy (one for all four transports, `Reconnect`):

- a failed connect, and a connection that ends while the session still has work to do
  (the server closed it, the peer connection went), each count one failure;
- a connection that made progress (at least one reply, response or frame) resets the
  count to zero, so a long run survives any number of isolated disconnects;
- after a failure the session waits `BACKOFF_S` (0.1, 0.3, 1, then 2 s), emitting
  `StateChange("reconnecting")`, and connects again; `stop` and the run's deadline cut
  the wait short, and the session then ends "closed";
- `TargetError` and `AuthError` are final at once (every further attempt would fail the
  same way); otherwise the session gives up after `config.reconnects` failures in a row,
  and ends "failed" with the reason.

SSE sends one request per message over a pooled client, so there a "connection" is a
request that reached the server; a request that got no response at all is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

from app.core.config import RunConfig
from app.core.errors import AuthError, ProbeError, TargetError
from app.core.events import ErrorEvent, Event, StateChange, now_ns
from app.core.precise_loop import is_precise

Emit = Callable[[Event], None]

BACKOFF_S = (0.1, 0.3, 1.0, 2.0)
SPIN_NS = 1_500_000  # the busy wait before a send, on loops without precise timers


class Session(Protocol):
    """One session of a run, whatever its transport."""

    index: int

    async def run(self) -> None:
        """Connect, send the schedule, emit events, reconnect per `Reconnect`, and return
        when done or stopped; errors are emitted, never raised (but a config that cannot
        run at all raises TargetError)."""
        ...

    async def act(self, what: str, value: object) -> None:
        """Steer the running session: `("action", "w u")`, `("pause", True)`. Raises a
        ProbeError with a one-line message when this session cannot take it (a transport
        without actions: TargetError; not connected right now: ClosedError)."""
        ...


class SessionFactory(Protocol):
    """How the registry builds a session: every session class has this constructor."""

    def __call__(
        self, index: int, config: RunConfig, emit: Emit, stop: asyncio.Event
    ) -> Session: ...


def deadline_of(config: RunConfig) -> int | None:
    """The clock time a duration-bound session stops sending, from now."""
    return now_ns() + int(config.duration_s * 1e9) if config.duration_s else None


def more_to_send(
    stop: asyncio.Event, count: int | None, sent: int, deadline_ns: int | None
) -> bool:
    """A session sends until stopped, until `count` went out, or until the deadline."""
    if stop.is_set():
        return False
    if count is not None:
        return sent < count
    return deadline_ns is not None and now_ns() < deadline_ns


async def sleep_until(t_ns: int) -> None:
    """Wake at `t_ns` within microseconds. On a `precise_loop` loop (the engine's) a
    plain sleep does it, the thread asleep until then; on another loop epoll sleeps in
    whole milliseconds, so sleep to just short of the mark, then yield to the loop
    until it passes (a busy wait that costs a core at high rates)."""
    wait = t_ns - now_ns()
    if wait <= 0:
        return
    if is_precise(asyncio.get_running_loop()):
        await asyncio.sleep(wait / 1e9)
        wait = t_ns - now_ns()  # a float timer can land a few ns short
        if wait > 0:
            await asyncio.sleep(wait / 1e9)
        return
    if wait > SPIN_NS:
        await asyncio.sleep((wait - SPIN_NS + 500_000) / 1e9)
    while now_ns() < t_ns:
        await asyncio.sleep(0)


async def wait_stopped(stop: asyncio.Event, timeout_s: float) -> bool:
    """Sleep `timeout_s`, or less when `stop` is set; True when it was."""
    if timeout_s > 0 and not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout_s)
    return stop.is_set()


def takes_no_actions(transport: str, what: str) -> TargetError:
    """The error `act` raises on a transport that cannot be steered."""
    return TargetError(f"cannot send {what}: {transport} sessions take no actions")


class Reconnect:
    """The reconnect policy of the module docstring, for one session."""

    def __init__(
        self,
        index: int,
        config: RunConfig,
        emit: Emit,
        stop: asyncio.Event,
        deadline_ns: int | None,
    ) -> None:
        self.index = index
        self.limit = config.reconnects
        self.emit = emit
        self.stop = stop
        self.deadline_ns = deadline_ns
        self.failures = 0  # in a row
        self.gave_up = False  # the session ended "failed" here

    def progress(self) -> None:
        """The connection did something useful: the count starts again."""
        self.failures = 0

    async def retry(self, error: ProbeError | None = None) -> bool:
        """After a failed connect (`error`, already emitted by the session) or a
        connection that ended early (None): True to connect again now. False when the
        session should end: it gave up (`gave_up`, "failed" emitted) or was stopped."""
        self.failures += 1
        if isinstance(error, TargetError | AuthError) or self.failures > self.limit:
            self.gave_up = True
            if error is None:
                detail = f"gave up after {self.limit} reconnects"
                self.emit(ErrorEvent(self.index, now_ns(), "ClosedError", detail))
            else:
                detail = str(error)
            self.emit(StateChange(self.index, now_ns(), "failed", detail))
            return False
        self.emit(StateChange(self.index, now_ns(), "reconnecting"))
        delay = BACKOFF_S[min(self.failures, len(BACKOFF_S)) - 1]
        if self.deadline_ns is not None:
            delay = min(delay, max(0.0, (self.deadline_ns - now_ns()) / 1e9))
        return not await wait_stopped(self.stop, delay)
