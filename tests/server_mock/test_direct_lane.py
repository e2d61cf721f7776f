"""The mock's direct lane (`server_mock.wsprotocol`): a realtime session's binary inputs
are taken as uvicorn parses them and its binary outputs written at once, under uvicorn
on 127.0.0.1. Shown: the lane is really taken (counted), replies keep their order, an
input the lane declines (undecodable, text) ends the session exactly as the ASGI way
does, after every earlier reply, and a client that stops reading gets every reply, in
order, once it reads again (writes wait for the socket instead of piling up)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msgpack
import pytest
import websockets

from server_mock import FaultConfig
from server_mock.realtime import RealtimeSession
from server_mock.wsprotocol import CappedWebSocketProtocol

pytestmark = pytest.mark.timeout(60)


def counting(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[Any]:
    """Wrap `cls.name` so that each result is appended to the returned list."""
    results: list[Any] = []
    original: Callable[..., Any] = getattr(cls, name)

    def wrapper(self: Any, data: bytes) -> Any:
        result = original(self, data)
        results.append(result)
        return result

    monkeypatch.setattr(cls, name, wrapper)
    return results


async def test_inputs_and_outputs_take_the_lane_in_order(
    start_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = counting(monkeypatch, RealtimeSession, "take_input")
    written = counting(monkeypatch, CappedWebSocketProtocol, "send_direct")
    with start_mock() as base:
        url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        async with websockets.connect(url, compression=None) as ws:
            for seq in range(300):
                await ws.send(msgpack.packb({"rtprobe_seq": seq}))
            got = [msgpack.unpackb(await ws.recv())["rtprobe_seq"] for _ in range(300)]
    assert got == list(range(300))
    assert len(taken) == 300 and all(item is not None for item in taken)
    assert written.count(True) >= 300


@pytest.mark.parametrize(
    ("bad", "reason"),
    [(b"\xc1\xc1", "invalid msgpack"), ("a text frame", "got a text frame")],
)
async def test_a_declined_input_ends_the_session_after_the_earlier_replies(
    start_mock: Any, bad: bytes | str, reason: str
) -> None:
    with start_mock() as base:
        url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        async with websockets.connect(url, compression=None) as ws:
            for seq in range(20):
                await ws.send(msgpack.packb({"rtprobe_seq": seq}))
            await ws.send(bad)
            await ws.send(msgpack.packb({"rtprobe_seq": 99}))  # after the end: unanswered
            frames = [frame async for frame in ws]  # until the mock closes
    replies = [msgpack.unpackb(f)["rtprobe_seq"] for f in frames if isinstance(f, bytes)]
    texts = [f for f in frames if isinstance(f, str)]
    assert replies == list(range(20))
    assert len(texts) == 1 and "x-fal-error" in texts[0] and reason in texts[0]
    assert frames[-1] == texts[0]


async def test_a_client_that_stops_reading_gets_every_reply_in_order(
    start_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = counting(monkeypatch, CappedWebSocketProtocol, "send_direct")
    blob = b"\x00" * 65536
    with start_mock() as base:
        url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        # a small receive window, set before connecting: the mock's socket fills after a
        # few replies, whatever the kernel's autotuning would have allowed
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.setblocking(False)
        host, port = urlsplit(base).hostname, urlsplit(base).port
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        async with websockets.connect(
            url, sock=sock, compression=None, max_size=None, max_queue=1
        ) as ws:
            for seq in range(300):  # ~19 MiB of replies
                await ws.send(msgpack.packb({"rtprobe_seq": seq, "blob": blob}))
            got = [msgpack.unpackb(await ws.recv())["rtprobe_seq"] for _ in range(300)]
    assert got == list(range(300))
    assert False in written  # the socket was full: those replies waited on uvicorn's send


# -- answers at once (RealtimeRoute.at_once) -------------------------------------------
async def test_inputs_answered_at_once_and_by_the_app_keep_their_order(
    start_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs that ask for compute time go to the app's task; those behind them wait for
    it, and the ones after answer at once again: replies in input order, both ways used."""
    at_once = counting(monkeypatch, RealtimeSession, "write_now")
    inputs = [
        {"rtprobe_seq": seq, **({"sleep_ms": 30} if seq % 10 == 5 else {})} for seq in range(60)
    ]
    with start_mock() as base:
        url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        async with websockets.connect(url, compression=None) as ws:
            for item in inputs:
                await ws.send(msgpack.packb(item))
            got = [msgpack.unpackb(await ws.recv()) for _ in inputs]
            for seq in range(100, 110):  # one at a time: the app idle each time
                await ws.send(msgpack.packb({"rtprobe_seq": seq}))
                got.append(msgpack.unpackb(await ws.recv()))
    assert [g["rtprobe_seq"] for g in got] == [*range(60), *range(100, 110)]
    assert all(g["server_send_ns"] >= g["server_recv_ns"] for g in got)
    assert len(at_once) >= 10  # the one-at-a-time inputs at least


async def test_a_fault_or_a_field_to_check_takes_the_app_way(
    start_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_once = counting(monkeypatch, RealtimeSession, "write_now")
    with start_mock(faults=FaultConfig(latency_ms=40)) as base:
        url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        async with websockets.connect(url, compression=None) as ws:
            sent = time.monotonic()
            await ws.send(msgpack.packb({"rtprobe_seq": 1}))
            assert msgpack.unpackb(await ws.recv())["rtprobe_seq"] == 1
            assert time.monotonic() - sent >= 0.04  # the injected latency applied
    assert at_once == []
    with start_mock() as base:
        url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        async with websockets.connect(url, compression=None) as ws:
            await ws.send(msgpack.packb({"rtprobe_seq": 1, "sleep_ms": "soon"}))
            frames = [frame async for frame in ws]
    assert at_once == []
    assert len(frames) == 1 and "x-fal-error" in frames[0] and "sleep_ms" in frames[0]
