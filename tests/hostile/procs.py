"""Processes seen from /proc: what a kill test needs to prove nothing outlived it.

Every process a test starts carries the test's own marker in its environment, and every
child and grandchild inherits it (a command line cannot carry it: the mock's is fixed).
`marked(marker)` lists the processes that are still running with it, so a test can say
"nothing is left" without knowing their PIDs, and `reap` stops (by PID) what a failing
test left, so no run of the suite leaves an orphan behind either.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# the hostile tests read these as procs.alive / procs.listening: re-exported on purpose
from tests.support.procs import alive as alive
from tests.support.procs import listening as listening
from tests.support.procs import listening_ports, parent
from tests.support.waiting import wait_until

MARKER_ENV = "RTPROBE_TEST_MARKER"
RTPROBE = [sys.executable, "-m", "app"]
START_S = 60.0  # a ceiling for a loaded machine: a cold start imports the whole mock
GONE_S = 15.0  # a ceiling for a child to notice its parent died and end

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/environ").exists(), reason="reads processes and sockets from /proc"
)


def new_marker() -> str:
    return f"rtprobe-test-{uuid.uuid4().hex}"


def marked_env(marker: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, MARKER_ENV: marker, **extra}
    env.pop("RTPROBE_LIFELINE", None)  # a test's process is started by no rtprobe
    return env


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def marked(marker: str) -> list[int]:
    """Running processes whose environment or command line holds `marker`."""
    needle = marker.encode()
    out = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            found = needle in (entry / "environ").read_bytes()
            found = found or needle in (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if found and alive(pid):
            out.append(pid)
    return out


def children(pid: int, marker: str) -> list[int]:
    return [p for p in marked(marker) if parent(p) == pid]


def mock_child(pid: int, marker: str) -> tuple[int, int] | None:
    """(PID, port) of the child of `pid` that listens, once there is one."""
    for child in children(pid, marker):
        ports = listening_ports(child)
        if ports:
            return child, min(ports)
    return None


def start(marker: str, args: list[str], **popen: object) -> subprocess.Popen[str]:
    """A process in a session of its own (no terminal's signal reaches it but ours)."""
    kwargs: dict[str, object] = {
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "stdin": subprocess.DEVNULL,
        "text": True,
        "start_new_session": True,
        "env": marked_env(marker),
    }
    kwargs.update(popen)
    return subprocess.Popen(args, **kwargs)  # type: ignore[call-overload]  # kwargs as built


def sigkill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL, then reap it, so its PID is gone and only its children are left to end."""
    proc.kill()
    proc.communicate(timeout=GONE_S)


def wait_gone(marker: str, what: str) -> None:
    wait_until(lambda: not marked(marker), GONE_S, what=what, interval_s=0.05)


def watched() -> Iterator[str]:
    """For a fixture: a unique marker for one test's processes; any still running after
    the test are stopped (by PID) and fail it."""
    mark = new_marker()
    yield mark
    left = reap(mark)
    assert not left, f"processes outlived the test: {left}"


def reap(marker: str) -> dict[int, str]:
    """SIGKILL every process still running with `marker`; what they were."""
    left = {pid: cmdline(pid) for pid in marked(marker)}
    for pid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return left


def read_line(proc: subprocess.Popen[str], timeout_s: float = START_S) -> str:
    """The next stdout line of `proc`, waiting at most `timeout_s` for it."""
    import selectors

    assert proc.stdout is not None  # started with stdout=PIPE
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout_s):
            raise AssertionError(f"no line on stdout within {timeout_s:g} s")
    return proc.stdout.readline()
