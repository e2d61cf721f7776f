"""The GUI yields the CPU to the engine: after the engine's process has started, the
GUI's main thread lowers its own scheduling priority (nice +10 by default).

Measured with `benchmarks/gui_overhead.py` on 2 cores (4 connections, 1,000 msg/s): at
equal priority a waking engine often waits behind a redraw, and the p99 round trip with
the GUI plotting is 1.69x headless; with the GUI at nice +10 it is 1.23x, with the
redraw rate (31 fps) and the GUI's CPU (29 %) unchanged. The engine was started before
this, so it keeps its priority; processes the GUI starts later (the embedded mock) run
at the GUI's priority, so the mock and the GUI compete as before and both yield to the
engine. `RTPROBE_GUI_NICE=0` keeps the default priority."""

from __future__ import annotations

import contextlib
import os
import threading

DEFAULT_NICE = 10
ENV = "RTPROBE_GUI_NICE"


def wanted_nice(env: dict[str, str] | None = None) -> int:
    """The increment asked for: `RTPROBE_GUI_NICE` (0-19), else `DEFAULT_NICE`."""
    raw = (os.environ if env is None else env).get(ENV, "").strip()
    if not raw:
        return DEFAULT_NICE
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_NICE
    return min(max(value, 0), 19)


def lower_gui_priority(env: dict[str, str] | None = None) -> int:
    """Lower this thread's priority by `wanted_nice()`; returns its nice value after
    (unchanged where the system says no; never an error: priority is an optimisation)."""
    tid = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, tid)
    except (OSError, AttributeError):
        return 0
    step = wanted_nice(env)
    if step:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, min(now + step, 19))
    with contextlib.suppress(OSError):
        now = os.getpriority(os.PRIO_PROCESS, tid)
    return now
