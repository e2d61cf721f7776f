"""`rtprobe replay` end to end against the real mock: a recording replayed on the same
mock has no diff; a changed app is reported (and fails the exit code, unless
--warn-only, or the field is --ignore'd); the summary, reports and history are
`rtprobe run`'s; hostile files are one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from server_mock.apps import echo

RTPROBE = [sys.executable, "-m", "app"]
RUN_TIMEOUT_S = 90


def rtprobe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RTPROBE, *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def recorded(tmp_path: Path, mock_base: str, transport: str = "realtime", *extra: str) -> Path:
    path = tmp_path / f"{transport}.har"
    ws = mock_base.replace("http://", "ws://")
    target = {
        "realtime": f"{ws}/mock/echo/realtime",
        "ws": f"{ws}/mock/echo/ws",
        "sse": f"{mock_base}/mock/echo/stream",
    }[transport]
    done = rtprobe("run", transport, target, "--record", str(path), "--no-history", *extra)
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def changed_echo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """mock/echo after a "model update": one more field and a nudged float."""
    original = echo.stamped

    def stamped(data: dict[str, Any], recv_ns: int) -> dict[str, Any]:
        out = original(data, recv_ns)
        if isinstance(out.get("score"), float):
            out["score"] += 0.0004
        return {**out, "model": "v2"}

    monkeypatch.setattr(echo, "stamped", stamped)
    yield


def test_the_same_mock_replays_with_no_diff(mock_base: str, tmp_path: Path) -> None:
    har_file = recorded(tmp_path, mock_base, "realtime", "--count", "10", "--payload", '{"a": 1}')
    out = tmp_path / "replay.json"
    done = rtprobe("replay", str(har_file), "--json", str(out), "--no-history", "--speed", "max")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sent 10  received 10  errors 0" in done.stdout
    assert "replies: 10 compared, 0 differ" in done.stdout
    assert json.loads(out.read_text())["sent"] == 10


@pytest.mark.parametrize("transport", ["ws", "sse"])
def test_ws_and_sse_replay_with_no_diff(mock_base: str, tmp_path: Path, transport: str) -> None:
    payload = '{"count": 3, "interval_ms": 2}' if transport == "sse" else '{"b": [1, 2]}'
    har_file = recorded(tmp_path, mock_base, transport, "--count", "4", "--payload", payload)
    done = rtprobe("replay", str(har_file), "--no-history")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "replies: 4 compared, 0 differ" in done.stdout


def test_a_changed_app_is_reported_and_fails(
    mock_base: str,
    tmp_path: Path,
    start_mock: Callable[..., AbstractContextManager[str]],
    changed_echo: None,
) -> None:
    payload = '{"score": 0.5}'
    har_file = tmp_path / "yesterday.har"
    # yesterday's behaviour, recorded before the update (a separate, unchanged process)
    with subprocess.Popen(
        [*RTPROBE, "mock", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        stdin=subprocess.PIPE,
    ) as proc:
        try:
            assert proc.stdout is not None
            base = proc.stdout.readline().strip().removeprefix("listening on ")
            recorded_to = recorded(tmp_path, base, "realtime", "--count", "5", "--payload", payload)
            recorded_to.rename(har_file)
        finally:
            proc.terminate()
            proc.wait(15)
    with start_mock() as today:  # in this process: the changed echo
        done = rtprobe(
            "replay",
            str(har_file),
            "--target",
            today,
            "--no-history",
            "--diff-json",
            str(tmp_path / "d.json"),
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert "replies: 5 compared, 5 differ" in done.stdout
        assert "reply 0 of entry 0: score: 0.5 -> 0.5004 (+1 more)" in done.stdout
        detail = json.loads((tmp_path / "d.json").read_text())
        assert detail["differ"] == 5
        assert detail["replies"][0]["differences"] == [
            "score: 0.5 -> 0.5004",
            "model: added ('v2')",
        ]

        warn = rtprobe("replay", str(har_file), "--target", today, "--no-history", "--warn-only")
        assert warn.returncode == 0 and "5 differ" in warn.stdout

        ignored = rtprobe(
            "replay",
            str(har_file),
            "--target",
            today,
            "--no-history",
            "--ignore",
            "model",
            "--tolerance",
            "0.001",
        )
        assert ignored.returncode == 0, ignored.stdout
        assert "replies: 5 compared, 0 differ" in ignored.stdout


def test_recorded_spacing_is_kept_at_speed_1(mock_base: str, tmp_path: Path) -> None:
    har_file = recorded(tmp_path, mock_base, "realtime", "--count", "6", "--rate", "20")
    out = tmp_path / "r.json"
    done = rtprobe("replay", str(har_file), "--json", str(out), "--no-history")
    assert done.returncode == 0, done.stderr
    # six inputs 50 ms apart: the replay cannot have sent them faster (a lower bound)
    assert json.loads(out.read_text())["duration_s"] >= 0.2


def test_reports_history_and_asserts_are_those_of_run(mock_base: str, tmp_path: Path) -> None:
    from app.core.history.store import HistoryStore

    history = tmp_path / "h.sqlite3"
    har_file = recorded(tmp_path, mock_base, "ws", "--count", "5")
    done = rtprobe(
        "replay",
        str(har_file),
        "--html",
        str(tmp_path / "r.html"),
        "--csv",
        str(tmp_path / "r.csv"),
        "--history",
        str(history),
        "--assert",
        "errors==0",
        "--speed",
        "2",
    )
    assert done.returncode == 0, done.stderr
    assert "<html" in (tmp_path / "r.html").read_text().lower()
    assert len((tmp_path / "r.csv").read_text().splitlines()) >= 6
    rows = HistoryStore(history).list()
    assert len(rows) == 1
    failed = rtprobe("replay", str(har_file), "--no-history", "--assert", "p99<0.000001ms")
    assert failed.returncode == 1


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"garbage", "not a HAR file: invalid JSON"),
        (b'{"log": {"version": "1.2", "entries": [', "truncated JSON"),
        (b'{"log": {"version": "1.2"}}', "has no 'entries'"),
        (b'{"log": {"version": "1.2", "entries": []}}', "no inputs to replay"),
        (
            b'{"log": {"entries": [{"startedDateTime": "2026-01-01T00:00:00Z", '
            b'"request": {"url": "ws://127.0.0.1:9/x"}, "response": {}, "_webSocketMessages": '
            b'[{"type": "send", "time": 1, "opcode": 2, "data": "%%%"}]}]}}',
            "binary data is not base64",
        ),
    ],
)
def test_a_bad_file_is_one_line(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "bad.har"
    path.write_bytes(content)
    started = time.monotonic()
    done = rtprobe("replay", str(path), "--no-history")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in done.stderr
    assert time.monotonic() - started < RUN_TIMEOUT_S


def test_a_missing_file_and_bad_flags_are_one_line(tmp_path: Path) -> None:
    done = rtprobe("replay", str(tmp_path / "none.har"))
    assert done.returncode == 2 and "cannot read" in done.stderr
    for flag, value in (("--speed", "0"), ("--speed", "fast"), ("--tolerance", "x")):
        bad = rtprobe("replay", str(tmp_path / "none.har"), flag, value)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--mock", "--target", "http://127.0.0.1:9"), "--mock and --target"),
        (("--target", "ftp://127.0.0.1:9"), "is not a URL"),
        (("--target", "notaurl"), "is not a URL"),
    ],
)
def test_a_bad_target_is_one_line_before_anything_runs(
    tmp_path: Path, mock_base: str, flags: tuple[str, ...], says: str
) -> None:
    path = recorded(tmp_path, mock_base, "realtime", "--count", "1")
    done = rtprobe("replay", str(path), "--no-history", *flags)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and says in lines[0], done.stderr
    assert done.stdout == ""  # nothing was sent


def test_a_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.commands.replay import read_plan
    from app.core.errors import TargetError
    from app.core.record import har

    monkeypatch.setattr(har, "MAX_HAR_CHARS", 1000)
    path = tmp_path / "huge.har"
    path.write_bytes(b" " * 2000)
    with pytest.raises(TargetError, match="more than a HAR file may be"):
        read_plan(str(path), None)


def _webrtc_recording(tmp_path: Path, mock_base: str, app: str, *extra: str) -> Path:
    path = tmp_path / f"{app}.har"
    target = f"{mock_base.replace('http://', 'ws://')}/mock/{app}/webrtc"
    done = rtprobe("run", "webrtc", target, "--record", str(path), "--no-history", *extra)
    assert done.returncode == 0, done.stderr
    return path


def test_a_webrtc_recording_runs_again_with_its_settings(mock_base: str, tmp_path: Path) -> None:
    """v2v: the recorded size and fps go out again (not the defaults), and the per-frame
    figures are compared with the recording's."""
    path = _webrtc_recording(
        tmp_path, mock_base, "yolo", "--size", "320x240", "--fps", "15", "--duration", "2"
    )
    out = tmp_path / "r.json"
    done = rtprobe("replay", str(path), "--target", mock_base, "--no-history", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("webrtc entry 0:")]
    assert "frames in " in line and "fps out 15.0 -> " in line and "frame latency p50" in line
    summary = json.loads(out.read_text())
    assert summary["transport"] == "webrtc"
    assert summary["resolution"]["out"]["median"] == "320x240"  # the recorded size
    assert summary["frames_in"] > 0
    assert "left out" not in done.stderr


