"""What `gui_overhead.py` looks at inside a round, beside latency and CPU: why the p99 tail.

- Run-queue wait (`/proc/PID/task/*/schedstat`, second field): the time a process's
  threads were runnable but not running, i.e. waiting for a CPU. On 2 cores with three
  busy processes (mock, engine, GUI) this says directly how long the engine waited.
- GUI busy intervals: the GUI thread is busy while it delivers an event (timed around
  the application's outermost `notify`); plot paints are timed apart. Both on
  `time.perf_counter`, the
  engine's clock (CLOCK_MONOTONIC, one clock for every process on Linux), so each
  sample's round trip can be checked against them: do the tail samples coincide with
  the GUI's bursts more often than samples in general do?
- Variants (`--variants`): scheduling and painting choices applied to a GUI round only,
  so they can be compared with the plain GUI in the same run, alternately.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


# -- run-queue wait ---------------------------------------------------------------------------
def wait_ns(pid: int) -> int:
    """Run-queue wait of every thread of `pid` so far, in ns (0 when unreadable)."""
    total = 0
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                total += int((task / "schedstat").read_text().split()[1])
    return total


def waits(pids: Sequence[int]) -> list[int]:
    return [wait_ns(p) for p in pids]


# -- GUI busy intervals -----------------------------------------------------------------------
@dataclass
class Busy:
    """Intervals (start, end) in perf_counter seconds, recorded while `on`."""

    awake: list[tuple[float, float]] = field(default_factory=list)  # handling events
    paints: list[tuple[float, float]] = field(default_factory=list)  # of the plots
    gcs: list[tuple[float, float, int]] = field(default_factory=list)  # start, end, generation
    _gc_start: float = 0.0

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_start = now
        elif self._gc_start:
            self.gcs.append((self._gc_start, now, info["generation"]))


def timed_application(busy: Busy) -> Any:
    """A QApplication whose every event delivered from the event loop is timed into
    `busy.awake` (the outermost `notify` only: what the GUI thread did between waits),
    and whose plots' paints are timed into `busy.paints`."""
    from PySide6.QtWidgets import QApplication

    from app.gui.plots import LivePlots

    class TimedApp(QApplication):
        depth = 0

        def notify(self, receiver: Any, event: Any) -> bool:
            if TimedApp.depth:
                return super().notify(receiver, event)
            TimedApp.depth = 1
            t0 = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                TimedApp.depth = 0
                busy.awake.append((t0, time.perf_counter()))

    base = LivePlots.paintEvent

    def paint(self: Any, ev: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return base(self, ev)
        finally:
            busy.paints.append((t0, time.perf_counter()))

    LivePlots.paintEvent = paint  # type: ignore[method-assign]
    gc.callbacks.append(busy.on_gc)
    return TimedApp([])


def _merged(intervals: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    if not intervals:
        return np.zeros(0), np.zeros(0)
    a = np.asarray(sorted(intervals))
    starts, ends = [a[0, 0]], [a[0, 1]]
    for s, e in a[1:]:
        if s <= ends[-1]:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)
    return np.asarray(starts), np.asarray(ends)


def overlaps(
    a: np.ndarray, b: np.ndarray, intervals: list[tuple[float, float]], pad_s: float = 0.0
) -> np.ndarray:
    """Per sample [a, b]: True when some interval (widened by `pad_s`) overlaps it."""
    starts, ends = _merged(intervals)
    if not len(starts):
        return np.zeros(len(a), dtype=bool)
    i = np.searchsorted(starts - pad_s, b, side="right") - 1
    ok = i >= 0
    out = np.zeros(len(a), dtype=bool)
    out[ok] = ends[i[ok]] + pad_s > a[ok]
    return out


def coincidence(
    samples: list[tuple[np.ndarray, np.ndarray]],
    busy: Busy,
    window: tuple[float, float],
) -> dict[str, float]:
    """How often the slowest 1 % of samples (and those over 2x the median) overlap a GUI
    awake period or a plot paint, against how often all samples do; and the share of the
    window the GUI thread was awake / painting. `samples`: (send time s, rtt ms) per
    connection, on perf_counter's clock."""
    if not samples:
        return {"samples": 0.0}
    t = np.concatenate([s[0] for s in samples])
    ms = np.concatenate([s[1] for s in samples])
    keep = (t >= window[0]) & (t <= window[1])
    t, ms = t[keep], ms[keep]
    if len(t) < 100:  # a slowest 1 % of fewer than one sample says nothing
        return {"samples": float(len(t))}
    end = t + ms / 1e3
    p99, p50 = float(np.percentile(ms, 99)), float(np.percentile(ms, 50))
    tail, slow = ms >= p99, ms >= 2 * p50
    span = window[1] - window[0]
    out: dict[str, float] = {"tail_threshold_ms": p99, "samples": float(len(t))}
    gcs = [(a, b) for a, b, _ in busy.gcs]
    full = [(a, b) for a, b, g in busy.gcs if g == 2]
    for gen in (0, 1, 2):
        inside = [(a, b) for a, b, g in busy.gcs if g == gen and window[0] <= a <= window[1]]
        out[f"gc{gen}_per_s"] = len(inside) / span
        out[f"gc{gen}_ms_per_s"] = sum(b - a for a, b in inside) * 1e3 / span
        if inside:
            out[f"gc{gen}_max_ms"] = max(b - a for a, b in inside) * 1e3
    for name, intervals in (
        ("awake", busy.awake), ("paint", busy.paints), ("gc", gcs), ("gc2", full)
    ):  # fmt: skip
        inside = [(s, e) for s, e in intervals if e >= window[0] and s <= window[1]]
        hit = overlaps(t, end, inside)
        out[f"{name}_share_of_time"] = sum(e - s for s, e in inside) / span
        out[f"all_overlap_{name}"] = float(hit.mean())
        out[f"tail_overlap_{name}"] = float(hit[tail].mean()) if tail.any() else float("nan")
        out[f"slow_overlap_{name}"] = float(hit[slow].mean()) if slow.any() else float("nan")
        durations = np.asarray([e - s for s, e in inside]) * 1e3
        if len(durations):
            out[f"{name}_p50_ms"] = float(np.percentile(durations, 50))
            out[f"{name}_p99_ms"] = float(np.percentile(durations, 99))
            out[f"{name}_max_ms"] = float(durations.max())
    return out


# -- variants ---------------------------------------------------------------------------------
@dataclass
class Context:
    """What a variant may change in a GUI round: the window, and the pids around it."""

    window: Any
    engine_pid: int
    mock_pid: int | None
    undo: list[Callable[[], None]] = field(default_factory=list)


def _all_threads(policy: int) -> None:
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(int(task), policy, os.sched_param(0))


def _pin(pid: int, cpus: set[int], ctx: Context) -> None:
    before = os.sched_getaffinity(pid)
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task), cpus)

    def undo() -> None:
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task), before)

    ctx.undo.append(undo)


