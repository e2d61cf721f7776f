"""One open-loop round of either client against a running mock, each in its own process
(the measuring process never shares a loop or a GIL with the mock or the other client):

- `bare`: `benchmarks/open_loop_client.py`, plain asyncio + websockets + msgpack;
- `rtprobe`: `python -m app run URL --rate R --concurrency C --duration S --warmup N
  --json FILE --no-history`, the command a user runs (checkpoints, GC tuning and all).

Both send `{"rtprobe_seq": j}` maps to the mock's realtime echo and report the round trip
from the intended send time and the send lag, with the first N messages of every
session left out. `round_once` raises `NoSamples` when a round measured nothing.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, NoSamples

CLIENTS = ("bare", "rtprobe")
# another checkout's rtprobe as a third client ("before" vs "after" in one run)
OTHER_TREE = os.environ.get("RTPROBE_OTHER_TREE", "")
FIGURES = ("p50", "p99", "p999", "max")


@dataclass(frozen=True)
class Round:
    client: str
    rate: float
    rtt: dict[str, float]  # ms
    send_lag: dict[str, float]  # ms
    sent: int
    lost: int
    cpu_s: float = 0.0  # the client process's user + system CPU over the round


def _command(client: str, url: str, rate: float, conc: int, dur: float, warmup: int, out: str):
    common = ["--rate", f"{rate:g}", "--concurrency", str(conc), "--duration", f"{dur:g}"]
    common += ["--warmup", str(warmup)]
    if client == "bare":
        return [sys.executable, str(REPO / "benchmarks" / "open_loop_client.py"), url, *common]
    if client == "other":
        return [
            sys.executable,
            "-m",
            "app",
            "run",
            "realtime",
            url,
            *common,
            "--no-history",
            "--json",
            out,
        ]
    return [
        sys.executable,
        "-m",
        "app",
        "run",
        "realtime",
        url,
        *common,
        "--json",
        out,
        "--no-history",
    ]


def round_once(
    client: str, ws_base: str, rate: float, concurrency: int, duration_s: float, warmup: int
) -> Round:
    """One round of `client` at `rate` msg/s in all, over `concurrency` sessions."""
    url = ws_base + "/mock/echo/realtime"
    with tempfile.TemporaryDirectory(prefix="rtprobe-openloop-") as tmp:
        out = str(Path(tmp) / "summary.json")
        cmd = _command(client, url, rate, concurrency, duration_s, warmup, out)
        env = dict(os.environ)
        if client == "other":
            env["PYTHONPATH"] = OTHER_TREE
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(
            cmd,
            cwd=OTHER_TREE if client == "other" else REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=duration_s + 60,
            check=False,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        name = f"{client} at {rate:g} msg/s"
        if proc.returncode not in (0, 3):  # 3: rtprobe ran but an outcome was not clean
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise NoSamples(f"{name}: exit {proc.returncode}: {tail[0]}")
        if client == "bare":
            data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
            rtt, lag, sent, lost = data["rtt"], data["send_lag"], data["sent"], data["lost"]
        else:
            data = json.loads(Path(out).read_text())
            rtt, lag = data["rtt_ms"], data["send_lag_ms"]
            sent = data["sent"]
            lost = sent - data["received"]
    if not rtt or not lag or not rtt.get("count") or not lag.get("count"):
        raise NoSamples(f"{name}: no samples were measured, so there is nothing to report")
    pick = lambda d: {k: float(d[k]) for k in FIGURES}  # noqa: E731
    return Round(client, rate, pick(rtt), pick(lag), int(sent), int(lost), cpu_s)


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def spread(values: list[float]) -> tuple[float, float]:
    return min(values), max(values)
