"""The engine in a child process, for the GUI.

A thread was not enough: measured with benchmarks/gui_overhead.py (4 connections, 1,000
messages/s in all), the GUI thread's painting held the GIL so often that the engine
thread's p50 round trip went from 0.15 to 0.6 ms and p99 more than doubled. In its own
process the engine has its own interpreter and GIL; events come back in pickled
batches over a pipe, and the GUI drains them on its timer as before.

Same interface as `EngineThread`: submit, stop, send_action, pause, drain, close.
"""

from __future__ import annotations

import itertools
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from app.core.engine.config import RunConfig
from app.core.events import ErrorEvent, Event, StateChange

FLUSH_S = 0.01  # how often the child sends what its engine produced
START_TIMEOUT_S = 30.0


def _child(conn: Connection) -> None:
    """The child's main thread: commands in, event batches out; the engine on its thread."""
    from app.core.engine.thread import EngineThread

    engine = EngineThread()
    to_parent: dict[int, int] = {}  # the engine's run id -> the parent's
    to_child: dict[int, int] = {}
    conn.send("ready")
    try:
        while True:
            while conn.poll(FLUSH_S):
                command, *args = conn.recv()
                if command == "close":
                    return
                if command == "submit":
                    parent_id, config = args
                    child_id = engine.submit(config)
                    to_parent[child_id], to_child[parent_id] = parent_id, child_id
                elif args and args[0] in to_child:
                    child_id = to_child[args[0]]
                    if command == "stop":
                        engine.stop(child_id)
                    elif command == "action":
                        engine.send_action(child_id, args[1])
                    elif command == "pause":
                        engine.pause(child_id, args[1])
            batch = engine.drain()
            if batch:
                conn.send([(to_parent.get(run_id, run_id), event) for run_id, event in batch])
    except (EOFError, BrokenPipeError, OSError):
        return  # the parent went away
    finally:
        engine.close()


class EngineProcess:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(
            target=_child, args=(child_conn,), name="rtprobe-engine", daemon=True
        )
        self._proc.start()
        child_conn.close()
        self._ids = itertools.count(1)
        self._active: set[int] = set()
        self._dead = False
        self.overflowed = 0
        if not self._conn.poll(START_TIMEOUT_S) or self._conn.recv() != "ready":
            self.close()
            raise RuntimeError("the engine process did not start")

    def _send(self, *command: Any) -> None:
        if self._dead:
            return
        try:
            self._conn.send(command)
        except (BrokenPipeError, OSError):
            self._dead = True

    def submit(self, config: RunConfig) -> int:
        run_id = next(self._ids)
        self._active.add(run_id)
        self._send("submit", run_id, config)
        return run_id

    def stop(self, run_id: int) -> None:
        self._send("stop", run_id)

    def send_action(self, run_id: int, action: str) -> None:
        self._send("action", run_id, action)

    def pause(self, run_id: int, paused: bool) -> None:
        self._send("pause", run_id, paused)

    def drain(self) -> list[tuple[int, Event]]:
        out: list[tuple[int, Event]] = []
        try:
            while not self._dead and self._conn.poll():
                out.extend(self._conn.recv())
        except (EOFError, OSError):
            self._dead = True
        for run_id, event in out:
            if isinstance(event, StateChange) and event.session == -1:
                self._active.discard(run_id)
        if self._dead and self._active:
            # never leave a view waiting for a run that can no longer finish
            now = time.perf_counter_ns()
            for run_id in sorted(self._active):
                out.append(
                    (
                        run_id,
                        ErrorEvent(-1, now, "ProbeError", "the engine process ended unexpectedly"),
                    )
                )
                out.append((run_id, StateChange(-1, now, "closed", "engine process ended")))
            self._active.clear()
        return out

    def close(self, timeout_s: float = 5.0) -> None:
        self._send("close")
        self._proc.join(timeout_s)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout_s)
        self._dead = True
        self._conn.close()
