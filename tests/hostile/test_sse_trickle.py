"""Finding 1: an SSE stream that keeps trickling (one event a second, forever) must not
hold a run past its limits. Every request has a total deadline (`--timeout`, and the end
of a `--duration` run plus a short grace), and SIGINT/SIGTERM cut a stream mid-way; the
cut request is accounted as timed out and every requested report is still written."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.config import RunConfig
from app.core.engine.run import run_collect
from app.core.events import ErrorEvent, Event, Sample
from app.core.targets import resolve
from tests.hostile import stream_servers as servers
from tests.support.waiting import async_wait_until, wait_until

pytestmark = pytest.mark.timeout(60)

RTPROBE = [sys.executable, "-m", "app"]
STARTUP_S = 8.0  # a generous ceiling for the interpreter and imports on a loaded machine
STOP_S = 1.0  # what a stop signal may take, plus SLACK_S for the process to exit
SLACK_S = 1.5


def stream_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/stream"


def sse_run(port: int) -> list[str]:
    return [*RTPROBE, "run", "sse", stream_url(port)]


def accounted(s: dict) -> bool:
    return s["sent"] == s["received"] + s["errors"] + s["dropped"] + s["timeouts"]


def test_duration_ends_a_trickling_stream_with_the_report(hostile, tmp_path: Path) -> None:
    port = hostile(servers.trickling_sse(every_s=1.0))
    report = tmp_path / "x.json"
    t0 = time.monotonic()
    out = subprocess.run(
        [*sse_run(port), "--duration", "3", "--timeout", "2", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=3 + 1 + STARTUP_S + 30,
    )
    elapsed = time.monotonic() - t0
    assert out.returncode == 0, out.stderr
    assert elapsed < 3 + 1 + STARTUP_S
    s = json.loads(report.read_text())
    assert s["duration_s"] <= 3 + 1 + 0.5  # the run itself: duration + the 1 s grace
    assert s["sent"] >= 2 and s["timeouts"] == s["sent"] and accounted(s)
    assert "sent " in out.stdout
    assert "Traceback" not in out.stderr


async def test_count_run_request_is_cut_at_its_timeout(hostile) -> None:
    port = hostile(servers.trickling_sse(every_s=0.1))
    cfg = RunConfig(target=resolve("sse", stream_url(port)), count=2, timeout_s=0.5)
    events: list[Event] = []
    t0 = time.monotonic()
    s = (await asyncio.wait_for(run_collect(cfg, events.append), 20)).summary()
    assert time.monotonic() - t0 < 2 * 0.5 + 2  # two requests of 0.5 s, and some slack
    assert (s.sent, s.timeouts) == (2, 2)
    samples = [e for e in events if isinstance(e, Sample)]
    assert all(x.events >= 2 and x.outcome == "timed_out" for x in samples)
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert all("stream not complete within 0.5 s" in m for m in errors), errors


def counting(handler: servers.Handler, seen: list[float]) -> servers.Handler:
    """`handler`, noting the time of every connection in `seen`."""

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(time.monotonic())
        await handler(reader, writer)

    return counted


async def test_stop_cuts_a_stream_mid_way_and_accounts_for_it(hostile) -> None:
    seen: list[float] = []
    port = hostile(counting(servers.trickling_sse(every_s=0.2), seen))
    cfg = RunConfig(
        target=resolve("sse", stream_url(port)),
        count=None,
        duration_s=60,
        timeout_s=30,
        rate=2.0,
    )
    events: list[Event] = []
    stop = asyncio.Event()
    task = asyncio.ensure_future(run_collect(cfg, events.append, stop))

    def streaming() -> bool:  # the stream was accepted: stop it mid-way
        return any(getattr(e, "state", None) == "connected" for e in events)

    await async_wait_until(lambda: seen and streaming(), 20, what="a request streaming")
    t0 = time.monotonic()
    stop.set()
    agg = await asyncio.wait_for(task, 20)
    assert time.monotonic() - t0 < STOP_S
    s = agg.summary()
    assert s.sent >= 1 and s.timeouts == s.sent
    errors = [e.message for e in events if isinstance(e, ErrorEvent)]
    assert errors and all("the run was stopped" in m for m in errors), errors
    assert all("stream cut" in m for m in errors)  # it was streaming, not waiting


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_signal_stops_a_trickling_run_and_writes_every_report(
    hostile, tmp_path: Path, sig: signal.Signals
) -> None:
    requests: list[float] = []
    port = hostile(counting(servers.trickling_sse(every_s=0.5), requests))
    paths = {flag: tmp_path / f"run.{flag[2:]}" for flag in ("--json", "--csv", "--html")}
    proc = subprocess.Popen(
        [*sse_run(port), "--duration", "120", *(a for f, p in paths.items() for a in (f, str(p)))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        wait_until(lambda: requests, STARTUP_S + 20, what="the run's first request")
        t0 = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 128 + sig, err
    assert elapsed < STOP_S + SLACK_S
    assert f"interrupted by {sig.name}" in err and "Traceback" not in err
    s = json.loads(paths["--json"].read_text())
    assert s["sent"] >= 1 and s["timeouts"] >= 1 and accounted(s)
    assert s["interrupted"] == sig.name
    assert paths["--csv"].read_text().count("\n") == 1 + s["sent"]
    assert "<html" in paths["--html"].read_text().lower()
    assert "sent " in out
