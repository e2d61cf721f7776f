"""`rtprobe proxy` as a user runs it: a real process between a real `rtprobe run` and the
real mock, with toxics from flags and changed live through its HTTP API."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

RTPROBE = [sys.executable, "-m", "app"]


def rtprobe(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RTPROBE, *args], capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def proxy(*args: str) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """A running `rtprobe proxy ARGS`; yields its listening port. Stopped by its PID."""
    proc = subprocess.Popen(
        [*RTPROBE, "proxy", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)  # bounded: the first line says where it listens
    try:
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line[0] if line else "")
        assert found, f"no listening line: {line} {proc.poll()}"
        yield int(found.group(1)), proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def run_p50(url: str, tmp_path: Path, transport: str = "realtime", payload: str = "{}") -> float:
    out_file = tmp_path / f"{transport}.json"
    out = rtprobe(
        "run", transport, url, "--count", "20", "--payload", payload, "--json", str(out_file)
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(out_file.read_text())
    assert (s["sent"], s["received"], s["errors"]) == (20, 20, 0)
    return float(s["rtt_ms"]["p50"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream", "127.0.0.1:1", "--toxic", "latency:jiter=5"], "no attribute 'jiter'"),
        (["--upstream", "127.0.0.1:1", "--toxic", "bandwidth:rate=lots"], "rate='lots' is not"),
        (
            ["--upstream", "127.0.0.1:1", "--toxic", "latency", "--toxic", "latency"],
            "already exists",
        ),
        (["--upstream", "10.1.2.3:80"], "not a loopback address (pass --allow-remote-upstream"),
        (["--upstream", "nowhere"], "--upstream 'nowhere' is not HOST:PORT"),
        (["--upstream", "127.0.0.1:99999"], "out of range"),
        (["--upstream", "127.0.0.1:1", "--api", "0.0.0.0:8474"], "--api 0.0.0.0 is not a loopback"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    out = rtprobe("proxy", *args, timeout=30)
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_realtime_ws_and_sse_runs_through_the_proxy_see_its_latency(
    mock_base: str, tmp_path: Path
) -> None:
    mock_port = mock_base.rsplit(":", 1)[1]
    api = free_port()
    with proxy(
        "--upstream",
        f"127.0.0.1:{mock_port}",
        "--toxic",
        "latency:latency=50,stream=both",
        "--api",
        f"127.0.0.1:{api}",
    ) as (port, _):
        base = f"http://127.0.0.1:{port}"
        for transport, path, payload in [
            ("realtime", "mock/echo/realtime", "{}"),
            ("ws", "mock/echo/ws", '{"hi": 1}'),
            ("sse", "mock/echo/stream", '{"count": 1}'),
        ]:
            direct = run_p50(f"{mock_base}/{path}", tmp_path, transport, payload)
            shaped = run_p50(f"{base}/{path}", tmp_path, transport, payload)
            assert shaped >= direct + 85, (transport, direct, shaped)
        # live, through the Toxiproxy-style API: the next run is back to the mock's speed
        toxics = httpx.get(f"http://127.0.0.1:{api}/proxies/rtprobe/toxics").json()
        assert {t["name"] for t in toxics} == {"latency_upstream", "latency_downstream"}
        for t in toxics:
            r = httpx.delete(f"http://127.0.0.1:{api}/proxies/rtprobe/toxics/{t['name']}")
            assert r.status_code == 204
        assert run_p50(f"{base}/mock/echo/realtime", tmp_path) < 40


def test_a_refused_upstream_is_one_log_line_and_the_proxy_keeps_serving() -> None:
    dead = free_port()
    with proxy("--upstream", f"127.0.0.1:{dead}") as (port, proc):
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.settimeout(10)
                assert s.recv(10) == b""  # closed, not hung
        assert proc.poll() is None
    err = proc.stderr.read() if proc.stderr else ""
    refused = [ln for ln in err.splitlines() if "refused" in ln]
    assert len(refused) == 3 and "Traceback" not in err, err


def test_mock_toxic_flag_applies_to_every_connection(tmp_path: Path) -> None:
    from server_mock.process import MockProcess

    with MockProcess("--toxic", "latency:latency=60,stream=upstream") as base:
        assert run_p50(f"{base}/mock/echo/realtime", tmp_path) >= 55
    bad = rtprobe("mock", "--port", "0", "--toxic", "slicer:delay=5", timeout=30)
    assert bad.returncode == 2
    assert "slicer needs average_size" in bad.stderr and len(bad.stderr.splitlines()) == 1
