"""Running a whole test: N concurrent sessions of one transport, events to one sink.

`run` builds the sessions through the registry (it never asks which transport it
runs), runs them to the end and emits one `RunFinished` last. A `RunControl` is how the
outside steers a running run: `stop()`, and `act(...)` to each of its live sessions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.core.config import RunConfig
from app.core.engine.gc_tuning import quiet_gc
from app.core.engine.sample_backlog import SampleBacklog
from app.core.errors import ClosedError, ProbeError, TargetError
from app.core.events import Event, FinishReason, RunFinished, now_ns
from app.core.health.monitor import HealthMonitor
from app.core.network.changes import network_mark
from app.core.redact import Redactor, active
from app.core.sessions.base import Emit, Session
from app.core.sessions.registry import session_factory
from app.core.summary import Aggregator


class RunControl:
    """One run's handle: its stop event and, while it runs, its sessions.

    Lives on the engine loop; call its methods there (the engine thread and process
    forward their `stop`, `send_action` and `pause` to it).
    """

    def __init__(self, stop: asyncio.Event | None = None) -> None:
        self.stop_event = stop or asyncio.Event()
        self.sessions: list[Session] = []
        self.redactor = Redactor()  # the run's, once it runs: masks what `act` raises
        self.emit: Emit = lambda _event: None  # the run's, once it runs

    @property
    def stopped(self) -> bool:
        return self.stop_event.is_set()

    def stop(self) -> None:
        self.stop_event.set()

    async def act(self, what: str, value: object) -> None:
        """Hand `what` (e.g. "action", "w u" or "pause", True) to every session. Raises
        the first session's error when no session could take it (not connected yet, a
        transport without actions); errors on the wire are emitted by the sessions."""
        if what == "network_mark":  # a change made outside the sessions: the whole mock's
            self.emit(network_mark(value))
            return
        errors: list[ProbeError] = []
        for session in list(self.sessions):
            try:
                await session.act(what, value)
            except ProbeError as exc:
                errors.append(exc)
                self.redactor.exception(exc)
        if not self.sessions:
            raise ClosedError(f"cannot send {what}: no connected session")
        if len(errors) == len(self.sessions):
            raise errors[0]


def check(config: RunConfig) -> None:
    """What no transport can run; raises TargetError with a one-line message."""
    if config.concurrency < 1:
        raise TargetError("concurrency must be at least 1")
    if config.count is None and not config.duration_s:
        raise TargetError("give a message count or a duration")


async def run(
    config: RunConfig, emit: Emit, control: RunControl | asyncio.Event | None = None
) -> None:
    """Run to completion (or until stopped), emitting every event to `emit`, then one
    RunFinished. `control` may be a bare stop event, for callers that only stop.
    Errors of the run as a whole are raised after the RunFinished that names them.

    Every event, and the error raised, passes the run's `Redactor` first: its key, its
    secret header values and the tokens its clients fetch (`app.core.redact.register`)
    never reach `emit`, whatever a server echoed back."""
    if not isinstance(control, RunControl):
        control = RunControl(control)
    redactor = control.redactor = Redactor.for_run(config.credentials.key, config.headers)
    with active(redactor):
        control.emit = SampleBacklog(redactor.emit(emit)).emit
        await _run(config, control.emit, control, redactor)


async def _run(config: RunConfig, emit: Emit, control: RunControl, redactor: Redactor) -> None:
    reason: FinishReason = "failed"
    error = ""
    monitor = HealthMonitor(emit)  # the client's own health: loop lag, CPU, GC
    try:
        check(config)
        monitor.start()
        # off the loop: the first WebRTC run imports aiortc and av (~0.7 s measured),
        # which on the loop would stall every other run's sends and replies
        factory = await asyncio.to_thread(session_factory, config.transport)
        control.sessions = [
            factory(i, config, emit, control.stop_event) for i in range(config.concurrency)
        ]
        with quiet_gc():  # no collection pauses inside the measured round trips
            tasks = [asyncio.ensure_future(s.run()) for s in control.sessions]
            try:
                await asyncio.gather(*tasks)
            except BaseException:  # one session could not run: end the others, then say why
                control.stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        reason = "stopped" if control.stopped else "done"
    except ProbeError as exc:
        error = str(redactor.exception(exc))
        raise
    except asyncio.CancelledError:
        reason = "cancelled"
        raise
    except Exception as exc:  # an engine bug: say so in one line, and let it propagate
        error = f"internal error: {type(exc).__name__}: {redactor.exception(exc)}"
        raise
    finally:
        control.sessions = []
        monitor.stop()  # its final Health event, before the RunFinished
        emit(RunFinished(now_ns(), reason, error))


async def run_collect(
    config: RunConfig,
    also: Callable[[Event], None] | None = None,
    stop: RunControl | asyncio.Event | None = None,
) -> Aggregator:
    """Run and fold every event into an Aggregator (the CLI and tests use this)."""
    agg = Aggregator(transport=config.transport, target=config.target.display)

    def emit(event: Event) -> None:
        agg.feed(event)
        if also is not None:
            also(event)

    await run(config, emit, stop)
    return agg
