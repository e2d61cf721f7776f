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
    env = {**user_env, "RTPROBE_STARTUP_REPORT": "1"}
    out = run([str(bundle), "gui", "--quit-after", "3"], timeout=120, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert "rtprobe:" not in out.stderr  # the CLI's one-line error
    # the start-up report (app.startup): one line, the phases up to the first paint
    lines = [x for x in out.stderr.splitlines() if x.startswith("rtprobe start-up:")]
    assert len(lines) == 1, out.stderr[-2000:]
    assert re.match(
        r"rtprobe start-up: python [\d.]+ s, cli [\d.]+ s, imports [\d.]+ s, qt [\d.]+ s, "
        r"window [\d.]+ s, session [\d.]+ s, paint [\d.]+ s = window painted at [\d.]+ s; "
        r"engine ready(:| at)",
        lines[0],
    ), lines[0]


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


def test_locust_is_not_bundled_and_says_so_in_one_line(
    bundle: Path, tmp_path: Path, user_env: dict[str, str]
) -> None:
    """The distributed load part (Locust, gevent, zmq, flask, ...) is left out."""
    out = run([str(bundle), "locust", "--headless"], timeout=60, cwd=tmp_path, env=user_env)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "rtprobe locust: the distributed load part (Locust) is not in this bundle; "
        "run it from a Python install: pip install 'rtprobe[load]'"
    ]
    readers = pytest.importorskip("PyInstaller.archive.readers")
    exe = readers.CArchiveReader(str(bundle))
    pyz = exe.open_embedded_archive(next(n for n in exe.toc if n.endswith(".pyz")))
    stack = {"locust", "gevent", "zmq", "flask", "werkzeug", "zope", "greenlet", "psutil"}
    bundled = {n for n in pyz.toc if n.split(".")[0] in stack or n.startswith("app.load")}
    assert not bundled, f"bundled: {sorted(bundled)[:10]}"
    internal = bundle.parent / "_internal"
    assert not [p.name for p in internal.iterdir() if p.name.split(".")[0] in stack]


NUMPY_CHECK = r"""
import sys
import numpy as np

maps = open("/proc/self/maps").read()
blas = {line.split()[-1] for line in maps.splitlines() if "openblas" in line}
assert blas and all(p.startswith(sys.argv[1]) for p in blas), blas
rng = np.random.default_rng(1)
for dt in (np.float32, np.float64, np.complex64, np.complex128):
    tol = 1e-4 if dt in (np.float32, np.complex64) else 1e-10
    close = lambda x, y: np.allclose(x, y, rtol=tol * 10, atol=tol * 10)

    def r(*shape):
        x = rng.standard_normal(shape)
        if np.dtype(dt).kind == "c":
            x = x + 1j * rng.standard_normal(shape)
        return x.astype(dt)

    for m, k, n in [(1, 1, 1), (3, 3, 3), (5, 7, 4), (40, 33, 17)]:
        a, b, v, w = r(m, k), r(k, n), r(k), r(m)
        ref = lambda x, y: np.einsum("ij,jk->ik", x, y, optimize=False)
        for x, y in [(a, b), (np.asfortranarray(a), b), (r(k, m).T, b), (a, r(n, k).T),
                     (r(k, m).conj().T, b)]:
            assert close(x @ y, ref(x, y)), ("gemm", dt, m, k, n)
        assert close(a @ v, np.einsum("ij,j->i", a, v)), ("gemv", dt)
        assert close(w @ a, np.einsum("j,ji->i", w, a)), ("gemv T", dt)
        assert close(a @ a.T, ref(a, a.T)) and close(a.T @ a, ref(a.T, a)), ("syrk", dt)
        assert close(np.dot(v, v), np.sum(v * v)), ("dot", dt)
        assert close(np.vdot(v, v), np.sum(v.conj() * v)), ("dotc", dt)
        s = a.ravel()[::3]
        assert close(np.dot(s, s), np.sum(s * s)), ("strided dot", dt)
    A, B = r(6, 6) + 6 * np.eye(6, dtype=dt), r(6, 2)
    assert close(A @ np.linalg.solve(A, B), B), ("solve", dt)
    assert close(np.linalg.inv(A) @ A, np.eye(6)), ("inv", dt)
    P = A @ A.conj().T
    L = np.linalg.cholesky(P)
    assert np.allclose(L @ L.conj().T, P, rtol=tol * 10, atol=tol * 100), ("cholesky", dt)
    if np.dtype(dt).kind == "f":
        for shape in [(3, 3), (5, 3), (3, 5)]:
            M = r(*shape)
            u, sv, vt = np.linalg.svd(M, full_matrices=False)
            assert close((u * sv) @ vt, M) and np.all(np.diff(sv) <= 0), ("svd", dt, shape)
            assert close(M @ np.linalg.pinv(M) @ M, M), ("pinv", dt, shape)
assert np.isclose(np.linalg.det(np.array([[2.0, 1.0], [1.0, 3.0]])), 5.0)
for bad in (lambda: np.linalg.solve(np.zeros((2, 2)), np.ones(2)),
            lambda: np.linalg.eig(np.eye(3))):
    try:
        bad()
    except np.linalg.LinAlgError:
        pass
    else:
        raise AssertionError("no LinAlgError")
print("numpy on miniblas: ok")
"""


