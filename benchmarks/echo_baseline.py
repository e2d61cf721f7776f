"""The baseline for `mock_echo.py`: a bare `websockets` server doing the mock echo's work.

It unpacks each msgpack map, stamps it (`server_recv_ns`, `server_send_ns`) and packs it
back, as `mock/echo` does, with nothing else: no ASGI, no routing, no fault pipeline. What
the mock spends beyond this is the mock's own overhead.

    python benchmarks/echo_baseline.py    # prints `listening on http://127.0.0.1:PORT`

The first stdout line is the one `server_mock.process.MockProcess(command=...)` waits for.
Only 127.0.0.1; it serves until terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgpack
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

HOST = "127.0.0.1"


async def echo(ws: Any) -> None:
    try:
        async for message in ws:
            recv_ns = time.monotonic_ns()
            data = msgpack.unpackb(message, raw=False)
            data["server_recv_ns"] = recv_ns
            data["server_send_ns"] = time.monotonic_ns()
            await ws.send(msgpack.packb(data, use_bin_type=True))
    except ConnectionClosed:
        pass


async def serve_forever() -> None:
    # any path is served: the benchmark uses the mock's route path for both servers
    async with serve(echo, HOST, 0, compression=None, max_size=None, ping_interval=None) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        print(f"listening on http://{HOST}:{port}", flush=True)
        await asyncio.Event().wait()


def main() -> int:
    from app.core import lifeline

    lifeline.from_env()  # started by MockProcess: end when the benchmark dies
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
