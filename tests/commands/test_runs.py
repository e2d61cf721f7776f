"""`rtprobe run` stores each run; `rtprobe runs list|show|diff|export|delete` read them.

Real runs against the real mock server, real history files: the run's own `--json`
report and what the history gives back must agree, `diff --fail-if` must exit 1 on a
real regression (the mock told to answer 20 ms later), and a history that cannot be
used must cost the run nothing but one warning line.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.cli import main
from tests.support.waiting import wait_until

SECRET = "fal-key-0123456789abcdef-SECRET"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """`rtprobe ARGS…` in this process: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _run(cli: Cli, history: Path, url: str, *extra: str) -> tuple[int, str, str]:
    return cli("run", "ws", url, "--count", "60", "--history", str(history), *extra)


@pytest.fixture
def two_runs(cli: Cli, tmp_path: Path, mock_base: str) -> tuple[Path, Path]:
    """A history with a fast run (1) and the same target 20 ms slower (2); the fast
    run's --json report."""
    history, report = tmp_path / "h.sqlite3", tmp_path / "fast.json"
    base = mock_base.replace("http", "ws")
    code, _, err = _run(cli, history, f"{base}/mock/echo/ws", "--json", str(report))
    assert code == 0, err
    code, _, err = _run(cli, history, f"{base}/mock/echo/ws?latency_ms=20")
    assert code == 0, err
    return history, report


