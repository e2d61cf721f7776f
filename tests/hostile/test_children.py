"""Finding 3: children die with their parent, however it dies.

SIGKILL on `rtprobe run --mock` left the mock running, reparented to PID 1 and still
listening. Here each kind of child (the mock of `rtprobe run --mock`, a `MockProcess`,
the GUI's embedded mock and its engine process) is started by a parent that is then
killed with SIGKILL, and must be gone, its port closed, within a bounded time. Every
process carries the test's marker in its environment: none may be left at the end.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core import lifeline
from tests.hostile import procs
from tests.hostile.procs import GONE_S, RTPROBE, START_S
from tests.support.waiting import wait_until

pytestmark = procs.needs_proc


@pytest.fixture
def marker() -> Iterator[str]:
    yield from procs.watched()


def _health(base: str) -> bool:
    try:
        return httpx.get(base + "/health", timeout=2).json().get("status") == "ok"
    except (httpx.HTTPError, ValueError):
        return False


def _run_with_mock(marker: str, *extra: str) -> tuple[subprocess.Popen[str], int, int]:
    """`rtprobe run realtime mock/echo --mock …`, once its mock child listens and serves
    the run's session: (the run, the mock's PID, its port)."""
    proc = procs.start(
        marker,
        [
            *RTPROBE,
            *("run", "realtime", "mock/echo", "--mock", "--duration", "120", "--rate", "20"),
            *("--quiet", *extra),
        ],
    )
    child, port = wait_until(
        lambda: procs.mock_child(proc.pid, marker), START_S, what="the mock child listening"
    )
    base = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        try:
            return httpx.get(base + "/health", timeout=2).json()["sessions"] >= 1
        except (httpx.HTTPError, ValueError, KeyError):
            return False

    wait_until(serving, START_S, what="the run's session on its mock", interval_s=0.05)
    return proc, child, port


def test_sigkill_on_run_with_mock_ends_the_mock(marker: str) -> None:
    proc, child, port = _run_with_mock(marker)
    procs.sigkill(proc)
    wait_until(lambda: not procs.alive(child), GONE_S, what=f"mock child {child} to end")
    wait_until(lambda: not procs.listening(port), GONE_S, what=f"port {port} to close")
    procs.wait_gone(marker, "every process of the run to end")


def test_sigterm_on_run_with_mock_writes_the_report_and_leaves_nothing(
    marker: str, tmp_path: Path
) -> None:
    report = tmp_path / "run.json"
    proc, child, port = _run_with_mock(marker, "--json", str(report))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=GONE_S)
    assert proc.returncode == 128 + signal.SIGTERM, err
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["transport"] == "realtime" and summary["sent"] > 0
    assert "partial" not in summary  # the final file, not a checkpoint
    assert not procs.alive(child) and not procs.listening(port)
    procs.wait_gone(marker, "every process of the run to end")


# -- MockProcess from a throwaway parent -----------------------------------------------
PARENT = """
import os, sys, threading, time
from server_mock.process import MockProcess

mock = MockProcess()
if sys.argv[1] == "thread":  # started from a thread that then ends: the pipe alone
    starter = threading.Thread(target=mock.start)
    starter.start()
    starter.join()
else:
    mock.start()
holder = 0
if sys.argv[1] == "fork":  # a process that keeps the pipe open: the death signal alone
    holder = os.fork()
    if holder == 0:
        os.closerange(0, 3)  # not the test's pipes: only the mock's lifeline stays open
        time.sleep(600)
        os._exit(0)
