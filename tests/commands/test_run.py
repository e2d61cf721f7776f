"""`rtprobe run` as a user runs it: a real process against a real mock server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RTPROBE = [sys.executable, "-m", "app"]


def rtprobe(*args: str, env: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run(
        [*RTPROBE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_run_with_embedded_mock_prints_summary_and_passes_assertions() -> None:
    out = rtprobe(
        "run",
        "realtime",
        "mock/echo",
        "--mock",
        "--count",
        "200",
        "--assert",
        "p99<500ms",
        "--assert",
        "errors==0",
    )
    assert out.returncode == 0, out.stderr
    assert "sent 200  received 200  errors 0  dropped 0  timeouts 0" in out.stdout
    assert "round trip (ms)" in out.stdout and "server (ms)" in out.stdout
    assert "WebSocket extensions: none" in out.stdout
    assert out.stderr == ""  # no progress line when not on a terminal


def test_failed_assertion_exits_1_with_one_line_each() -> None:
    out = rtprobe(
        "run",
        "ws",
        "mock/echo/ws",
        "--mock",
        "--count",
        "20",
        "--assert",
        "p50<0.0001ms",
        "--assert",
        "received==20",
        "--assert",
        "errors>5",
    )
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("assertion 'p50<0.0001ms' failed: p50 was ")
    assert lines[1] == "assertion 'errors>5' failed: errors was 0"


def test_json_summary(tmp_path: Path, mock_base: str) -> None:
    path = tmp_path / "out.json"
    out = rtprobe(
        "run",
        "realtime",
        f"{mock_base}/mock/echo/realtime?latency_ms=5",
        "--count",
        "30",
        "--json",
        str(path),
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(path.read_text())
    for key in ("transport", "target", "sent", "received", "errors", "dropped", "timeouts"):
        assert key in s
    assert set(s["rtt_ms"]) >= {"p50", "p90", "p99", "p999", "max", "mean"}
    assert s["sent"] == s["received"] == 30
    assert s["rtt_ms"]["p50"] >= 5
    assert s["target"] == f"{mock_base.replace('http', 'ws')}/mock/echo/realtime"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "realtime", "justone"], "must look like owner/alias"),
        (["run", "realtime", "a/b", "--payload", "{nope"], "--payload is not valid JSON"),
        (["run", "realtime", "a/b", "--count", "5", "--duration", "2"], "not both"),
        (["run", "realtime", "a/b", "--max-buffering", "99"], "between 1 and 60"),
        (["run", "realtime", "a/b", "--assert", "p99 is small"], "cannot read assertion"),
        (
            ["run", "realtime", "a/b", "--payload", "@/nonexistent/file.json"],
            "cannot read payload file",
        ),
        (["run", "carrier", "a/b"], "invalid choice: 'carrier'"),
        # refused before connecting: zero never silently means "the default"
        (["run", "realtime", "a/b", "--count", "0"], "--count 0 must be at least 1"),
        (["run", "realtime", "a/b", "--duration", "0"], "--duration 0 must be above 0"),
        (["run", "realtime", "a/b", "--rate", "0"], "leave it out for closed loop"),
        (["run", "realtime", "http://[::1"], "TARGET 'http://[::1' is not a valid URL"),
        (["run", "realtime", "a/b", "--payload", "[1]"], "must be a JSON object for realtime"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_line(args: list[str], message: str) -> None:
    out = rtprobe(*args)
    assert out.returncode == 2, out
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_refused_connection_is_one_line_and_exit_1() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = rtprobe(
        "run",
        "realtime",
        f"ws://127.0.0.1:{port}/mock/echo/realtime",
        "--count",
        "3",
        "--reconnects",
        "0",
    )
    assert out.returncode == 1
    assert "connection refused" in out.stdout
    assert "Traceback" not in out.stderr + out.stdout


def test_key_never_appears_in_output(start_mock, tmp_path: Path) -> None:
    secret = "sk-very-secret-123"
    with start_mock(key=secret) as base:
        path = tmp_path / "s.json"
        ok = rtprobe(
            "run",
            "realtime",
            f"{base}/mock/echo/realtime",
            "--count",
            "5",
            "--no-jwt",
            "--json",
            str(path),
            env={"FAL_KEY": secret},
        )
        assert ok.returncode == 0, ok.stderr
        bad = rtprobe(
            "run",
            "realtime",
            f"{base}/mock/echo/realtime",
            "--count",
            "5",
            "--no-jwt",
            env={"FAL_KEY": secret + "-wrong"},
        )
        assert bad.returncode == 1
        assert "HTTP 401" in bad.stdout
    for text in (ok.stdout, ok.stderr, bad.stdout, bad.stderr, path.read_text()):
        assert secret not in text


def test_webrtc_run_reports_frames(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    out = rtprobe(
        "run",
        "webrtc",
        "mock/yolo",
        "--mock",
        "--duration",
        "2",
        "--size",
        "320x240",
        "--json",
        str(path),
        "--assert",
        "fps_in>=10",
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(path.read_text())
    assert s["frames_in"] > 10 and s["fps_out"] > 10
    assert s["frame_latency_ms"]["count"] > 10
    assert "time_to_first_frame_ms" in s
    assert "frame latency (ms)" in out.stdout
    bad = rtprobe("run", "webrtc", "mock/yolo", "--size", "big")
    assert bad.returncode == 2 and "--size 'big' must be WIDTHxHEIGHT" in bad.stderr


def test_webrtc_jitter_release_flag_reaches_the_client_and_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    out = rtprobe(
        "run", "webrtc", "mock/yolo", "--mock", "--duration", "2", "--size", "320x240",
        "--jitter-release", "next-frame", "--json", str(path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    s = json.loads(path.read_text())
    assert s["connection"]["jitter_release"] == "next-frame"
    assert s["frames_in"] > 10
    assert "frames leave the jitter buffer: when the next frame begins" in out.stdout
    bad = rtprobe("run", "webrtc", "mock/yolo", "--jitter-release", "soon")
    assert bad.returncode == 2 and "--jitter-release" in bad.stderr
