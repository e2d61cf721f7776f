"""The mock in its own process, so a measuring client does not share its event loop
or its GIL (`rtprobe run --mock`, `rtprobe calibrate`, benchmarks).

The child dies with its parent, however the parent dies: its stdin is a lifeline pipe
(see app.core.lifeline) that only this process holds open.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import IO

from app.core import lifeline

LISTENING = re.compile(r"listening on (http://\S+)")


def mock_command(*args: str) -> list[str]:
    """How to start `rtprobe mock`, from source or from a PyInstaller bundle."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "mock", *args]
    return [sys.executable, "-m", "app", "mock", *args]


def _discard(stream: IO[str]) -> None:
    for _ in stream:
        pass


class MockProcess:
    """`with MockProcess() as base_url:` runs `rtprobe mock --port 0` and stops it after.

    `command` runs another server instead (a benchmark's baseline): any program that
    prints `listening on http://HOST:PORT` as its first stdout line. `env` replaces the
    child's environment. The last `STDERR_KEPT` stderr lines are kept (and counted), so a
    caller can show why a server misbehaved after it stopped.

    `start()` is `spawn()` then `wait_listening()`: a caller on an event loop spawns on its
    main thread (where Linux's parent-death signal is safe, see app.core.lifeline) and
    waits on a worker thread.
    """

    STDERR_KEPT = 20

    def __init__(
        self,
        *args: str,
        start_timeout_s: float = 30.0,
        command: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.args = ("--port", "0", "--log-level", "warning", *args)
        self.start_timeout_s = start_timeout_s
        self.command = list(command) if command is not None else None
        self.env = dict(env) if env is not None else None
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=self.STDERR_KEPT)
        self.stderr_lines = 0

    def start(self) -> str:
        self.spawn()
        return self.wait_listening()

    def spawn(self) -> None:
        """Start the process; its stdin is the lifeline, held open until `stop()`."""
        self.proc = subprocess.Popen(
            self.command if self.command is not None else mock_command(*self.args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.PIPE,
            text=True,
            env=lifeline.child_env(self.env),
        )

    def wait_listening(self) -> str:
        """The base URL, once the process said where it listens (RuntimeError if not)."""
        if self.proc is None:
            raise RuntimeError("mock server process not started")
        line: list[str] = []
        stdout = self.proc.stdout
        assert stdout is not None  # stdout=PIPE above
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout_s)
        match = LISTENING.search(line[0]) if line else None
        if not match:
            err = ""
            if self.proc.poll() is not None and self.proc.stderr is not None:
                tail = self.proc.stderr.read().strip().splitlines()
                err = tail[-1] if tail else ""
            self.stop()
            raise RuntimeError(f"mock server process did not start{': ' + err if err else ''}")
        self.base_url = match.group(1)
        # keep draining stderr so a chatty server never blocks on a full pipe
        threading.Thread(target=self._drain, daemon=True).start()
        # and stdout too: a server that prints more than its first line must not block
        threading.Thread(target=_discard, args=(stdout,), daemon=True).start()
        return self.base_url

    def _drain(self) -> None:
        if self.proc is not None and self.proc.stderr is not None:
            for text in self.proc.stderr:
                self.stderr_lines += 1
                self.stderr_tail.append(text.rstrip("\n"))

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def ws_base(self) -> str:
        """`ws://HOST:PORT` of the running server."""
        return self.base_url.replace("http://", "ws://", 1)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdin is not None:
            self.proc.stdin.close()  # the lifeline: never written, closed once it ended
        self.proc = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
