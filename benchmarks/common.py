"""What every benchmark shares, so each script holds only its own measurement.

- latency percentiles come from core's HDR histogram (`app.core.metrics`), the same
  numbers the app reports, never from a second percentile routine;
- a round that measured nothing raises `NoSamples`, and `run()` turns that into one
  `error:` line on stderr and a non-zero exit: percentiles of nothing are not a result;
- CPU use of given processes and of the rest of the machine, from Linux `/proc`;
- ratios against the baseline measured in the same run, the `--json` option and strict
  JSON output (NaN becomes null).

The scripts run as `python benchmarks/NAME.py`: each puts the repository on `sys.path`
(`sys.path.insert(0, REPO)`) before `from benchmarks.common import ...`, so the scripts,
their worker processes and the tests all load this one module.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.metrics import LatencyHistogram, Percentiles
from server_mock.process import MockProcess

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
NS = 1_000_000_000
MS = 1_000_000
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- no samples, no numbers ------------------------------------------------------------
class NoSamples(RuntimeError):
    """A measured round collected no samples: any percentile of it would be made up."""


def require_samples(round_name: str, count: int) -> None:
    """Raise `NoSamples` naming the round when it measured nothing."""
    if count <= 0:
        raise NoSamples(f"{round_name}: no samples were measured, so there is nothing to report")


def run(main: Callable[[], int]) -> int:
    """Call a benchmark's `main`; a round without samples ends it with exit status 1."""
    try:
        return main()
    except NoSamples as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


# -- latency: core's HDR histogram -----------------------------------------------------
def histogram_of(values_ns: Iterable[int | float]) -> LatencyHistogram:
    """Durations in ns (collected in a list on the hot path) folded into a histogram after."""
    h = LatencyHistogram()
    for v in values_ns:
        h.record_ns(int(v))
    return h


def latency_summary(values_ns: Iterable[int | float], round_name: str) -> Percentiles:
    """Percentiles in ms of one round; `NoSamples` when the round has none."""
    h = histogram_of(values_ns)
    require_samples(round_name, h.count)
    return h.summary()


def percentile_ms(values_ns: Iterable[int | float], p: float) -> float:
    """One percentile in ms of a side figure (e.g. client loop lag): NaN when empty."""
    h = histogram_of(values_ns)
    return h.percentile_ms(p) if h.count else math.nan


def summary_fields(p: Percentiles) -> dict[str, float]:
    """The `--json` field names the benchmarks have always written (`p99_9_ms`, `n`)."""
    return {
        "n": p.count,
        "p50_ms": p.p50,
        "p90_ms": p.p90,
        "p99_ms": p.p99,
        "p99_9_ms": p.p999,
        "max_ms": p.max,
        "mean_ms": p.mean,
    }


# -- CPU from /proc --------------------------------------------------------------------
def proc_cpu_s(pid: int) -> float:
    """utime + stime of a process so far, in seconds, from /proc/PID/stat."""
    data = Path(f"/proc/{pid}/stat").read_text()
    fields = data[data.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def self_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine so far (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / CLK_TCK


@dataclass(frozen=True)
class CpuMark:
    wall_s: float
    procs_s: tuple[float, ...]
    self_s: float
    machine_s: float


@dataclass(frozen=True)
class CpuUsage:
    """Percent of one core over a window; `other_pct` is the rest of the machine: well
    above zero means someone else used the CPU and the figures are noisy."""

    wall_s: float
    procs_pct: tuple[float, ...]
    self_pct: float
    other_pct: float


class CpuSampler:
    """Marks the CPU seconds of `pids`, of this process and of the machine; `usage(a, b)`
    turns two marks into percentages."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = tuple(pids)

    def mark(self) -> CpuMark:
        return CpuMark(
            wall_s=time.monotonic(),
            procs_s=tuple(proc_cpu_s(p) for p in self.pids),
            self_s=self_cpu_s(),
            machine_s=machine_busy_s(),
        )

    @staticmethod
    def usage(a: CpuMark, b: CpuMark) -> CpuUsage:
        wall = b.wall_s - a.wall_s
        if wall <= 0:
            return CpuUsage(0.0, tuple(math.nan for _ in a.procs_s), math.nan, math.nan)
        procs = tuple(100 * (y - x) / wall for x, y in zip(a.procs_s, b.procs_s, strict=True))
        own = 100 * (b.self_s - a.self_s) / wall
        machine = 100 * (b.machine_s - a.machine_s) / wall
        return CpuUsage(wall, procs, own, machine - sum(procs) - own)


def settle(pid: int, max_s: float = 3.0, idle_cpu_s: float = 0.02) -> bool:
    """Wait (bounded) until a server's CPU is idle, so one step's backlog spares the next.
    True when it went idle within `max_s`."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        c0 = proc_cpu_s(pid)
        time.sleep(0.2)  # the sampling period of an idleness check, not a wait for a result
        if proc_cpu_s(pid) - c0 < idle_cpu_s:
            return True
    return False


# -- servers ---------------------------------------------------------------------------
@dataclass
class Server:
    """A named server process (the mock, or a baseline) and the WebSocket route measured."""

    name: str
    process: MockProcess
    ws_path: str

    @property
    def pid(self) -> int:
        pid = self.process.pid
        if pid is None:
            raise RuntimeError(f"the {self.name} server is not running")
        return pid

    @property
    def url(self) -> str:
        return self.process.ws_base + self.ws_path


# -- ratios and output -----------------------------------------------------------------
def ratio(a: float, b: float) -> float:
    """a / b, NaN when either side is missing or the baseline is zero."""
    if a is None or b is None or math.isnan(a) or math.isnan(b) or not b:
        return math.nan
    return a / b


def fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def ratio_line(label: str, ratios: dict[str, float]) -> str:
    """`label: p50 x1.05, p99 x0.97` (a missing ratio shows as `x-`)."""
    return f"{label}: " + ", ".join(f"{k} x{fmt(v, 2)}" for k, v in ratios.items())


def parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser described by the first paragraph of `doc`, with `--json FILE`."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--json", dest="json_out", metavar="FILE", help="write every number as JSON")
    return p


def json_clean(x: Any) -> Any:
    """NaN/inf become null, so the file is strict JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: json_clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_clean(v) for v in x]
    return x


def write_json(path: str | Path, data: Any) -> None:
    Path(path).write_text(
        json.dumps(json_clean(data), indent=2, allow_nan=False, default=str) + "\n"
    )


def machine_info(packages: Sequence[str] = ()) -> dict[str, Any]:
    """What a reader needs to compare two runs: cores, Python, package versions, load."""

    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {n: version(n) for n in packages},
        "loadavg_start": os.getloadavg(),
    }
