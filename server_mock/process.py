"""The mock in its own process, so a measuring client does not share its event loop
or its GIL (`rtprobe run --mock`, `rtprobe calibrate`, benchmarks)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from types import TracebackType

LISTENING = re.compile(r"listening on (http://\S+)")


def mock_command(*args: str) -> list[str]:
    """How to start `rtprobe mock`, from source or from a PyInstaller bundle."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "mock", *args]
    return [sys.executable, "-m", "app", "mock", *args]


class MockProcess:
    """`with MockProcess() as base_url:` runs `rtprobe mock --port 0` and stops it after."""

    def __init__(self, *args: str, start_timeout_s: float = 30.0) -> None:
        self.args = ("--port", "0", "--log-level", "warning", *args)
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self) -> str:
        self.proc = subprocess.Popen(
            mock_command(*self.args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
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
        return self.base_url

    def _drain(self) -> None:
        if self.proc is not None and self.proc.stderr is not None:
            for _ in self.proc.stderr:
                pass

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

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
