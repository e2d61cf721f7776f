"""The engine in a child process, for the GUI.

A thread was not enough: measured with benchmarks/gui_overhead.py (4 connections, 1,000
messages/s in all), the GUI thread's painting held the GIL so often that the engine
thread's p50 round trip went from 0.15 to 0.6 ms and p99 more than doubled. In its own
process the engine has its own interpreter and GIL.

The child runs one asyncio loop on its main thread, nothing else: commands come in on
one pipe, read by the loop (`add_reader`) as they arrive; every `FLUSH_S` the loop sends
what the runs emitted as one pickled batch on a second pipe. That pipe is written
without blocking (the measuring loop must never wait for the GUI): while the parent has
not taken the previous batch, events stay in the child's bounded `Outbox`, which counts
what it must drop; the count arrives as `EventsDropped` and in `overflowed`.

Same interface as `EngineThread`: submit, stop, act (send_action, pause), drain, close.

The child dies with the GUI, however the GUI dies: the end of the command pipe (the
kernel closes the parent's end when the parent dies) stops its loop, and on Linux the
parent-death signal (app.core.lifeline) ends it even when its loop is stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import copyreg
import dataclasses
import fcntl
import itertools
import multiprocessing
import operator
import os
import pickle
import select
import signal
import struct
import threading
import time
from multiprocessing.connection import Connection
from typing import Any, get_args

from app.core import lifeline, precise_loop
from app.core.config import RunConfig
from app.core.engine.gc_tuning import freeze_startup
from app.core.engine.host import RunHost
from app.core.engine.outbox import MAX_QUEUED, Outbox
from app.core.events import Event, EventsDropped, RunFinished, now_ns

FLUSH_S = 0.01  # how often the child sends what its runs produced
START_TIMEOUT_S = 30.0
READ_CHUNK = 1 << 16
MAX_READS = 4096  # per drain: at most 256 MB, so a drain always returns
HEADER = struct.Struct("!I")  # a batch's length, then its pickle
# The events pipe's kernel buffer (Linux; the default is 64 KiB). The child writes at
# most one buffer-full between two drains of the GUI (30 Hz), so 64 KiB capped the
# stream at ~2 MB/s: one WebRTC run's video thumbnails (~7 MB/s) then queued every
# run's events behind them for seconds, and the panels' clocks ran ahead of their data.
PIPE_BYTES = 1 << 20


def _by_position(cls: type) -> Any:
    """A pickle reducer that rebuilds an event as `cls(*fields)`.

    The default for a frozen, slotted dataclass calls `dataclasses.fields()` and then
    `object.__setattr__` field by field for every event unpickled: measured in the GUI
    process at 1,000 messages/s, that was 9 % of its CPU (80 % of what unpickling a
    batch cost). Positional construction is what the events' own `__init__` does."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    get = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda obj: (cls, (get(obj),))
    return lambda obj: (cls, get(obj))


for _cls in get_args(Event):
    copyreg.pickle(_cls, _by_position(_cls))


def frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


