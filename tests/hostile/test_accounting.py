"""Hostile realtime servers and exact accounting: floods of unsolicited frames,
duplicated and late replies, and garbage frames (issue 10, findings 7 and 9).

Each server counts the bytes it sent, so `bytes_in` is checked to the byte, and each
run must keep sent = received + errors + dropped + timeouts.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest
from websockets.asyncio.server import ServerConnection

from app.core.config import RunConfig
from app.core.engine.run import run_collect
from app.core.report.model import Summary
from app.core.targets import resolve
from tests.hostile.websocket_servers import websocket_server

pytestmark = pytest.mark.timeout(60)

SEQ = "rtprobe_seq"


@dataclass
class Wire:
    """What a server sent: bytes of every frame."""

    bytes_out: int = 0


Reply = Callable[[ServerConnection, Wire, dict], Awaitable[None]]


async def send(ws: ServerConnection, wire: Wire, value: object) -> None:
    frame = value if isinstance(value, bytes) else msgpack.packb(value, use_bin_type=True)
    wire.bytes_out += len(frame)
    await ws.send(frame)


def echo_of(data: dict) -> dict:
    """The mock's echo: the input with server stamps (so matched replies show server time)."""
    now = time.perf_counter_ns()
    return {**data, "server_recv_ns": now, "server_send_ns": now}


def realtime_app(answer: Reply) -> tuple[Callable[[ServerConnection], Awaitable[None]], Wire]:
    wire = Wire()

    async def handler(ws: ServerConnection) -> None:
        async for frame in ws:
            await answer(ws, wire, msgpack.unpackb(frame, raw=False))

    return handler, wire


async def measure(answer: Reply, **kw: Any) -> tuple[Summary, Wire]:
    handler, wire = realtime_app(answer)
    async with websocket_server(handler) as base:
        cfg = RunConfig(target=resolve("realtime", f"{base}/hostile/realtime"), **kw)
        summary = (await asyncio.wait_for(run_collect(cfg), 30)).summary()
    assert summary.sent == summary.received + summary.errors + summary.dropped + summary.timeouts
    return summary, wire


async def flood_before_each_reply(ws: ServerConnection, wire: Wire, data: dict) -> None:
    """Echoes each input, but from the second on sends three frames nobody asked for
    first (no sequence id, bigger than a reply)."""
    if data[SEQ] > 0:
        for i in range(3):
            await send(ws, wire, {"spam": i, "pad": "x" * 200})
    await send(ws, wire, echo_of(data))


@pytest.mark.parametrize("rate", [None, 200.0])
async def test_a_flood_of_unsolicited_frames_is_counted_and_never_matched(
    rate: float | None,
) -> None:
    s, wire = await measure(flood_before_each_reply, count=20, rate=rate, timeout_s=5)
    assert (s.sent, s.received, s.errors, s.dropped, s.timeouts) == (20, 20, 0, 0, 0)
    # every received message was matched to its echo (which carries server stamps),
    # none to a flood frame: no false latencies
    assert s.server_ms is not None and s.server_ms.count == 20
    assert s.unmatched == 57 and s.unmatched_by_reason["unsolicited"] == 57
    assert s.bytes_in == wire.bytes_out  # every frame that arrived, to the byte
    assert s.flood_warning() == (
        "flood: 57 frames that no input asked for, more than the 20 replies received"
    )


async def echo_twice(ws: ServerConnection, wire: Wire, data: dict) -> None:
    await send(ws, wire, echo_of(data))
    await send(ws, wire, echo_of(data))


async def test_duplicated_replies_are_counted_once_and_as_duplicates() -> None:
    s, wire = await measure(echo_twice, count=15, timeout_s=5)
    assert (s.sent, s.received) == (15, 15)
    assert s.unmatched == 15 and s.unmatched_by_reason == {
        "late": 0,
        "duplicate": 15,
        "unknown": 0,
        "unsolicited": 0,
    }
    assert s.bytes_in == wire.bytes_out
    assert s.flood_warning() is None  # duplicates answer inputs that were sent
    assert s["unmatched_by_reason"]["duplicate"] == 15  # the JSON file's key


