"""`MockProcess` running another server (`command=`) and keeping its stderr tail.

Real child processes on 127.0.0.1, stopped by the object that started them.
"""

from __future__ import annotations

import sys

import msgpack
from websockets.sync.client import connect

from benchmarks.common import REPO
from server_mock.process import MockProcess
from tests.support.waiting import wait_until


def test_command_runs_the_benchmark_baseline_server() -> None:
    baseline = MockProcess(command=[sys.executable, str(REPO / "benchmarks" / "echo_baseline.py")])
    with baseline as base:
        assert base.startswith("http://127.0.0.1:")
        assert baseline.ws_base == base.replace("http://", "ws://")
        with connect(baseline.ws_base + "/mock/echo/realtime", open_timeout=10) as ws:
            ws.send(msgpack.packb({"seq": 7}))
            reply = msgpack.unpackb(ws.recv(timeout=10))
    assert reply["seq"] == 7 and reply["server_send_ns"] >= reply["server_recv_ns"]
    assert baseline.pid is None  # stopped on leaving the block


def test_stderr_lines_are_counted_and_the_last_ones_kept() -> None:
    script = (
        "import sys, time\n"
        "print('listening on http://127.0.0.1:9', flush=True)\n"
        "for i in range(30):\n"
        "    print(f'line {i}', file=sys.stderr, flush=True)\n"
        "time.sleep(60)\n"
    )
    server = MockProcess(command=[sys.executable, "-c", script])
    with server:
        wait_until(lambda: server.stderr_lines == 30, what="30 stderr lines")
    assert list(server.stderr_tail) == [f"line {i}" for i in range(10, 30)]
