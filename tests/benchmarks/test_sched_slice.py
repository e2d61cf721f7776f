"""`request_short_slice`: on Linux with EEVDF custom slices the threads of a process
take a 0.1 ms slice, without privileges; elsewhere it says False and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from benchmarks import sched_slice

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sched_setattr")


def _supported() -> bool:
    return sched_slice.slice_ns() is not None


@linux
def test_a_thread_takes_a_short_slice_and_gives_it_back() -> None:
    if not _supported():
        pytest.skip("this kernel has no sched_getattr")
    got: dict[str, object] = {}

    def work() -> None:  # its own thread: the test process keeps its slice
        before = sched_slice.slice_ns()
        got["ok"] = sched_slice.set_slice(0, sched_slice.SHORT_SLICE_NS)
        got["after"] = sched_slice.slice_ns()
        assert before is not None
        sched_slice.set_slice(0, before)
        got["back"] = sched_slice.slice_ns() == before

    t = threading.Thread(target=work)
    t.start()
    t.join(10)
    if got.get("ok"):
        assert got["after"] == sched_slice.SHORT_SLICE_NS and got["back"]
    else:  # an older kernel keeps no custom slice: False, and nothing changed
        assert got["back"]


@linux
def test_it_needs_no_privileges() -> None:
    if os.geteuid() != 0:
        pytest.skip("dropping to another user needs root to start with")
    code = (  # imported first: the interpreter's files may not be readable by nobody
        "import os; from benchmarks import sched_slice as s;"
        "os.setgid(65534); os.setuid(65534);"
        "print(s.request_short_slice(), s.slice_ns())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ok, ns = done.stdout.split()
    assert ok in ("True", "False")
    if ok == "True":
        assert int(ns) == sched_slice.SHORT_SLICE_NS


def test_elsewhere_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sched_slice, "_libc", lambda: None)
    assert sched_slice.request_short_slice() is False
    assert sched_slice.slice_ns() is None
    assert sched_slice.set_slice(0, 100_000) is False