def v_batch(ctx: Context) -> None:
    _all_threads(os.SCHED_BATCH)


def v_idle(ctx: Context) -> None:
    _all_threads(os.SCHED_IDLE)


def v_pin_split(ctx: Context) -> None:
    """GUI and mock share CPU 0; the engine has CPU 1 to itself."""
    _pin(os.getpid(), {0}, ctx)
    if ctx.mock_pid:
        _pin(ctx.mock_pid, {0}, ctx)
    _pin(ctx.engine_pid, {1}, ctx)


def v_pin_gui(ctx: Context) -> None:
    """The GUI on CPU 0 only; engine and mock go where the kernel puts them."""
    _pin(os.getpid(), {0}, ctx)


def v_nice(ctx: Context) -> None:
    os.nice(10)


def _short_slice(pid: int, ctx: Context) -> None:
    from benchmarks.sched_slice import request_short_slice, set_slice, slice_ns

    tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    before = {t: slice_ns(t) for t in tids}
    request_short_slice(pid)

    def undo() -> None:
        for tid, ns in before.items():
            if ns:
                with contextlib.suppress(OSError):
                    set_slice(tid, ns)

    ctx.undo.append(undo)


def v_slice(ctx: Context) -> None:
    """The engine process asks for a short EEVDF slice (benchmarks/sched_slice.py)."""
    _short_slice(ctx.engine_pid, ctx)


def v_slice_all(ctx: Context) -> None:
    """The engine and the mock ask for a short slice."""
    _short_slice(ctx.engine_pid, ctx)
    if ctx.mock_pid:
        _short_slice(ctx.mock_pid, ctx)


VARIANTS: dict[str, Callable[[Context], None] | None] = {
    "base": None,
    "batch": v_batch,
    "idle": v_idle,
    "pin-split": v_pin_split,
    "pin-gui": v_pin_gui,
    "nice10": v_nice,
    "slice": v_slice,
    "slice-all": v_slice_all,
    # no GUI: a process burning the target's GUI CPU beside a headless engine (a floor)
    "hog": None,
    "hog-idle": None,
}


def apply(name: str, ctx: Context) -> None:
    fn = VARIANTS[name]
    if fn is not None:
        fn(ctx)


def undo(ctx: Context) -> None:
    for fn in reversed(ctx.undo):
        with contextlib.suppress(OSError):
            fn()
    ctx.undo.clear()