def test_every_run_is_listed_and_shown_as_its_report_says(
    cli: Cli, two_runs: tuple[Path, Path], mock_base: str
) -> None:
    history, report = two_runs
    code, out, err = cli("runs", "--history", str(history), "list", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [2, 1]  # newest first
    assert {r["state"] for r in rows} == {"finished"} and {r["source"] for r in rows} == {"cli"}
    assert rows[0]["sent"] == 60 and rows[0]["errors"] == 0
    assert rows[0]["p50_ms"] >= 20 > rows[1]["p50_ms"]
    assert rows[0]["target"] == f"{mock_base.replace('http', 'ws')}/mock/echo/ws"  # no query
    code, out, _ = cli("runs", "show", "1", "--json", "--history", str(history))
    assert code == 0
    shown = json.loads(out)
    assert shown["summary"] == json.loads(report.read_text())
    assert shown["metrics"][0] == "rtt" and "sent" in shown["series"]
    assert shown["settings"]["count"] == 60
    code, out, _ = cli("runs", "--history", str(history), "show", "last~1")
    assert code == 0 and out.startswith("run 1 ") and "sent 60  received 60" in out
    code, out, _ = cli("runs", "--history", str(history), "list", "--target", "nothing-like")
    assert code == 0 and out == ""
    code, out, _ = cli("runs", "--history", str(history), "list", "--since", "1h", "--limit", "1")
    assert code == 0 and len(out.strip().splitlines()) == 2  # header + one run


def test_diff_exits_1_on_a_regression_and_names_the_rule(
    cli: Cli, two_runs: tuple[Path, Path]
) -> None:
    history, _ = two_runs
    h = ("--history", str(history))
    code, out, err = cli("runs", *h, "diff", "1", "2", "--fail-if", "p99>+10%")
    assert code == 1
    assert "round trip p99 (ms)" in out and "%)" in out
    assert "--fail-if 'p99>+10%': p99 of #2 changed +" in err
    code, out, err = cli(
        "runs", *h, "diff", "2", "1", "--fail-if", "p99>+10%", "--fail-if", "errors>0"
    )
    assert (code, err) == (0, "")  # faster and clean: no rule hit
    code, out, err = cli("runs", *h, "diff", "1", "last", "--json", "--fail-if", "p50>+5%")
    assert code == 1
    result = json.loads(out)
    assert result["baseline"] == "#1" and result["runs"] == ["#1", "#2"]
    assert len(result["failed"]) == 1 and "'p50>+5%'" in result["failed"][0]
    p99 = next(r for r in result["rows"] if r["name"] == "p99")
    assert p99["change_pct"][0] is None and p99["change_pct"][1] > 10


def test_export_writes_the_run_reports(
    cli: Cli, two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    history, report = two_runs
    h = ("--history", str(history))
    for name in ("out.json", "out.html", "out.csv"):
        code, _, err = cli("runs", *h, "export", "1", str(tmp_path / name))
        assert code == 0, err
    assert (tmp_path / "out.json").read_text() == report.read_text()  # the --json file itself
    page = (tmp_path / "out.html").read_text()
    assert "Latency histogram" in page and "Messages per second" in page
    rows = (tmp_path / "out.csv").read_text().splitlines()
    assert rows[0].startswith("t_s,sent,received")
    assert sum(float(r.split(",")[1]) for r in rows[1:]) == 60
    code, _, err = cli("runs", *h, "export", "1", str(tmp_path / "out.txt"))
    assert code == 2 and "name a .json, .html or .csv file" in err
    code, _, err = cli("runs", *h, "export", "1", str(tmp_path / "no" / "dir.json"))
    assert code == 2 and "no such directory" in err


def test_delete_and_bad_ids(cli: Cli, two_runs: tuple[Path, Path]) -> None:
    history, _ = two_runs
    h = ("--history", str(history))
    code, out, err = cli("runs", *h, "delete", "1", "9")
    assert code == 2 and "deleted 1 run(s): 1" in out and "no run 9" in err
    code, out, _ = cli("runs", *h, "list", "--json")
    assert [r["id"] for r in json.loads(out)] == [2]
    for args, says in (
        (("show", "1"), "no run 1 in"),
        (("show", "abc"), "'abc' is not a run id"),
        (("show", "last~5"), "the history holds 1 run(s)"),
        (("diff", "2", "2", "--fail-if", "p99 bigger"), "cannot read --fail-if"),
        (("diff", "2"), "two run ids or more"),
    ):
        code, out, err = cli("runs", *h, *args)
        assert code == 2 and says in err and len(err.strip().splitlines()) == 1, (args, err)


def test_no_history_stores_nothing(cli: Cli, tmp_path: Path, ws_base: str) -> None:
    history = tmp_path / "h.sqlite3"
    code, _, err = _run(cli, history, f"{ws_base}/mock/echo/ws", "--no-history")
    assert code == 0, err
    assert not history.exists()


def test_a_corrupt_history_is_one_warning_and_the_run_keeps_its_reports(
    cli: Cli, tmp_path: Path, ws_base: str
) -> None:
    history, report = tmp_path / "h.sqlite3", tmp_path / "r.json"
    history.write_bytes(b"not a database\x00" * 100)
    url = f"{ws_base}/mock/echo/ws"
    code, out, err = _run(cli, history, url, "--json", str(report), "--assert", "errors==0")
    assert code == 0
    assert "sent 60  received 60" in out
    assert json.loads(report.read_text())["sent"] == 60
    (line,) = err.strip().splitlines()
    assert line.startswith("rtprobe run: warning: not stored in the history: ")
    assert str(history) in line and "not a valid rtprobe history" in line
    code, _, err = _run(cli, history, url, "--assert", "p50<0.0001ms")  # a failing run stays 1
    assert code == 1 and "assertion 'p50<0.0001ms' failed" in err and "warning" in err
    code, _, err = cli("runs", "--history", str(history), "list")
    assert code == 1 and "not a valid rtprobe history" in err


def test_a_locked_history_is_one_warning_for_a_real_rtprobe_process(
    tmp_path: Path, ws_base: str
) -> None:
    """A real `rtprobe run` while another process holds the database exclusively: the
    short busy timeout, one line, exit code 0; the history is fine once released."""
    history = tmp_path / "h.sqlite3"
    env = {**os.environ, "RTPROBE_HISTORY": str(history)}
    cmd = [sys.executable, "-m", "app", "run", "ws", f"{ws_base}/mock/echo/ws", "--count", "20"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    holder = sqlite3.connect(history, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert out.returncode == 0 and "sent 20  received 20" in out.stdout
    (line,) = out.stderr.strip().splitlines()
    assert "locked by another process" in line and str(history) in line
    listed = subprocess.run(
        [sys.executable, "-m", "app", "runs", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1


def test_secrets_never_reach_the_history_file(
    cli: Cli, tmp_path: Path, ws_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = tmp_path / "h.sqlite3"
    monkeypatch.setenv("FAL_KEY", SECRET)
    code, _, err = _run(
        cli,
        history,
        f"{ws_base}/mock/echo/ws",
        "--header",
        f"X-Api-Key: {SECRET}",
        "--header",
        f"Authorization: Key {SECRET}",
        "--header",
        "X-Trace: visible-value",
    )
    assert code == 0, err
    code, out, _ = cli("runs", "--history", str(history), "show", "last", "--json")
    settings = json.loads(out)["settings"]
    assert settings["headers"] == {"X-Api-Key": "", "Authorization": "", "X-Trace": "visible-value"}
    raw = history.read_bytes()
    assert SECRET.encode() not in raw and SECRET not in out
    assert b"visible-value" in raw


def test_a_run_that_reaches_nothing_is_stored_as_failed_with_its_reason(
    cli: Cli, tmp_path: Path
) -> None:
    history = tmp_path / "h.sqlite3"
    code, printed, err = _run(cli, history, "ws://127.0.0.1:1/refused", "--timeout", "2")
    assert code == 1, err
    code, out, _ = cli("runs", "--history", str(history), "list", "--json")
    (row,) = json.loads(out)
    assert row["state"] == "failed" and "connection refused" in row["reason"]
    assert row["reason"] in printed  # the error line of the run's summary


def test_a_run_stopped_by_sigint_is_stored_as_stopped(
    start_mock: Callable[..., Any], tmp_path: Path
) -> None:
    history = tmp_path / "h.sqlite3"
    env = {**os.environ, "RTPROBE_HISTORY": str(history)}
    with start_mock() as base:
        url = f"{base.replace('http', 'ws')}/mock/echo/ws"
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "run", "ws", url, "--duration", "120", "--rate", "20"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,
        )
        try:
            wait_until(lambda: _sessions(base) >= 1, 30.0, what="the run's session on the mock")
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    listed = subprocess.run(
        [sys.executable, "-m", "app", "runs", "show", "last", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    shown = json.loads(listed.stdout)
    assert shown["state"] == "stopped" and shown["reason"] == "stopped by SIGINT"
    assert shown["summary"]["sent"] >= 1


def _sessions(base: str) -> int:
    try:
        return int(httpx.get(base + "/health", timeout=2).json()["sessions"])
    except httpx.HTTPError:
        return 0
