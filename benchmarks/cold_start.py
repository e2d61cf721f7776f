"""GUI start-up under Xvfb: how long from launch to a painted window, per phase.

    python benchmarks/cold_start.py                        # dist/rtprobe/rtprobe, 5 runs
    python benchmarks/cold_start.py --exe OTHER/rtprobe --runs 7 --json start.json
    python benchmarks/cold_start.py --exe source          # python -m app from this checkout

Each run starts `EXE gui --quit-after S` on its own Xvfb display with a fresh config
(no saved layout or session: the first start's four connections), and takes two
measures:
- outside: from launch to the moment `xwininfo` sees rtprobe's window viewable, polled
  every 20 ms (works for any build, also one without the report);
- inside: the `RTPROBE_STARTUP_REPORT=1` line (app.startup), when the build has it:
  each phase's share, when the window painted, the engine and the mock were up.
Target (issue 14): window painted ≤ 1.5 s. The page cache is warm after the first run
(dropping it needs root); the first run is reported on its own.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, machine_info, parser, write_json

POLL_S = 0.02
TIMEOUT_S = 60.0
TARGET_S = 1.5
REPORT = re.compile(r"^rtprobe start-up: .*$", re.M)


def parse_report(line: str) -> dict[str, float]:
    """The report's figures: each phase's share, `painted`, and each later step."""
    out: dict[str, float] = {}
    for name, value in re.findall(r"(?:: |, )([a-z ]+?) (\d+\.\d+) s", line.split("=")[0]):
        out[name] = float(value)
    painted = re.search(r"window painted at (\d+\.\d+) s", line)
    if painted:
        out["painted"] = float(painted.group(1))
    for name, value in re.findall(r"([a-z ]+) at (\d+\.\d+) s", line.split(";", 1)[-1]):
        out[name.strip()] = float(value)
    return out


def viewable(display: str, title: str = "rtprobe") -> bool:
    """Is a top-level window whose name starts with `title` viewable on `display`?"""
    env = {**os.environ, "DISPLAY": display}
    tree = subprocess.run(
        ["xwininfo", "-root", "-children"], capture_output=True, text=True, env=env
    ).stdout
    for wid in re.findall(rf'^\s+(0x[0-9a-f]+) "{re.escape(title)}', tree, re.M):
        info = subprocess.run(
            ["xwininfo", "-id", wid], capture_output=True, text=True, env=env
        ).stdout
        if "IsViewable" in info:
            return True
    return False


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    return xvfb, f":{number}"


def one_run(command: list[str], quit_after_s: float) -> dict[str, Any]:
    xvfb, display = start_xvfb()
    try:
        with tempfile.TemporaryDirectory() as home:
            env = {
                **os.environ,
                "DISPLAY": display,
                "RTPROBE_STARTUP_REPORT": "1",
                "XDG_CONFIG_HOME": f"{home}/config",
                "XDG_DATA_HOME": f"{home}/data",
                "XDG_CACHE_HOME": f"{home}/cache",
            }
            env.pop("QT_QPA_PLATFORM", None)
            start = time.perf_counter()
            proc = subprocess.Popen(
                [*command, "gui", "--quit-after", str(quit_after_s)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            seen = None
            while seen is None and proc.poll() is None and time.perf_counter() - start < TIMEOUT_S:
                if viewable(display):
                    seen = time.perf_counter() - start
                else:
                    time.sleep(POLL_S)
            _, err = proc.communicate(timeout=TIMEOUT_S)
            report = REPORT.search(err)
            return {
                "viewable_s": seen,
                "returncode": proc.returncode,
                "report": report.group(0) if report else None,
                **(parse_report(report.group(0)) if report else {}),
            }
    finally:
        xvfb.kill()
        xvfb.wait()


def main() -> int:
    p = parser(__doc__ or "")
    p.add_argument("--exe", default=str(REPO / "dist" / "rtprobe" / "rtprobe"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--quit-after", type=float, default=6.0, help="seconds each GUI stays up")
    args = p.parse_args()
    command = [sys.executable, "-m", "app"] if args.exe == "source" else [args.exe]
    runs = []
    for i in range(args.runs):
        run = one_run(command, args.quit_after)
        runs.append(run)
        print(f"run {i + 1}: viewable at {run['viewable_s']}s; {run['report']}", flush=True)
    keys = sorted({k for r in runs[1:] or runs for k, v in r.items() if isinstance(v, float)})
    medians = {
        k: statistics.median(v for r in runs[1:] or runs if isinstance(v := r.get(k), float))
        for k in keys
    }
    print("median of runs 2..N: " + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items()))
    painted = medians.get("painted", medians.get("viewable_s"))
    if painted is not None:
        print(f"window at {painted:.2f} s (target ≤ {TARGET_S} s)")
    if args.json_out:
        write_json(
            args.json_out,
            {"exe": args.exe, "runs": runs, "median": medians, "machine": machine_info()},
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
