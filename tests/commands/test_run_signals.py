"""`rtprobe mock` and `rtprobe run` end cleanly on SIGINT and SIGTERM, even when they
start with SIGINT ignored, as a background job of a non-interactive shell does.

Every process here is started with its dispositions set explicitly (SIGINT ignored,
in a session of its own), so no test depends on what pytest itself inherited.
"""

from __future__ import annotations

import json
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.support.procs import alive, children, listening_ports
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads processes and sockets from /proc"
)

RTPROBE = [sys.executable, "-m", "app"]
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM]
EXIT_S = 15.0  # generous for a loaded machine; a clean stop takes well under a second
START_S = 30.0  # likewise for a process to start and reach the mock


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*RTPROBE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # no terminal's Ctrl+C reaches it but ours
        preexec_fn=_ignore_sigint,
    )


def first_line(proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"no line on stdout within {timeout:g} s")
    return proc.stdout.readline()


def sessions(base: str) -> int:
    try:
        return httpx.get(base + "/health", timeout=2).json()["sessions"]
    except httpx.HTTPError:
        return 0


def stop_with(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=EXIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=EXIT_S)
        raise AssertionError(
            f"still running {EXIT_S:g} s after {signal.Signals(sig).name}"
        ) from None
    return proc.returncode, out, err


@pytest.fixture
def procs() -> Callable[..., subprocess.Popen[str]]:
    """Start processes that are killed (by PID) if a test leaves them running."""
    started: list[subprocess.Popen[str]] = []

    def run(*args: str) -> subprocess.Popen[str]:
        proc = start(*args)
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=EXIT_S)


@pytest.mark.parametrize("sig", STOP_SIGNALS, ids=lambda s: s.name)
def test_mock_stops_cleanly(procs, sig: signal.Signals) -> None:
    proc = procs("mock", "--port", "0", "--log-level", "warning")
    match = LISTENING.search(first_line(proc))
    assert match
    assert httpx.get(match.group(1) + "/health", timeout=5).json()["status"] == "ok"
    code, _, err = stop_with(proc, sig)
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize("sig", STOP_SIGNALS, ids=lambda s: s.name)
def test_run_stops_and_writes_its_reports(procs, start_mock, tmp_path: Path, sig) -> None:
    report, samples = tmp_path / "run.json", tmp_path / "run.csv"
    with start_mock() as base:
        proc = procs(
            "run",
            "realtime",
            f"{base}/mock/echo/realtime",
            "--duration",
            "120",
            "--rate",
            "20",
            "--json",
            str(report),
            "--csv",
            str(samples),
        )
        wait_until(lambda: sessions(base) >= 1, START_S, what="the run's session on the mock")
        t0 = time.monotonic()
        code, out, err = stop_with(proc, sig)
    assert code == 128 + sig, err
    assert time.monotonic() - t0 < EXIT_S
    assert f"interrupted by {sig.name}" in err and "Traceback" not in err
    summary = json.loads(report.read_text())
    assert summary["transport"] == "realtime"
    assert samples.read_text().startswith("session,")
    assert "sent " in out  # the summary is printed too


@pytest.mark.parametrize("sig", STOP_SIGNALS, ids=lambda s: s.name)
def test_run_with_mock_child_leaves_no_orphan(procs, tmp_path: Path, sig) -> None:
    report = tmp_path / "run.json"
    proc = procs(
        "run",
        "realtime",
        "mock/echo",
        "--mock",
        "--duration",
        "120",
        "--rate",
        "20",
        "--json",
        str(report),
    )

    def mock_child() -> tuple[int, int] | None:
        for pid in children(proc.pid):
            ports = listening_ports(pid)
            if ports:
                return pid, min(ports)
        return None

    child, port = wait_until(mock_child, START_S, what="the mock child listening")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: sessions(base) >= 1, START_S, what="the run's session on its mock")
    code, _, err = stop_with(proc, sig)
    assert code == 128 + sig, err
    assert report.exists() and json.loads(report.read_text())["transport"] == "realtime"
    wait_until(lambda: not alive(child), EXIT_S, what=f"mock child {child} to end")
