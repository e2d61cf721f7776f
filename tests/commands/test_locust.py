"""`rtprobe locust`: Locust with rtprobe's locustfile, its flags passed through."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from app.commands import locust as locust_command

ROOT = Path(__file__).resolve().parents[2]


def test_the_command_line_is_locusts_with_rtprobes_locustfile() -> None:
    cmd = locust_command.command(["--headless", "-u", "2", "--transport", "ws"])
    assert cmd[:3] == [sys.executable, "-m", "locust"]
    assert cmd[3:5] == ["-f", str(locust_command.LOCUSTFILE)]
    assert cmd[5:] == ["--headless", "-u", "2", "--transport", "ws"]
    assert locust_command.LOCUSTFILE.is_file()


def test_a_locustfile_of_ones_own_replaces_rtprobes() -> None:
    assert locust_command.command(["-f", "mine.py"])[3:] == ["-f", "mine.py"]
    assert locust_command.command(["--locustfile=mine.py"])[3:] == ["--locustfile=mine.py"]


def test_locusts_processes_can_import_this_rtprobe() -> None:
    paths = locust_command.environment()["PYTHONPATH"].split(os.pathsep)
    assert paths[0] == str(ROOT)


def test_without_locust_it_says_how_to_get_it_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert cli.main(["locust", "--headless"]) == 2
    assert capsys.readouterr().err == locust_command.MISSING + "\n"


def test_in_the_bundle_it_says_the_load_part_is_not_bundled_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert cli.main(["locust", "--headless"]) == 2
    assert capsys.readouterr().err == locust_command.NOT_BUNDLED + "\n"


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="Locust not installed")
def test_help_lists_locusts_flags_and_rtprobes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "locust", "--help"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-1000:]
    for flag in ("--headless", "--processes", "--transport", "--report-json", "--assert"):
        assert flag in done.stdout


def test_the_command_line_loads_neither_locust_nor_gevent_until_asked() -> None:
    code = (
        "import sys; from app import cli; cli.build_parser(); "
        "import app.commands.locust, app.load.options; "
        "print(sorted(m for m in ('locust', 'gevent') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-1000:]
    assert done.stdout.strip() == "[]"


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="Locust not installed")
@pytest.mark.parametrize("embedded", [True, False], ids=["--mock", "--mock-url"])
def test_sigint_stops_it_even_when_started_with_sigint_ignored(
    tmp_path: Path, mock_base: str, embedded: bool
) -> None:
    """A background job of a script inherits SIGINT ignored; Locust kept ignoring the
    SIGINT that `rtprobe locust` handed it (or that reached it after exec)."""
    import signal
    import time

    report = tmp_path / "merged.json"
    where = ["--mock"] if embedded else ["--mock-url", mock_base]
    args = ["--headless", "-u", "1", "-r", "1", "-t", "300", "--transport", "ws"]
    args += ["--target", "mock/echo/ws", "--rate", "5", "--report-every", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "locust", *where, *args, "--report-json", str(report)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        start_new_session=True,  # its group: what a failed test leaves is killed whole
    )
    try:
        deadline = time.monotonic() + 90
        while not report.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # bounded: until the first partial report is written
        assert report.exists(), "the run never wrote its first report"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)  # TimeoutExpired before the fix: SIGINT was ignored
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