def test_a_webrtc_recording_sends_its_actions_at_their_times(
    mock_base: str, tmp_path: Path
) -> None:
    path = _webrtc_recording(
        tmp_path, mock_base, "world", "--duration", "3", "--actions-every", "1", "--fps", "15"
    )
    entry = json.loads(path.read_text())["log"]["entries"][0]
    assert len(entry["_rtprobeActions"]) == 2  # at 1 s and 2 s after the first frame
    done = rtprobe("replay", str(path), "--target", mock_base, "--no-history")
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("webrtc entry 0:")]
    assert "action → frame p50 " in line and "(2 -> 2 actions)" in line, line


def test_bad_recorded_webrtc_settings_are_one_line(mock_base: str, tmp_path: Path) -> None:
    path = _webrtc_recording(tmp_path, mock_base, "yolo", "--duration", "1", "--size", "160x120")
    doc = json.loads(path.read_text())
    doc["log"]["entries"][0]["_rtprobeSettings"]["size"] = "99999x1"
    path.write_text(json.dumps(doc))
    started = time.monotonic()
    done = rtprobe("replay", str(path), "--target", mock_base, "--no-history")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "entry 0: recorded WebRTC settings: video size 99999x1" in lines[0]
    assert time.monotonic() - started < RUN_TIMEOUT_S
