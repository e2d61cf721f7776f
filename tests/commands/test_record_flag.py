"""`rtprobe run --record`: the path is checked before anything is sent, and a run cut
short by SIGINT or SIGTERM still leaves a whole, valid HAR with what it sent."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.record import har
from tests.support.waiting import wait_until

RTPROBE = [sys.executable, "-m", "app"]


def test_an_unwritable_record_path_is_refused_before_the_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [*RTPROBE, "run", "ws", "ws://127.0.0.1:9/x", "--record", str(tmp_path / "no" / "r.har")],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"rtprobe run: --record '{tmp_path / 'no' / 'r.har'}': no such directory "
        f"'{tmp_path / 'no'}'"
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_recording_leaves_a_valid_har(
    mock_base: str, tmp_path: Path, sig: signal.Signals
) -> None:
    path, checkpoint = tmp_path / "r.har", tmp_path / "r.json"
    ws = mock_base.replace("http://", "ws://")
    proc = subprocess.Popen(
        [
            *RTPROBE,
            "run",
            "realtime",
            f"{ws}/mock/echo/realtime",
            "--duration",
            "60",
            "--rate",
            "200",
            "--record",
            str(path),
            "--json",
            str(checkpoint),
            "--json-every",
            "0.2",
            "--no-history",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as a background job
    )
    try:

        def traffic() -> bool:  # a checkpoint that counted replies: the run is under way
            try:
                return json.loads(checkpoint.read_text()).get("received", 0) > 20
            except (OSError, ValueError):
                return False

        wait_until(traffic, 30, what="replies in the --json checkpoint")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 128 + sig, err
    (entry,) = har.parse(path.read_text())
    assert len(entry.sends()) > 20 and len(entry.receives()) > 0
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed, not left


def test_record_pixels_without_record_is_one_line() -> None:
    done = subprocess.run(
        [*RTPROBE, "run", "webrtc", "ws://127.0.0.1:9/x/webrtc", "--record-pixels"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "rtprobe run: --record-pixels needs --record FILE"
