"""The headless demo: what `rtprobe` does when there is no display.

Starts the embedded mock server and runs a short round-trip test on the realtime,
raw WebSocket and SSE transports, printing what it measured.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable

import httpx
import websockets
from httpx_sse import aconnect_sse

from app.core.codecs.realtime import Output, decode_frame, encode_input
from server_mock import MockServer


def _row(name: str, samples_ms: list[float], extra: str = "") -> str:
    samples = sorted(samples_ms)
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"  {name:<28} n={len(samples):<5} p50={p50:7.3f} ms  p99={p99:7.3f} ms  {extra}"


async def _realtime(ws_base: str, count: int) -> list[float]:
    out = []
    async with websockets.connect(f"{ws_base}/mock/echo/realtime", compression=None) as ws:
        for i in range(count):
            t0 = time.perf_counter()
            await ws.send(encode_input({"seq": i, "payload": "x" * 64}))
            msg = decode_frame(await ws.recv())
            if not isinstance(msg, Output) or msg.data.get("seq") != i:
                raise RuntimeError(f"unexpected reply to input {i}: {msg}")
            out.append((time.perf_counter() - t0) * 1000)
    return out


async def _raw_ws(ws_base: str, count: int) -> list[float]:
    out = []
    async with websockets.connect(f"{ws_base}/mock/echo/ws", compression=None) as ws:
        for i in range(count):
            t0 = time.perf_counter()
            await ws.send(json.dumps({"seq": i}))
            if json.loads(await ws.recv()).get("seq") != i:
                raise RuntimeError(f"unexpected reply to message {i}")
            out.append((time.perf_counter() - t0) * 1000)
    return out


async def _sse(http_base: str, count: int) -> list[float]:
    out = []
    async with httpx.AsyncClient() as client:
        for _ in range(count):
            t0 = time.perf_counter()
            async with aconnect_sse(
                client,
                "POST",
                f"{http_base}/mock/diffusion/stream",
                json={"steps": 4, "step_ms": 5, "width": 64, "height": 64},
            ) as es:
                first = None
                async for _event in es.aiter_sse():
                    first = first or time.perf_counter()
            out.append(((first or time.perf_counter()) - t0) * 1000)
    return out


async def run_demo(count: int = 200, echo: Callable[[str], None] = print) -> int:
    async with MockServer() as base:
        ws_base = base.replace("http://", "ws://")
        echo(f"embedded mock server listening on {base}")
        echo(_row("realtime mock/echo (64 B)", await _realtime(ws_base, count)))
        echo(_row("raw WebSocket mock/echo/ws", await _raw_ws(ws_base, count)))
        echo(
            _row(
                "SSE mock/diffusion/stream",
                await _sse(base, max(3, count // 40)),
                "(time to first event)",
            )
        )
    return 0


def main() -> int:
    return asyncio.run(run_demo())
