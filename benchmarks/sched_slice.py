"""Ask Linux to run the measuring process soon after it wakes: a short scheduler slice.

On a small machine the engine shares its cores with the GUI (and often the mock): when
it wakes for a reply while both cores are busy, it waits in the run queue for as long
as the running task's slice lasts, and that wait is added to the round trip it
measures. Raising its priority needs privileges users do not have, and lowering the
GUI's (nice, SCHED_IDLE) cannot be undone by an unprivileged process. Linux's EEVDF
scheduler (6.6+; custom slices and PREEMPT_SHORT since 6.12) takes a per-task slice
through `sched_setattr(2)` instead, without privileges and without a larger share of
the CPU: a task with a short slice gets an early deadline when it wakes, so it
preempts a task with the default slice (~0.7-3 ms) at once rather than after it.

`request_short_slice` does that for every thread of a process and says whether it
worked; elsewhere (other systems, older kernels, seccomp) it does nothing, silently.
A probe of `gui_overhead.py --variants slice,slice-all`: not in the app, because on
this machine (loaded by other work) it has not yet measured better than without it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import struct
import sys

SHORT_SLICE_NS = 100_000  # the least Linux accepts (0.1 ms)
# struct sched_attr (include/uapi/linux/sched/types.h), version 1: 56 bytes
_ATTR = struct.Struct("=IIQiIQQQII")
_SYSCALLS = {"x86_64": (314, 315), "aarch64": (274, 275)}  # sched_setattr, sched_getattr


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux") or platform.machine() not in _SYSCALLS:
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def slice_ns(tid: int = 0) -> int | None:
    """The thread's scheduler slice in ns (None when it cannot be read)."""
    libc = _libc()
    if libc is None:
        return None
    buf = ctypes.create_string_buffer(_ATTR.size)
    if libc.syscall(_SYSCALLS[platform.machine()][1], tid, buf, _ATTR.size, 0) != 0:
        return None
    return int(_ATTR.unpack(buf.raw)[5])


def set_slice(tid: int, ns: int) -> bool:
    """Give thread `tid` (0: the calling one) a slice of `ns`, keeping its policy and
    nice value; False when the system does not take it."""
    libc = _libc()
    if libc is None:
        return False
    setattr_nr, getattr_nr = _SYSCALLS[platform.machine()]
    buf = ctypes.create_string_buffer(_ATTR.size)
    if libc.syscall(getattr_nr, tid, buf, _ATTR.size, 0) != 0:
        return False
    _, policy, _, nice, priority, *_ = _ATTR.unpack(buf.raw)
    if policy not in (os.SCHED_OTHER, os.SCHED_BATCH):
        return False  # real-time or idle: not ours to change
    new = _ATTR.pack(_ATTR.size, policy, 0, nice, priority, ns, 0, 0, 0, 0)
    return libc.syscall(setattr_nr, tid, ctypes.c_char_p(new), 0) == 0


def request_short_slice(pid: int | None = None, ns: int = SHORT_SLICE_NS) -> bool:
    """A short slice for every thread of `pid` (default: this process); True when each
    took it. Threads started later inherit it from the one that starts them."""
    pid = os.getpid() if pid is None else pid
    ok = True
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return False
    for tid in tids:
        with contextlib.suppress(OSError):
            ok = set_slice(tid, ns) and ok
    return ok
