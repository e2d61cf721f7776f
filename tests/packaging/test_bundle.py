"""The PyInstaller bundle as a user runs it: dist/rtprobe/rtprobe, in its own processes.

A bundle newer than every file it is built from is reused; otherwise (or with
RTPROBE_BUNDLE_REBUILD=1) packaging/build.sh builds it first (~30-60 s).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import __version__

pytestmark = [pytest.mark.bundle, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "dist" / "rtprobe"
EXE = APP_DIR / ("rtprobe.exe" if sys.platform == "win32" else "rtprobe")
BUILD_TIMEOUT_S = 900
INPUTS = ("app", "server_mock", "packaging", "assets", "pyproject.toml")


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in INPUTS:
        path = ROOT / name
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" not in file.parts:
                newest = max(newest, file.stat().st_mtime)
    return newest


def _bundle_is_fresh() -> bool:
    if os.environ.get("RTPROBE_BUNDLE_REBUILD", "") not in ("", "0"):
        return False
    return EXE.is_file() and EXE.stat().st_mtime > _newest_input_mtime()


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(args: list[str], *, timeout: float, cwd: Path, env: dict[str, str]) -> Result:
    """Run with a hard timeout; the whole process group (the embedded mock too) is
    killed if it is exceeded."""
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        out, err = proc.communicate(timeout=10)
        pytest.fail(f"{' '.join(args)} still running after {timeout} s\n{out}\n{err}")
    return Result(proc.returncode, out, err)


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The bundled executable, built first unless a fresh one is there."""
    if not _bundle_is_fresh():
        env = {**os.environ, "PYTHON": os.environ.get("PYTHON", sys.executable)}
        try:
            build = subprocess.run(
                ["bash", str(ROOT / "packaging" / "build.sh")],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"packaging/build.sh took more than {BUILD_TIMEOUT_S} s")
        if build.returncode != 0:
            pytest.fail(f"packaging/build.sh failed:\n{build.stdout}\n{build.stderr[-4000:]}")
    assert EXE.is_file(), f"no bundle at {EXE}"
    return EXE


@pytest.fixture
def user_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A user's environment: no venv or PYTHONPATH to lean on, settings in tmp_path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "FAL_KEY")
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT / ".venv"))
    )
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["QT_QPA_PLATFORM"] = "offscreen"
    yield env


def test_version(bundle: Path, tmp_path: Path, user_env: dict[str, str]) -> None:
    out = run([str(bundle), "--version"], timeout=60, cwd=tmp_path, env=user_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"rtprobe {__version__}"


def test_run_realtime_on_bundled_mock(
    bundle: Path, tmp_path: Path, user_env: dict[str, str]
) -> None:
    args = ["run", "realtime", "mock/echo", "--mock", "--count", "200", "--json", "out.json"]
    out = run([str(bundle), *args], timeout=120, cwd=tmp_path, env=user_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["transport"] == "realtime"
    assert report["sent"] == 200
    assert report["received"] == 200
    assert report["errors"] == 0
    assert report["timeouts"] == 0


def test_gui_offscreen(bundle: Path, tmp_path: Path, user_env: dict[str, str]) -> None:
    out = run([str(bundle), "gui", "--quit-after", "3"], timeout=120, cwd=tmp_path, env=user_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert "rtprobe:" not in out.stderr  # the CLI's one-line error


def test_webrtc_with_bundled_sample_video(
    bundle: Path, tmp_path: Path, user_env: dict[str, str]
) -> None:
    """av, aiortc and its codecs, and assets/ all made it into the bundle."""
    sample = bundle.parent / "_internal" / "assets" / "sample.mp4"
    assert sample.is_file(), "assets/sample.mp4 is not in the bundle"
    args = ["run", "webrtc", "mock/yolo", "--mock", "--source", f"file:{sample}"]
    args += ["--duration", "2", "--quiet", "--json", "webrtc.json"]
    out = run([str(bundle), *args], timeout=120, cwd=tmp_path, env=user_env)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((tmp_path / "webrtc.json").read_text())
    assert report["frames_out"] > 0
    assert report["frames_in"] > 0
    assert report["errors"] == 0


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_gui_under_xvfb(bundle: Path, tmp_path: Path, user_env: dict[str, str]) -> None:
    """A real X server: the bundled xcb platform plugin loads (QT_DEBUG_PLUGINS says so)."""
    env = {**user_env, "QT_DEBUG_PLUGINS": "1"}
    env.pop("QT_QPA_PLATFORM")
    args = ["xvfb-run", "-a", str(bundle), "gui", "--quit-after", "2"]
    out = run(args, timeout=120, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    assert "Traceback" not in out.stdout + out.stderr
    assert re.search(r"plugins/platforms/libqxcb\.so\"? loaded library", out.stderr)