def test_numpy_on_the_bundled_blas_gives_right_answers(bundle: Path, tmp_path: Path) -> None:
    """packaging/slim.py put miniblas in place of numpy's OpenBLAS: numpy's own modules
    (this venv's, the ones the bundle was built from) on the bundle's numpy.libs/ give
    the right products, solves, factorizations, and LinAlgError where miniblas fails."""
    import numpy

    internal = bundle.parent / "_internal"
    if not (internal / f"numpy-{numpy.__version__}.dist-info").is_dir():
        pytest.skip(f"the bundle's numpy is not this venv's {numpy.__version__}")
    libs = internal / "numpy.libs"
    blas = sorted(libs.glob("lib*openblas*.so"))
    assert blas, "no numpy.libs/lib*openblas*.so in the bundle"
    assert all(p.stat().st_size < 1_000_000 for p in blas), "OpenBLAS itself is bundled"
    assert not list(libs.glob("libgfortran*")), "libgfortran is bundled though nothing needs it"
    site = tmp_path / "site"
    shutil.copytree(Path(numpy.__file__).parent, site / "numpy")
    shutil.copytree(libs, site / "numpy.libs")
    done = subprocess.run(
        [sys.executable, "-c", NUMPY_CHECK, str(site)],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert "numpy on miniblas: ok" in done.stdout


AV_TLS_CHECK = r"""
import socket, sys, threading
import av

maps = {line.split()[-1] for line in open("/proc/self/maps") if "libgnutls" in line}
assert maps and all(p.startswith(sys.argv[1]) for p in maps), maps
server = socket.create_server(("127.0.0.1", 0))
port = server.getsockname()[1]


def serve():
    for _ in range(2):
        conn, _ = server.accept()
        conn.recv(100)
        conn.close()


threading.Thread(target=serve, daemon=True).start()
for url in (f"https://127.0.0.1:{port}/x.mp4", f"tls://127.0.0.1:{port}"):
    try:
        av.open(url, timeout=10)
    except OSError as exc:
        print("refused:", exc)
    else:
        raise AssertionError(url + " opened")
av.CodecContext.create("libvpx", "w")
av.CodecContext.create("libx264", "w")
print("av on the GnuTLS stand-in: ok")
"""


def test_ffmpeg_without_gnutls_fails_tls_cleanly(bundle: Path, tmp_path: Path) -> None:
    """packaging/slim.py put failing stubs in place of GnuTLS (and dropped nettle,
    hogweed, gmp, libunistring): this venv's av on the bundle's av.libs/ still loads,
    makes its encoders, and an https:// or tls:// input fails with an OSError."""
    import av

    venv_libs = Path(av.__file__).parent.parent / "av.libs"
    libs = bundle.parent / "_internal" / "av.libs"
    if not venv_libs.is_dir() or not {p.name for p in libs.iterdir()} <= {
        p.name for p in venv_libs.iterdir()
    }:
        pytest.skip("the bundle's av is not this venv's")
    assert not list(libs.glob("libnettle*")) and not list(libs.glob("libunistring*"))
    assert all(p.stat().st_size < 100_000 for p in libs.glob("libgnutls*"))
    site = tmp_path / "site"
    shutil.copytree(Path(av.__file__).parent, site / "av")
    shutil.copytree(libs, site / "av.libs")
    done = subprocess.run(
        [sys.executable, "-c", AV_TLS_CHECK, str(site)],
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert "av on the GnuTLS stand-in: ok" in done.stdout