async def late_first_reply(ws: ServerConnection, wire: Wire, data: dict) -> None:
    """Input 0 is answered long after its timeout; the others at once."""
    if data[SEQ] == 0:

        async def later() -> None:
            await asyncio.sleep(0.3)
            await send(ws, wire, echo_of(data))

        task = asyncio.create_task(later())
        ws.late_task = task  # type: ignore[attr-defined]  # kept alive with the connection
        return
    await send(ws, wire, echo_of(data))


async def test_a_reply_after_its_timeout_is_late_not_received() -> None:
    s, wire = await measure(late_first_reply, count=8, rate=10.0, timeout_s=0.1, ordered=False)
    assert (s.sent, s.received, s.timeouts) == (8, 7, 1)
    assert s.unmatched == 1 and s.unmatched_by_reason["late"] == 1
    assert s.bytes_in == wire.bytes_out


async def garbage_for_input_one(ws: ServerConnection, wire: Wire, data: dict) -> None:
    if data[SEQ] == 1:
        await send(ws, wire, b"\xc1\xc1")  # not msgpack
    else:
        await send(ws, wire, echo_of(data))


async def test_a_garbage_reply_ends_its_message_as_an_error_at_once() -> None:
    t0 = time.monotonic()
    s, wire = await measure(garbage_for_input_one, count=4, timeout_s=20)
    assert time.monotonic() - t0 < 10  # it does not wait out --timeout (20 s)
    assert (s.sent, s.received, s.errors, s.timeouts) == (4, 3, 1, 0)
    assert s.error_events == 1
    [(message, n)] = s.errors_by_message.items()
    assert n == 1 and message == (
        "server sent a binary frame that is not msgpack: a byte that starts no msgpack value"
    )
    assert s.bytes_in == wire.bytes_out


async def test_rtprobe_run_reports_the_flood_in_its_summary_and_json(tmp_path: Path) -> None:
    handler, wire = realtime_app(flood_before_each_reply)
    out_json = tmp_path / "s.json"
    async with websocket_server(handler) as base:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app",
            "run",
            "realtime",
            f"{base}/hostile/realtime",
            "--count",
            "10",
            "--timeout",
            "5",
            "--json",
            str(out_json),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 50)
    text = stdout.decode()
    assert proc.returncode == 0, stderr.decode()
    assert "sent 10  received 10  errors 0  dropped 0  timeouts 0" in text
    assert "  unmatched 27 (unsolicited 27)" in text
    flood = [line for line in text.splitlines() if "flood:" in line]
    assert flood == [
        "  flood: 27 frames that no input asked for, more than the 10 replies received"
    ]
    data = json.loads(out_json.read_text())
    assert data["unmatched"] == 27 and data["unmatched_by_reason"]["unsolicited"] == 27
    assert data["bytes_in"] == wire.bytes_out
    assert data["per_session"][0]["unmatched"] == 27


async def test_a_webrtc_server_that_never_answers_times_out_in_plain_words() -> None:
    """Finding 9's wording: the error was "no an answer within 5 s"."""
    from app.core.errors import ProbeTimeout
    from app.core.media import SyntheticSource
    from app.core.transports.webrtc import WebRtcClient, WebRtcOptions

    async def ready_then_silent(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"type": "ready"}))
        async for _ in ws:  # reads the offer, never answers
            pass

    async with websocket_server(ready_then_silent) as base:
        c = WebRtcClient(
            resolve("webrtc", f"{base}/hostile/webrtc"),
            options=WebRtcOptions(connect_timeout_s=0.5),
            source=SyntheticSource(64, 64, 5),
        )
        try:
            with pytest.raises(ProbeTimeout) as excinfo:
                await asyncio.wait_for(c.connect(), 20)
        finally:
            await asyncio.wait_for(c.close(), 10)
    assert str(excinfo.value).endswith(": gave up waiting for an answer after 0.5 s")