print(mock.pid, mock.base_url, holder, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize(
    "how",
    [
        "main",
        "thread",
        pytest.param(
            "fork",
            marks=pytest.mark.skipif(
                not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's"
            ),
        ),
    ],
)
def test_mock_process_ends_with_its_killed_parent(marker: str, how: str) -> None:
    parent = procs.start(marker, [sys.executable, "-c", textwrap.dedent(PARENT), how])
    pid_text, base, holder_text = procs.read_line(parent).split()
    mock, holder = int(pid_text), int(holder_text)
    assert _health(base)
    port = int(base.rpartition(":")[2])
    procs.sigkill(parent)
    wait_until(lambda: not procs.alive(mock), GONE_S, what=f"mock {mock} to end")
    wait_until(lambda: not procs.listening(port), GONE_S, what=f"port {port} to close")
    if holder:  # the pipe's other holder outlives it by design: ours to stop
        assert procs.alive(holder)
        procs.reap(marker)
    procs.wait_gone(marker, "every process of the parent to end")


# -- the engine process and the GUI -----------------------------------------------------
ENGINE_PARENT = """
import time
from app.core.engine.process import EngineProcess

engine = EngineProcess()
print(engine._proc.pid, flush=True)
time.sleep(600)
"""


def test_engine_process_ends_with_its_killed_parent(marker: str) -> None:
    parent = procs.start(marker, [sys.executable, "-c", textwrap.dedent(ENGINE_PARENT)])
    engine = int(procs.read_line(parent))
    assert procs.alive(engine) and procs.parent(engine) == parent.pid
    procs.sigkill(parent)
    wait_until(lambda: not procs.alive(engine), GONE_S, what=f"engine {engine} to end")
    procs.wait_gone(marker, "the engine and multiprocessing's helpers to end")


def test_sigkill_on_the_gui_ends_its_mock_and_engine(marker: str, tmp_path: Path) -> None:
    gui = procs.start(
        marker,
        RTPROBE,  # the desktop app, its embedded mock on (the default)
        env=procs.marked_env(
            marker,
            QT_QPA_PLATFORM="offscreen",
            HOME=str(tmp_path),  # its settings are the test's own
            XDG_CONFIG_HOME=str(tmp_path / "config"),
            XDG_CACHE_HOME=str(tmp_path / "cache"),
        ),
    )
    mock, port = wait_until(
        lambda: procs.mock_child(gui.pid, marker), START_S, what="the GUI's mock listening"
    )
    wait_until(lambda: _health(f"http://127.0.0.1:{port}"), START_S, what="the GUI's mock")
    engines = wait_until(
        lambda: [p for p in procs.children(gui.pid, marker) if "spawn_main" in procs.cmdline(p)],
        START_S,
        what="the GUI's engine process",
    )
    procs.sigkill(gui)
    wait_until(lambda: not procs.alive(mock), GONE_S, what=f"the GUI's mock {mock} to end")
    wait_until(lambda: not procs.listening(port), GONE_S, what=f"port {port} to close")
    for engine in engines:
        wait_until(lambda: not procs.alive(engine), GONE_S, what=f"engine {engine} to end")  # noqa: B023
    procs.wait_gone(marker, "every process of the GUI to end")


# -- the lifeline itself ------------------------------------------------------------------
def test_rtprobe_mock_stops_cleanly_when_its_lifeline_closes(marker: str) -> None:
    mock = procs.start(
        marker,
        [*RTPROBE, "mock", "--port", "0", "--log-level", "warning"],
        stdin=subprocess.PIPE,
        env={**procs.marked_env(marker), lifeline.ENV: lifeline.PIPE},
    )
    base = procs.read_line(mock).split()[-1]
    assert _health(base)
    assert mock.stdin is not None
    mock.stdin.close()  # what the kernel does when the parent dies
    mock.wait(timeout=GONE_S)
    assert mock.stderr is not None
    err = mock.stderr.read()
    assert mock.returncode == 0, err  # its clean stop ran: SIGTERM, not a kill
    assert "Traceback" not in err


STUBBORN = """
import signal, sys, time
from app.core import lifeline

signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a child whose clean stop never comes
assert lifeline.from_env(grace_s=0.2)
print("watching", flush=True)
time.sleep(600)
"""


def test_a_child_that_ignores_sigterm_is_ended_after_the_grace(marker: str) -> None:
    child = procs.start(
        marker,
        [sys.executable, "-c", textwrap.dedent(STUBBORN)],
        stdin=subprocess.PIPE,
        env={**procs.marked_env(marker), lifeline.ENV: lifeline.PIPE},
    )
    assert procs.read_line(child).strip() == "watching"
    assert child.stdin is not None
    child.stdin.close()
    child.wait(timeout=GONE_S)
    assert child.returncode == 1  # os._exit(1), after the ignored SIGTERM


def test_child_env_asks_for_the_death_signal_from_the_main_thread_only() -> None:
    import threading

    assert lifeline.child_env({})[lifeline.ENV] == "stdin,pdeathsig"
    seen: list[str] = []
    worker = threading.Thread(target=lambda: seen.append(lifeline.child_env({})[lifeline.ENV]))
    worker.start()
    worker.join(10)
    assert seen == ["stdin"]
    assert lifeline.child_env({"A": "1"})["A"] == "1"


def test_from_env_removes_the_request_so_grandchildren_do_not_inherit_it(monkeypatch) -> None:
    monkeypatch.setenv(lifeline.ENV, "")
    assert lifeline.from_env() is False
    import os

    assert lifeline.ENV not in os.environ
