"""A child process ends when the process that started it dies, however it dies.

A parent that exits normally stops its children itself (`MockProcess.stop`, the GUI's
shutdown); SIGKILL, a crash or an OOM kill run none of that code, and the child was
reparented to PID 1 and went on listening. Two mechanisms, both set up by the child:

- **The lifeline pipe** (every platform). The parent keeps the write end of a pipe the
  child reads — its stdin — and never writes to it. The kernel closes the write end when
  the parent dies, however it dies, and the child's reader sees end of file. A daemon
  thread in the child waits for that, then sends the child SIGTERM (so its clean stop
  runs: the mock closes its sessions) and, if it is still alive `grace_s` later, ends it
  with `os._exit`. The engine process of the GUI, a `multiprocessing` child, watches its
  parent's sentinel the same way (a pipe on POSIX, a process handle on Windows).
- **The parent-death signal** (Linux only): `prctl(PR_SET_PDEATHSIG, SIGTERM)` makes the
  kernel send SIGTERM when the parent dies, without a thread. The kernel watches the
  *thread* that started the child, not the process: a child started from a short-lived
  thread would be signalled when that thread ends. So the parent asks for it only when
  it starts the child from its main thread (`child_env` decides), and the pipe is what
  every platform relies on. macOS and Windows get the pipe (or sentinel) alone, which
  reacts as fast: end of file arrives as soon as the parent's last handle is closed.

A parent says it holds a lifeline in the child's environment (`ENV`); `from_env` in the
child reads and removes it, so the child's own children do not inherit the request.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping

ENV = "RTPROBE_LIFELINE"
PIPE = "stdin"  # the child's stdin is the lifeline pipe
PDEATHSIG = "pdeathsig"  # and the parent-death signal is safe to ask for
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
GRACE_S = 5.0  # after SIGTERM, how long a child may take to stop cleanly


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child whose stdin is a pipe this process keeps open and never
    writes to (`env`, or this process's own, plus `ENV`)."""
    out = dict(os.environ if env is None else env)
    main = threading.current_thread() is threading.main_thread()
    out[ENV] = f"{PIPE},{PDEATHSIG}" if main else PIPE
    return out


def from_env(grace_s: float = GRACE_S) -> bool:
    """In a child: set up what the parent asked for in `ENV` (and remove it). True when a
    lifeline is being watched."""
    asked = set(os.environ.pop(ENV, "").split(","))
    if PDEATHSIG in asked:
        parent_death_signal()
    if PIPE in asked:
        watch_pipe(sys.stdin.fileno() if sys.stdin is not None else 0, grace_s)
        return True
    return False


def parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Linux: have the kernel send `sig` when the thread that started us ends. False where
    there is no prctl (macOS, Windows) or it failed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def watch_pipe(fd: int, grace_s: float = GRACE_S) -> threading.Thread:
    """End this process once `fd` (a pipe whose write end only the parent holds) reaches
    end of file; what arrives on it is ignored."""

    def until_eof() -> None:
        while True:
            try:
                if not os.read(fd, 4096):
                    return
            except InterruptedError:
                continue
            except OSError:  # closed under us: no lifeline left to watch
                return

    return watch(until_eof, grace_s)


def watch_sentinel(sentinel: int, grace_s: float = GRACE_S) -> threading.Thread:
    """End this process once `sentinel` (`multiprocessing.parent_process().sentinel`)
    says the parent is gone."""
    from multiprocessing.connection import wait

    def until_ready() -> None:
        while not wait([sentinel]):
            pass

    return watch(until_ready, grace_s)


def watch(parent_gone: Callable[[], None], grace_s: float = GRACE_S) -> threading.Thread:
    """A daemon thread: once `parent_gone()` returns, SIGTERM to this process (its clean
    stop), then `os._exit(1)` if it is still running `grace_s` later."""

    def run() -> None:
        parent_gone()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_s)  # a daemon thread: gone with the process when it stops in time
        os._exit(1)

    thread = threading.Thread(target=run, name="rtprobe-lifeline", daemon=True)
    thread.start()
    return thread
