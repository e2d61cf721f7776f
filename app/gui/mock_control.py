"""The embedded mock server, seen from the GUI: start and stop it in its own process
(so it never shares the GUI's thread or GIL with what it serves), check it answers,
and edit its faults live.

A service object in the shape of qasync's examples: the async work (the child
process, its pipes, HTTP with `httpx.AsyncClient`) runs as coroutines on the qasync
loop the GUI runs on (see app.gui.launch), started by `@asyncSlot`s; results and
one-line errors come back as signals. No threads, no blocking call on the GUI thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal
from qasync import asyncSlot

from app.core import lifeline
from server_mock.process import LISTENING, mock_command

START_TIMEOUT_S = 30.0  # a cold start imports the whole mock (uvicorn, av, numpy)
STOP_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 5.0


def _line(text: str) -> str:
    return " ".join(text.split())  # the status bar holds one line


class _StartFailed(Exception):
    pass


class MockControl(QObject):
    sigStarted = Signal(str)  # base URL, once it answered /health
    sigStopped = Signal()
    sigError = Signal(str)  # one line
    sigFaults = Signal(dict)  # the server's fault settings after a change
    sigNetwork = Signal(dict)  # the mock's network profile after a change

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.proc: asyncio.subprocess.Process | None = None
        self.base_url: str | None = None
        self._generation = 0  # bumped by every stop: a start still under way gives up
        self._starting = False
        self._last_stderr = ""
        self._tasks: set[asyncio.Task[None]] = set()  # pipe readers and exit watchers
        self._shut = False  # the window closed: no more starts
        self._ending: list[asyncio.subprocess.Process] = []  # terminated by shutdown()

    @property
    def running(self) -> bool:
        return self.base_url is not None

    @property
    def busy(self) -> bool:
        """Started and not yet answering, or answering: a second start does nothing."""
        return self._starting or self.proc is not None

    # -- start / stop ----------------------------------------------------------------
    @asyncSlot()
    async def start(self) -> None:
        """Start the server; `sigStarted` once it answers, else `sigStopped` and why."""
        if self.busy or self._shut:
            return
        self._starting = True
        generation = self._generation
        # `closed()` waits for this start too: a window closed while the mock starts
        # must not end the loop under it (its clean-up still awaits the process)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            base = await self._start(generation)
        except _StartFailed as exc:
            if generation == self._generation:  # not stopped meanwhile: say why
                self._forget()
                self.sigStopped.emit()
                self.sigError.emit(_line(f"embedded mock server failed to start: {exc}"))
            return
        finally:
            self._starting = False
            if task is not None:
                self._tasks.discard(task)
        if base is not None:
            self.base_url = base
            self.sigStarted.emit(base)

    async def _start(self, generation: int) -> str | None:
        """The base URL, or None when stopped meanwhile; _StartFailed says why not."""
        self._last_stderr = ""
        try:
            proc = await asyncio.create_subprocess_exec(
                *mock_command("--port", "0", "--log-level", "warning"),
                # the lifeline (app.core.lifeline): it ends when the GUI dies, even by SIGKILL
                stdin=asyncio.subprocess.PIPE,
                env=lifeline.child_env(),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise _StartFailed(str(exc)) from exc
        first_line: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._spawn(self._read_stdout(proc, first_line))
        stderr_read = self._spawn(self._read_stderr(proc))
        if generation != self._generation:  # stopped (or the window closed) meanwhile
            _terminate(proc)
            self._ending.append(proc)
            return None
        self.proc = proc
        try:
            line = await asyncio.wait_for(first_line, START_TIMEOUT_S)
            match = LISTENING.search(line)
            if match is None:  # it is ending: its last words say why
                await asyncio.wait([stderr_read], timeout=STOP_TIMEOUT_S)
                raise _StartFailed(self._last_stderr or "it exited before listening")
            base = match.group(1)
            await self._check_health(base)
        except asyncio.CancelledError:  # the loop is ending: never leave it running
            _terminate(proc)
            raise
        except (TimeoutError, httpx.HTTPError, ValueError, _StartFailed) as exc:
            await self._end(proc)
            if isinstance(exc, _StartFailed):
                raise
            raise _StartFailed(str(exc) or f"no answer in {START_TIMEOUT_S:g} s") from exc
        if generation != self._generation:  # stopped while starting
            await self._end(proc)
            return None
        self._spawn(self._watch(proc, generation, stderr_read))
        return base

    async def _check_health(self, base: str) -> None:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
            r = await client.get(f"{base}/health")
        if r.status_code != 200 or r.json().get("status") != "ok":
            raise _StartFailed(f"/health answered {r.status_code}")

    @asyncSlot()
    async def stop(self) -> None:
        """Stop it, or give up a start still under way; `sigStopped` once it is gone."""
        if not self.busy:
            return
        proc = self._forget()
        if proc is not None:
            await self._end(proc)
        self.sigStopped.emit()

    def shutdown(self) -> None:
        """The window is closing: terminate the process now, without waiting (it exits
        cleanly on SIGTERM); `closed()` then waits until it is gone."""
        self._shut = True  # a start not yet under way never begins
        proc = self._forget()
        if proc is not None and proc.returncode is None:
            _terminate(proc)
            self._ending.append(proc)

    @property
    def pending(self) -> bool:
        """A process of ours has not yet exited, or its pipes are not yet drained."""
        return bool(self._tasks)

    async def closed(self) -> None:
        """Until every process this started has exited and its pipes are drained, so
        the loop can close after (bounded: killed after STOP_TIMEOUT_S, then given up
        after as long again). A start under way adds its pipe readers meanwhile, so the
        set is looked at again until it is empty."""
        loop = asyncio.get_running_loop()
        deadline, killed = loop.time() + STOP_TIMEOUT_S, False
        while self._tasks or any(p.returncode is None for p in self._ending):
            left_s = deadline - loop.time()
            if left_s <= 0:
                if killed:
                    break
                for proc in self._ending:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                deadline, killed = loop.time() + STOP_TIMEOUT_S, True
                continue
            waits = [*self._tasks, *(p.wait() for p in self._ending if p.returncode is None)]
            futures = [asyncio.ensure_future(w) for w in waits]
            _, pending = await asyncio.wait(
                futures, timeout=left_s, return_when=asyncio.FIRST_COMPLETED
            )
            for f in pending:
                if f not in self._tasks:
                    f.cancel()  # a proc.wait() of ours: asked again next time round
        for task in list(self._tasks):
            task.cancel()
        self._ending.clear()

    def _forget(self) -> asyncio.subprocess.Process | None:
        self._generation += 1
        proc, self.proc, self.base_url = self.proc, None, None
        return proc

    async def _end(self, proc: asyncio.subprocess.Process) -> None:
        if self.proc is proc:
            self.proc = None
        if proc.returncode is not None:
            return
        _terminate(proc)
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)

    # -- while it runs -----------------------------------------------------------------
    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _read_stdout(
        self, proc: asyncio.subprocess.Process, first: asyncio.Future[str]
    ) -> None:
        """Its first line says where it listens; the rest is read to the end, so the
        pipe is closed before the loop is."""
        assert proc.stdout is not None  # stdout=PIPE above
        async for raw in proc.stdout:
            if not first.done():
                first.set_result(raw.decode("utf-8", "replace"))
        if not first.done():
            first.set_result("")  # it ended without a word

    async def _read_stderr(self, proc: asyncio.subprocess.Process) -> None:
        """Keep the pipe drained (a chatty server must never block on it) and its last
        line at hand, to say why the server ended."""
        assert proc.stderr is not None  # stderr=PIPE above
        async for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if line:
                self._last_stderr = line

    async def _watch(
        self, proc: asyncio.subprocess.Process, generation: int, stderr_read: asyncio.Task[None]
    ) -> None:
        code = await proc.wait()
        if generation == self._generation:  # nobody stopped it: it ended by itself
            await asyncio.wait([stderr_read], timeout=STOP_TIMEOUT_S)  # its last words
        if generation == self._generation:
            self._forget()
            why = f": {self._last_stderr}" if self._last_stderr else ""
            self.sigStopped.emit()  # first: the error is the line that stays
            self.sigError.emit(_line(f"embedded mock server exited with code {code}{why}"))

    # -- faults ------------------------------------------------------------------------
    @asyncSlot(dict)
    async def set_faults(self, faults: dict[str, Any]) -> None:
        """PUT /_mock/faults; the server's answer comes back as `sigFaults`, a refusal
        or a failure as one line on `sigError`."""
        base = self.base_url
        if base is None:
            self.sigError.emit("start the embedded mock server first")
            return
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
                r = await client.put(f"{base}/_mock/faults", json=faults)
        except httpx.HTTPError as exc:
            self.sigError.emit(_line(f"mock faults not changed: {str(exc) or repr(exc)}"))
            return
        if r.status_code != 200:
            try:
                detail = r.json().get("detail", r.text)
            except ValueError:
                detail = r.text
            self.sigError.emit(_line(f"mock faults not changed: {detail}"))
            return
        self.sigFaults.emit(r.json())

    # -- network -----------------------------------------------------------------------
    @asyncSlot(str)
    async def set_network(self, spec: str) -> None:
        """PUT /_mock/network (server_mock/network.py): the mock's WebRTC peers and the
        byte-stream toxics of every connection; the answer comes back as `sigNetwork`."""
        base = self.base_url
        if base is None:
            return  # nothing to shape on the server side: the client's side still applies
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
                r = await client.put(f"{base}/_mock/network", json={"spec": spec})
        except httpx.HTTPError as exc:
            self.sigError.emit(_line(f"mock network not changed: {str(exc) or repr(exc)}"))
            return
        if r.status_code != 200:
            self.sigError.emit(_line(f"mock network not changed: {r.text}"))
            return
        self.sigNetwork.emit(r.json())


def _terminate(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM, unless it has exited already: `Popen.send_signal` polls first, which
    reaps the child under asyncio's watcher thread ("Unknown child process pid …")."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(OSError, AttributeError):  # waitid: POSIX, not Windows
        if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return  # exited: left for the watcher to reap
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
