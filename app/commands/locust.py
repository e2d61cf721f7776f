"""`rtprobe locust ...`: Locust, with rtprobe's locustfile and every flag passed through.

A thin wrapper: it runs `python -m locust -f app/load/locustfile.py ARGS` in place of
this process (POSIX `exec`; elsewhere a child whose exit code it returns), so signals,
the web UI, `--master/--worker`, `--processes` and Locust's exit code are Locust's own.
rtprobe's flags (`--transport`, `--target`, `--rate`, `--report-json`, `--assert`, …)
are added to Locust's parser by the locustfile; Locust prints its help before it
loads one, so `rtprobe locust --help` prints Locust's and then rtprobe's.
A `-f/--locustfile` among ARGS replaces ours (a locustfile of one's own that imports
`app.load.users`).

`--mock` (rtprobe's, taken out before Locust sees the rest) starts the embedded mock on
127.0.0.1 for the run, as `rtprobe run --mock` does, and passes `--mock-url` to Locust,
which then runs as a child: SIGINT and SIGTERM are handed to it, and the mock stops
when it ends. It serves this machine only: load machines elsewhere need
`rtprobe mock --host 0.0.0.0` and `--mock-url http://THAT-HOST:PORT` (README).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import app

LOCUSTFILE = Path(__file__).resolve().parents[1] / "load" / "locustfile.py"
HELP = "run Locust with rtprobe's users (flags pass through to Locust)"
MISSING = "rtprobe locust: Locust is not installed: pip install 'rtprobe[load]'"
NOT_BUNDLED = (
    "rtprobe locust: the distributed load part (Locust) is not in this bundle; "
    "run it from a Python install: pip install 'rtprobe[load]'"
)


def add_parser(sub: Any) -> None:
    """Listed in `rtprobe --help`; `app.cli.main` hands the arguments over unparsed."""
    sub.add_parser("locust", help=HELP, add_help=False)


def command(args: list[str]) -> list[str]:
    """The Locust command line for `rtprobe locust ARGS`."""
    own = any(a in ("-f", "--locustfile") or a.startswith("--locustfile=") for a in args)
    return [sys.executable, "-m", "locust", *([] if own else ["-f", str(LOCUSTFILE)]), *args]


def environment() -> dict[str, str]:
    """This environment, with rtprobe's own source importable by Locust's processes."""
    env = dict(os.environ)
    root = str(Path(app.__file__).resolve().parents[1])
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        env["PYTHONPATH"] = os.pathsep.join([root, *paths])
    return env


def rtprobe_help() -> str:
    """rtprobe's own flags, as the locustfile adds them to Locust's parser."""
    import argparse

    from app.load import options

    parser = argparse.ArgumentParser(prog="rtprobe locust", add_help=False, usage=argparse.SUPPRESS)
    options.add_arguments(parser)
    parser.add_argument(
        "--mock",
        action="store_true",
        help="(rtprobe locust only) start the embedded mock on 127.0.0.1 for the run and "
        "resolve app ids on it",
    )
    return parser.format_help().strip()


def main(args: list[str]) -> int:
    if getattr(sys, "frozen", False):  # the PyInstaller bundle: no Python to run Locust
        print(NOT_BUNDLED, file=sys.stderr)
        return 2
    if importlib.util.find_spec("locust") is None:
        print(MISSING, file=sys.stderr)
        return 2
    if "--mock" in args:
        return with_mock([a for a in args if a != "--mock"])
    cmd = command(args)
    if "-h" in args or "--help" in args:
        code = subprocess.call(cmd, env=environment())
        print("\n" + rtprobe_help())
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        # SIGINT inherited as ignored (a background job of a script) would stay ignored
        # across exec, and Locust would never stop on it; rtprobe run stops on it too.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(cmd[0], cmd, environment())  # Locust replaces this process
    return subprocess.call(cmd, env=environment())


def with_mock(args: list[str]) -> int:
    """Locust as a child, against the embedded mock on 127.0.0.1, stopped after."""
    from server_mock.process import MockProcess

    if any(a == "--mock-url" or a.startswith("--mock-url=") for a in args):
        print("rtprobe locust: give --mock or --mock-url, not both", file=sys.stderr)
        return 2
    mock = MockProcess()
    try:
        base = mock.start()
    except (RuntimeError, OSError) as exc:
        mock.stop()
        print(f"rtprobe locust: the mock did not start: {exc}", file=sys.stderr)
        return 2
    try:
        children: list[subprocess.Popen[bytes]] = []

        def forward(signum: int, frame: FrameType | None) -> None:
            for child in children:
                child.send_signal(signum)

        # Handlers installed before the child starts: exec resets a caught signal to its
        # default in the child, while an inherited SIG_IGN (a background job of a script)
        # would stay, and Locust would ignore the SIGINT forwarded to it.
        previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            children.append(
                subprocess.Popen(command([*args, "--mock-url", base]), env=environment())
            )
            return children[0].wait()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    finally:
        mock.stop()
