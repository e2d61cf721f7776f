"""Running Locust with rtprobe's locustfile from a test: its processes, bounded, and the
checks every distributed run must pass (exact merge, complete accounting).

Each worker dumps every round trip it measured (RTPROBE_LOAD_DUMP, tests only), so the
merged report can be checked against one histogram fed every sample.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from app.commands.locust import LOCUSTFILE
from app.core.metrics import LatencyHistogram
from app.load.recorder import DUMP_ENV

ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 90  # each Locust process, from start to exit (the machine may be loaded)


def env(dump: Path) -> dict[str, str]:
    out = dict(os.environ, PYTHONPATH=str(ROOT), **{DUMP_ENV: str(dump)})
    out.pop("FAL_KEY", None)
    return out


def locust(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_workers(n: int, port: str, dump: Path) -> list[subprocess.Popen[bytes]]:
    worker = locust("--worker", "--master-host", "127.0.0.1", "--master-port", port)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    return [subprocess.Popen(worker, env=env(dump), **quiet) for _ in range(n)]  # type: ignore[call-overload]


def master(port: str, workers: int, *flags: str) -> list[str]:
    return locust(
        "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
        "--expect-workers", str(workers), "--expect-workers-max-wait", "60", *flags,
    )  # fmt: skip


def end(procs: list[subprocess.Popen[bytes]]) -> list[int | None]:
    """Wait for each (bounded), kill what is left; their exit codes."""
    for p in procs:
        try:
            p.wait(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
    return [p.returncode for p in procs]


def check_exact(report: Path, dump: Path, workers: int, users: int) -> dict:
    """The merged report holds exactly what the workers measured, every message with
    one outcome."""
    data = json.loads(report.read_text())
    dumps = [json.loads(p.read_text()) for p in sorted(dump.glob("worker-*.json"))]
    assert len(dumps) == workers
    assert data["workers"] == workers and data["users"] == users
    assert "partial" not in data
    rtts = [ns for d in dumps for ns in d["rtt_ns"]]
    assert data["rtt_ms"]["count"] == len(rtts) > 0  # merged count == sum of the workers'
    assert data["sent"] == sum(d["sent"] for d in dumps)
    one = LatencyHistogram()
    for ns in rtts:
        one.record_ns(ns)
    assert data["rtt_ms"] == one.summary().rounded(4).as_dict()  # exact, not approximate
    assert data["sent"] == data["received"] + data["errors"] + data["dropped"] + data["timeouts"]
    assert data["received"] == len(rtts)
    assert data["connection"]["load_workers"] == workers
    assert sum(data["per_second"]["received"]) == data["received"]
    assert sum(data["per_second"]["rtt_ms"]["count"]) == data["received"]
    return data