class Unframer:
    """Bytes from the pipe in, whole objects out (a frame may arrive in pieces)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        self._buf += data
        out = []
        while len(self._buf) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buf)
            end = HEADER.size + size
            if len(self._buf) < end:
                break
            out.append(pickle.loads(self._buf[HEADER.size : end]))
            del self._buf[:end]
        return out


# -- the child ------------------------------------------------------------------------
class Child:
    """The engine process's loop: commands in, batches out. Runs in the child; tests
    may run it on a thread of their own."""

    def __init__(self, commands: Connection, events: Connection, max_queued: int) -> None:
        self.commands = commands
        self.fd = events.fileno()
        self._events = events  # kept open as long as we write to its fd
        self.outbox = Outbox(max_queued)
        self.host = RunHost(self.outbox)
        self._unsent = bytearray()  # framed batches the pipe did not take yet
        self._acting: set[asyncio.Task[None]] = set()
        self._done: asyncio.Future[None] | None = None

    async def serve(self, close_timeout_s: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        os.set_blocking(self.fd, False)
        self._unsent += frame("ready")
        loop.add_reader(self.commands.fileno(), self._on_commands)
        flusher = asyncio.create_task(self._flush_every(FLUSH_S))
        try:
            await self._done
        finally:
            loop.remove_reader(self.commands.fileno())
            await self.host.close(close_timeout_s)
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            self._finish_writing(close_timeout_s)

    def _on_commands(self) -> None:
        try:
            while self.commands.poll():
                self._command(*self.commands.recv())
        except (EOFError, OSError):
            self._stop_serving()  # the parent went away

    def _command(self, command: str, *args: Any) -> None:
        if command == "close":
            self._stop_serving()
        elif command == "submit":
            self.host.start(*args)
        elif command == "stop":
            self.host.stop(*args)
        elif command == "act":
            task = asyncio.create_task(self.host.act(*args))
            self._acting.add(task)
            task.add_done_callback(self._acting.discard)

    def _stop_serving(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    async def _flush_every(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            self.flush()

    def flush(self) -> None:
        """Write what the pipe takes; only when it took all, move the next batch in."""
        self._write_some()
        if not self._unsent:
            batch = self.outbox.take()
            if batch:
                self._unsent += frame(batch)
                self._write_some()

    def _write_some(self) -> None:
        if not self._unsent:
            return
        try:
            written = os.write(self.fd, self._unsent)
        except BlockingIOError:
            return
        except OSError:  # the parent went away
            self._unsent.clear()
            self._stop_serving()
            return
        del self._unsent[:written]

    def _finish_writing(self, timeout_s: float) -> None:
        """The last batches (every run's RunFinished), waiting at most `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        self.flush()
        while (self._unsent or len(self.outbox)) and time.monotonic() < deadline:
            select.select([], [self.fd], [], 0.05)
            self.flush()


def _child(
    commands: Connection, events: Connection, max_queued: int, death_signal: bool = False
) -> None:
    """`death_signal`: the parent started us from its main thread, which lives as long
    as it does, so Linux's parent-death signal is safe to ask for."""
    # a terminal's Ctrl-C goes to the whole process group: the parent decides to stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if death_signal:
        lifeline.parent_death_signal()
    freeze_startup()  # what start-up imported is never walked again (app.core.engine.gc_tuning)
    precise_loop.run(Child(commands, events, max_queued).serve())


# -- the parent ----------------------------------------------------------------------
def _widen(fd: int, size: int) -> None:
    """Ask for a larger pipe buffer; where the system says no, the default stays."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if set_size is not None:
        with contextlib.suppress(OSError):  # above fs.pipe-max-size, or not a pipe
            fcntl.fcntl(fd, set_size, size)


class EngineProcess:
    def __init__(self, max_queued: int | None = None, *, wait: bool = True) -> None:
        """`max_queued`: events held for the GUI at most (default `MAX_QUEUED`, read at
        call time so a test can lower it). `wait=False` returns as soon as the child is
        spawned: commands sent meanwhile wait in the pipe, `ready` turns True on the
        first `drain` after the child said so, and a child that is not ready within
        START_TIMEOUT_S counts as ended (its runs finish "failed")."""
        max_queued = MAX_QUEUED if max_queued is None else max_queued
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt
        child_commands, self._commands = ctx.Pipe(duplex=False)
        self._events, child_events = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(
            target=_child,
            args=(
                child_commands,
                child_events,
                max_queued,
                threading.current_thread() is threading.main_thread(),
            ),
            name="rtprobe-engine",
            daemon=True,
        )
        self._proc.start()
        child_commands.close()
        child_events.close()
        self._fd = self._events.fileno()
        os.set_blocking(self._fd, False)
        _widen(self._fd, PIPE_BYTES)
        self._unframer = Unframer()
        self._ids = itertools.count(1)
        self._active: set[int] = set()
        self._dead = False
        self.overflowed = 0  # events the child dropped because we did not drain in time
        self.ready = False  # the child said "ready"
        self._ready_by = time.monotonic() + START_TIMEOUT_S
        if wait and not self._wait_ready(START_TIMEOUT_S):
            self.close()
            raise RuntimeError("the engine process did not start")

    @property
    def pid(self) -> int:
        """The engine process's id (its CPU can be read from /proc/PID/stat)."""
        pid = self._proc.pid
        assert pid is not None  # started in __init__
        return pid

    def _wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not self._dead and time.monotonic() < deadline:
            select.select([self._fd], [], [], min(0.1, max(0.0, deadline - time.monotonic())))
            self._read()
            if self.ready:
                return True
        return False

    def _send(self, *command: Any) -> None:
        if self._dead:
            return
        try:
            self._commands.send(command)
        except (BrokenPipeError, OSError):
            self._dead = True

    def submit(self, config: RunConfig) -> int:
        run_id = next(self._ids)
        self._active.add(run_id)
        self._send("submit", run_id, config)
        return run_id

    def stop(self, run_id: int) -> None:
        self._send("stop", run_id)

    def act(self, run_id: int, what: str, value: object) -> None:
        """Steer a running run; what it cannot take arrives as the run's ErrorEvent."""
        self._send("act", run_id, what, value)

    def send_action(self, run_id: int, action: str) -> None:
        self.act(run_id, "action", action)

    def pause(self, run_id: int, paused: bool) -> None:
        self.act(run_id, "pause", paused)

    def _read(self) -> list[Any]:
        """Every whole object the pipe holds now; marks the engine dead at its end."""
        out: list[Any] = []
        for _ in range(MAX_READS):
            try:
                data = os.read(self._fd, READ_CHUNK)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self._dead = True
                break
            for obj in self._unframer.feed(data):
                if obj == "ready":
                    self.ready = True
                else:
                    out.append(obj)
        return out

    def drain(self) -> list[tuple[int, Event]]:
        out: list[tuple[int, Event]] = []
        if not self._dead:
            for batch in self._read():
                if isinstance(batch, list):
                    out.extend(batch)
            if not self.ready and time.monotonic() > self._ready_by:
                self._dead = True  # spawned without waiting, and never ready
        for run_id, event in out:
            if isinstance(event, RunFinished):
                self._active.discard(run_id)
            elif isinstance(event, EventsDropped):
                self.overflowed += event.count
        if self._dead and self._active:
            # never leave a view waiting for a run that can no longer finish
            why = "ended unexpectedly" if self.ready else "did not start"
            gone = RunFinished(now_ns(), "failed", f"the engine process {why}")
            out.extend((run_id, gone) for run_id in sorted(self._active))
            self._active.clear()
        return out

    def close(self, timeout_s: float = 5.0) -> None:
        self._send("close")
        deadline = time.monotonic() + timeout_s
        while self._proc.is_alive() and time.monotonic() < deadline:
            if not self._dead:
                self._read()  # the child's last batches, so its writes can finish
            self._proc.join(0.05)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout_s)
        self._dead = True
        self._commands.close()
        self._events.close()
