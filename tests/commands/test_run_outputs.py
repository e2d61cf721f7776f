"""Finding 6: a report path that cannot be written is found before anything is sent
(exit 2, one line naming the flag, the path and why), and a report that fails to be
written at the end loses neither the summary nor the other reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.commands import outputs
from app.core.errors import TargetError

RTPROBE = [sys.executable, "-m", "app"]
FLAGS = ["--json", "--csv", "--html"]


def rtprobe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RTPROBE, *args], capture_output=True, text=True, timeout=120)


def unwritable(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Paths no process can write to, even as root, and the reason each is refused."""
    a_file = tmp_path / "plain"
    a_file.write_text("x")
    (tmp_path / "adir").mkdir()
    return {
        "missing directory": (tmp_path / "nope" / "r.out", "no such directory"),
        "parent is a file": (a_file / "r.out", "is not a directory"),
        "a directory": (tmp_path / "adir", "is a directory"),
    }


@pytest.mark.parametrize("flag", FLAGS)
@pytest.mark.parametrize("case", ["missing directory", "parent is a file", "a directory"])
def test_unwritable_report_exits_2_with_one_line(tmp_path: Path, flag: str, case: str) -> None:
    path, why = unwritable(tmp_path)[case]
    out = rtprobe("run", "sse", "http://127.0.0.1:9/stream", "--count", "3", flag, str(path))
    assert out.returncode == 2, (out.stdout, out.stderr)
    line = out.stderr.strip()
    assert line.startswith(f"rtprobe run: {flag} {str(path)!r}: ") and why in line, line
    assert len(line.splitlines()) == 1 and out.stdout == ""


def test_nothing_reaches_the_server_when_a_path_is_bad(tmp_path: Path) -> None:
    import socket

    with socket.socket() as listener:  # a server that notes any connection at all
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        out = rtprobe(
            "run",
            "ws",
            f"ws://127.0.0.1:{port}/x",
            "--count",
            "1",
            "--json",
            str(tmp_path / "nope" / "s.json"),
        )
        with pytest.raises(TimeoutError):
            listener.accept()
    assert out.returncode == 2 and "--json" in out.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file permissions")
def test_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(TargetError, match="cannot create files in"):
            outputs.check("--json", str(ro / "s.json"))
    finally:
        ro.chmod(0o700)


def test_a_writable_path_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    outputs.check("--json", str(tmp_path / "s.json"))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_at_the_end_keeps_the_summary(monkeypatch, mock_base, tmp_path, capsys):
    """The path was fine when checked and went away during the run (a disk filled up, a
    directory was removed): the summary is printed, the other reports are written, and
    the one line saying what failed makes the exit code 1."""
    import argparse

    from app.cli import build_parser
    from app.commands import run as run_command

    report, page = tmp_path / "s.json", tmp_path / "r.html"

    def refuse(path, summary, interrupted=""):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "write_json", refuse)
    reports = ["--json", str(report), "--html", str(page)]
    args = build_parser().parse_args(
        ["run", "sse", f"{mock_base}/mock/echo/stream", "--count", "3", *reports]
    )
    assert isinstance(args, argparse.Namespace)
    code = run_command.main(args)
    out, err = capsys.readouterr()
    assert code == 1
    assert "sent 3  received 3" in out
    assert (
        err.strip() == f"rtprobe run: cannot write --json {str(report)!r}: No space left on device"
    )
    assert not report.exists() and "<html" in page.read_text().lower()


def test_json_report_says_when_a_run_was_interrupted(tmp_path: Path) -> None:
    from app.core.summary import Aggregator

    path = tmp_path / "s.json"
    summary = Aggregator(transport="sse", target="t").summary()
    outputs.write_json(str(path), summary, "SIGTERM")
    assert json.loads(path.read_text())["interrupted"] == "SIGTERM"
    outputs.write_json(str(path), summary)
    assert "interrupted" not in json.loads(path.read_text())
