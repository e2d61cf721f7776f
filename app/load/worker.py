"""One load-generating process: its engine loop, its users' runs, its results.

Locust runs users as greenlets; each of ours is one rtprobe run of one session on the
process's engine loop (`EngineThread`), started with `start_user` and stopped with
`stop_user`. `drain` stops every run and waits for them (bounded): a stopped session
times out what it still had in flight ("the run was stopped before a reply"), so each
message sent ends in one outcome before the last window leaves.
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

import gevent

from app.core.config import RunConfig
from app.core.engine.run import RunControl, run
from app.core.errors import ProbeError, TargetError
from app.core.sessions.registry import session_factory
from app.load import native, options
from app.load.bridge import EngineThread
from app.load.recorder import DRAIN_EVERY_S, LocustFeed, Recorder

logger = logging.getLogger("rtprobe.load")

DRAIN_TIMEOUT_S = 15.0  # stopped sessions close their sockets within 2 s each


class WorkerSide:
    """The rtprobe state of one Locust process that runs users."""

    def __init__(self, environment: Any) -> None:
        self.environment = environment
        self.engine = EngineThread()
        self.engine.start()
        self.feed = LocustFeed(environment.events)
        self.recorder: Recorder | None = None
        self._configs: dict[str, RunConfig] = {}
        self.runs: dict[int, tuple[RunControl, concurrent.futures.Future[None]]] = {}
        self._next = 0
        self._told: set[int] = set()  # users whose run's end was logged
        self._feeder = gevent.spawn(self._feed_forever)

    # -- a test ---------------------------------------------------------------------
    def reset(self) -> None:
        """At each test start: the options (as the master sent them) read again."""
        self.close_recorder()
        self._configs = {}
        self.runs = {}
        self._next = 0
        self._told = set()

    def config_for(self, transport: str | None) -> RunConfig:
        key = transport or ""
        if key not in self._configs:
            env = self.environment
            config = options.config_from_options(env.parsed_options, env.host, transport)
            # the session's module (for WebRTC, aiortc) imported here, on the gevent side:
            # an import may start a process (ifaddr runs ldconfig), and gevent's patched
            # subprocess works on the hub's thread only, not on the engine's
            session_factory(config.transport)
            native.patch_loaded()  # aiortc's decoder thread, once aiortc is loaded
            self._configs[key] = config
        return self._configs[key]

    def _recorder_for(self, config: RunConfig) -> Recorder:
        display = config.target.display
        if self.recorder is None:
            csv = bool(getattr(self.environment.parsed_options, "report_csv", ""))
            self.recorder = Recorder(config.transport, display, keep_samples=csv)
        elif (self.recorder.transport, self.recorder.target) != (config.transport, display):
            raise TargetError(
                f"one transport and target per test: {self.recorder.transport} "
                f"{self.recorder.target} runs already, not {config.transport} {display}"
            )
        return self.recorder

    # -- users ----------------------------------------------------------------------
    def start_user(self, transport: str | None = None) -> int:
        """Start one user's session on the loop; its number in this process."""
        config = self.config_for(transport)
        recorder = self._recorder_for(config)
        index = self._next
        self._next += 1
        control = RunControl()
        future = self.engine.submit(run(config, recorder.emit_for(index), control))
        self.runs[index] = (control, future)
        return index

    def wait_user(self, index: int) -> None:
        """Block this greenlet until the user's run ends by itself (it gave up, or its
        config could not run: said in one line, once)."""
        entry = self.runs.get(index)
        if entry is None:
            return
        _, future = entry
        try:
            self.engine.wait(future)
        except (ProbeError, concurrent.futures.CancelledError) as exc:
            if index not in self._told:
                self._told.add(index)
                logger.error("rtprobe user %d: %s", index, exc or "cancelled")

    def stop_user(self, index: int, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        entry = self.runs.get(index)
        if entry is None:
            return
        control, future = entry
        if self.recorder is not None:
            self.recorder.stopping.add(index)
        self.engine.loop.call_soon_threadsafe(control.stop)
        try:
            self.engine.wait(future, timeout_s)
        except gevent.Timeout:
            logger.warning("rtprobe user %d did not stop within %.0f s", index, timeout_s)
        except (ProbeError, concurrent.futures.CancelledError):
            pass  # said when it ended

    # -- results --------------------------------------------------------------------
    def _feed_forever(self) -> None:
        while True:
            if self.recorder is not None:
                self.feed.drain(self.recorder)
            gevent.sleep(DRAIN_EVERY_S)

    def take(self) -> dict[str, Any] | None:
        """The window since the last one (None before any user started)."""
        recorder = self.recorder
        if recorder is None or not self.engine.running:
            return None
        window = self.engine.call(recorder.take)
        self.feed.drain(recorder)
        return window

    def drain(self) -> dict[str, Any] | None:
        """Stop every run, wait for each (bounded), and take the last window."""
        for index, (control, _) in self.runs.items():
            if self.recorder is not None:
                self.recorder.stopping.add(index)
            self.engine.loop.call_soon_threadsafe(control.stop)
        deadline = gevent.Timeout(DRAIN_TIMEOUT_S)
        deadline.start()
        try:
            for index in list(self.runs):
                self.stop_user(index)
        except gevent.Timeout:
            logger.warning("rtprobe: sessions still running after %.0f s", DRAIN_TIMEOUT_S)
        finally:
            deadline.cancel()
        window = self.take()
        self.close_recorder()
        return window

    def close_recorder(self) -> None:
        recorder = self.recorder
        if recorder is not None and self.engine.running:
            self.engine.call(recorder.close)
            self.feed.drain(recorder)
        self.recorder = None

    def close(self) -> None:
        self._feeder.kill(block=False)
        self.engine.stop()
