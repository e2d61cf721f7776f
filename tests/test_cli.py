"""The `rtprobe` command as a user runs it: real processes, real sockets on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time

import httpx
import pytest

RTPROBE = [sys.executable, "-m", "app"]


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_version_and_help() -> None:
    out = subprocess.run([*RTPROBE, "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and re.fullmatch(r"rtprobe \d+\.\d+\.\d+\n", out.stdout)
    out = subprocess.run([*RTPROBE, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    for command in ("mock", "demo", "gui"):
        assert command in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mock", "--drop", "2"], "'2' must be between 0 and 1"),
        (["mock", "--port", "70000"], "port 70000 is out of range"),
        (["mock", "--latency-ms", "soon"], "'soon' is not a number"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)
def test_bad_arguments_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    out = subprocess.run([*RTPROBE, *args], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_mock_port_0_prints_address_and_serves() -> None:
    # started as a shell starts a background job (SIGINT ignored), whatever pytest inherited
    proc = subprocess.Popen(
        [*RTPROBE, "mock", "--port", "0", "--latency-ms", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        preexec_fn=_ignore_sigint if sys.platform != "win32" else None,
    )
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(30), "no address printed within 30 s"
        line = proc.stdout.readline()  # the first line, printed once bound
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))\n", line)
        assert match, line
        health = httpx.get(match.group(1) + "/health", timeout=5).json()
        assert health["status"] == "ok" and "echo" in health["apps"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()  # by PID: ours
            proc.wait(timeout=10)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr.read()


def test_mock_port_in_use_is_one_line() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = subprocess.run(
            [*RTPROBE, "mock", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr


def test_no_display_runs_headless_demo() -> None:
    env = _env(DISPLAY=None, WAYLAND_DISPLAY=None, QT_QPA_PLATFORM=None)
    out = subprocess.run(RTPROBE, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("rtprobe: no display found")
    assert any(
        line.startswith("embedded mock server listening on http://127.0.0.1:") for line in lines
    )
    for name in ("realtime mock/echo", "raw WebSocket mock/echo/ws", "SSE mock/diffusion/stream"):
        assert any(name in line and "p99=" in line for line in lines), out.stdout


@pytest.mark.parametrize("quit_after", ["0.01", "0.05", "0.3", "0.8"])
def test_a_gui_quit_while_the_mock_starts_is_clean(tmp_path, quit_after: str) -> None:
    """Quit at once, while the embedded mock is still starting: it is stopped and
    waited for, with nothing on stderr (once, the loop ended under the mock's clean-up
    and printed a traceback; a reaping race warned of an "Unknown child process")."""
    env = _env(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run(
        [*RTPROBE, "gui", "--quit-after", quit_after],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "Unknown child process" not in out.stderr
    assert "never awaited" not in out.stderr


def test_gui_starts_offscreen_and_restores_last_session(tmp_path) -> None:
    env = _env(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    t0 = time.monotonic()
    out = subprocess.run(
        [*RTPROBE, "gui", "--quit-after", "3"], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert time.monotonic() - t0 < 60
    saved = json.loads((tmp_path / "rtprobe" / "rtprobe" / "last-session.json").read_text())
    assert [c["transport"] for c in saved["connections"]] == ["realtime", "ws", "sse", "webrtc"]
    assert saved["mock"]["enabled"] is True
    # the next start opens that session again (and the layout)
    out = subprocess.run(
        [*RTPROBE, "gui", "--quit-after", "2"], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "rtprobe" / "rtprobe.conf").exists()
