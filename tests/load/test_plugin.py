"""Locust runs with rtprobe's locustfile on 127.0.0.1 (WebSocket users): a master with
two worker processes, and `--processes 2`, each against the mock for a few seconds;
bad flags, a target that refuses, the web UI. Other transports: `test_transports.py`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.load import locustrun, needs_locust

needs_locust()

RUN_S = 3
LIMIT_S = 60  # each Locust process, from start to exit
ORPHAN_LIMIT_S = 30  # below the minute an orphaned worker waits for its master


def _env(dump: Path) -> dict[str, str]:
    return locustrun.env(dump)


def _locust(*args: str) -> list[str]:
    return locustrun.locust(*args)


def _run_flags(mock_url: str, report: Path, *extra: str) -> list[str]:
    return [
        "--headless", "-u", "4", "-r", "20", "-t", str(RUN_S), "--only-summary",
        "--transport", "ws", "--target", "mock/echo/ws", "--mock-url", mock_url,
        "--rate", "50", "--report-json", str(report), *extra,
    ]  # fmt: skip


def _free_port() -> int:
    return locustrun.free_port()


def _check_exact(report: Path, dump: Path, workers: int) -> dict:
    return locustrun.check_exact(report, dump, workers, users=4)


def test_a_headless_master_and_two_worker_processes_merge_exact_percentiles(
    mock_url: str, tmp_path: Path
) -> None:
    port, report, html = str(_free_port()), tmp_path / "merged.json", tmp_path / "merged.html"
    env = _env(tmp_path)
    worker = _locust("--worker", "--master-host", "127.0.0.1", "--master-port", port)
    workers = [
        subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    try:
        master = subprocess.run(
            _locust(
                "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                "--expect-workers", "2", "--expect-workers-max-wait", "30",
                *_run_flags(mock_url, report, "--report-html", str(html),
                            "--assert", "errors==0", "--assert", "sent>0"),
            ),
            env=env, capture_output=True, text=True, timeout=LIMIT_S,
        )  # fmt: skip
        for w in workers:
            w.wait(timeout=LIMIT_S)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(timeout=10)
    assert master.returncode == 0, master.stderr[-2000:]
    assert [w.returncode for w in workers] == [0, 0]
    data = _check_exact(report, tmp_path, workers=2)
    assert data["transport"] == "ws" and data["errors"] == 0
    assert "merged over 2 worker process(es), 4 users" in master.stdout
    assert "rtprobe report" in html.read_text()


def test_processes_2_merges_exactly_and_a_failed_assert_sets_the_exit_code(
    mock_url: str, tmp_path: Path
) -> None:
    report = tmp_path / "merged.json"
    done = subprocess.run(
        _locust("--processes", "2", *_run_flags(mock_url, report, "--assert", "p99<0.001ms")),
        env=_env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 1
    assert "assertion 'p99<0.001ms' failed: p99 was" in done.stderr
    _check_exact(report, tmp_path, workers=2)


def test_a_flag_rtprobe_cannot_use_ends_the_run_in_one_line_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    # with --processes the workers were forked before the check: they end with the master
    # (else they would hold the output open for a minute, waiting for its heartbeat)
    done = subprocess.run(
        _locust("--headless", "-u", "1", "-t", "1", "--processes", "2", "--transport", "ws",
                "--target", "ws://127.0.0.1:9/x", "--assert", "p99 is small"),
        env=_env(tmp_path), capture_output=True, text=True, timeout=ORPHAN_LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("rtprobe locust:")]
    assert lines == [
        "rtprobe locust: cannot read assertion 'p99 is small': write NAME OP NUMBER[ms|us|s], "
        "e.g. p99<50ms"
    ]
    assert "Traceback" not in done.stderr


def test_webrtc_users_decode_video_under_locusts_gevent(mock_url: str, tmp_path: Path) -> None:
    """aiortc decodes in a thread: under Locust it must be a native one, or no frame comes
    back until the end (the latency of the run, fps in the thousands)."""
    report = tmp_path / "video.json"
    done = subprocess.run(
        _locust("--headless", "-u", "1", "-r", "10", "-t", "4", "--only-summary",
                "--transport", "webrtc", "--target", "mock/yolo/webrtc", "--mock-url", mock_url,
                "--size", "160x120", "--fps", "15", "--report-json", str(report)),
        env=_env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(report.read_text())
    assert data["frames_in"] > 10 and 5 < data["fps_in"] < 30
    assert data["frame_latency_ms"]["p50"] < 1000
    assert "frames" in done.stdout  # Locust's table has a row for the frames


def test_a_target_no_session_reaches_exits_1_with_the_reason(tmp_path: Path) -> None:
    port = str(_free_port())  # nothing listens there
    done = subprocess.run(
        _locust("--headless", "-u", "1", "-r", "10", "-t", "2", "--only-summary",
                "--transport", "ws", "--target", f"ws://127.0.0.1:{port}/x", "--reconnects", "0"),
        env=_env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 1
    assert "rtprobe locust: no session reached the target" in done.stderr
    assert "connection refused" in done.stdout


def test_with_locusts_web_ui_a_stopped_test_writes_the_merged_report(
    mock_url: str, tmp_path: Path
) -> None:
    report = tmp_path / "web.json"
    done = subprocess.run(
        _locust("--web-host", "127.0.0.1", "--web-port", str(_free_port()), "--autostart",
                "--autoquit", "1", "-u", "2", "-r", "20", "-t", "2", "--transport", "ws",
                "--target", "mock/echo/ws", "--mock-url", mock_url, "--rate", "20",
                "--report-json", str(report)),
        env=_env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(report.read_text())
    assert (data["workers"], data["users"]) == (1, 2) and "partial" not in data
    assert data["sent"] == data["received"] + data["errors"] + data["dropped"] + data["timeouts"]
    assert data["received"] > 0
