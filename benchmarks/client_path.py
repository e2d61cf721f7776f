"""rtprobe's own CPU per message, sockets left out: the session path of `rtprobe run`
(encode, matcher, Reply, Sample, the run's redactor and the aggregator; the realtime
client whole) against a minimal client doing what `open_loop_client.py` does per
message (pack, send, receive, unpack, append a time), both over one in-memory
WebSocket double that echoes each frame on the next pass of the loop.

On a real socket both clients also pay the kernel and websockets' framing, the same
for both; what is left here is what rtprobe adds, and it is measured in thread CPU
time, so a busy machine slows the round but not the figure much. Closed loop (each
session sends its next message when the reply came), C sessions, N messages each.

    python benchmarks/client_path.py                  # 50 sessions x 2,000, 5 rounds
    python benchmarks/client_path.py --rounds 9 --json out.json

Prints µs of CPU per message for each client (the median of the rounds) and their
ratio; a round that measured no message fails the run (exit 1).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgpack

from app.core import precise_loop
from app.core.config import RunConfig
from app.core.engine.run import run
from app.core.sessions import messages
from app.core.summary import Aggregator
from app.core.targets import resolve
from app.core.transports.realtime import RealtimeClient
from benchmarks.common import NoSamples, parser, write_json


class EchoSocket:
    """The part of websockets' ClientConnection a realtime client touches, echoing
    every frame sent on the next pass of the loop."""

    class _Protocol:
        extensions: list[Any] = []

    protocol = _Protocol()
    subprotocol = None
    response = None

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._frames: deque[bytes | str] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def _deliver(self, frame: bytes | str) -> None:
        self._frames.append(frame)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def send(self, frame: bytes | str) -> None:
        self._loop.call_soon(self._deliver, frame)

    async def recv(self) -> bytes | str:
        while not self._frames:
            self._waiter = self._loop.create_future()
            await self._waiter
        return self._frames.popleft()

    async def close(self) -> None:
        return None


async def rtprobe_round(sessions: int, count: int) -> int:
    """The engine's run over `sessions` realtime sessions on EchoSocket; messages done."""

    async def connect() -> RealtimeClient:
        return RealtimeClient(EchoSocket())  # type: ignore[arg-type]

    original = messages.MessageSession.__init__

    def patched(self: Any, index: int, config: Any, emit: Any, stop: Any, _c: Any) -> None:
        original(self, index, config, emit, stop, connect)

    config = RunConfig(
        target=resolve("realtime", "mock/echo", base_url="http://127.0.0.1:9"),
        count=count * sessions,
        concurrency=sessions,
        payload={"prompt": "hi"},
    )
    agg = Aggregator(transport="realtime", target="echo")
    messages.MessageSession.__init__ = patched  # type: ignore[method-assign]
    try:
        await run(config, agg.feed)
    finally:
        messages.MessageSession.__init__ = original  # type: ignore[method-assign]
    return agg.summary().received


async def bare_round(sessions: int, count: int) -> int:
    """The minimal client's per-message work on the same double; messages done."""
    rtts: list[int] = []

    async def session() -> None:
        ws = EchoSocket()
        for seq in range(count):
            sent = time.perf_counter_ns()
            await ws.send(msgpack.packb({"prompt": "hi", "rtprobe_seq": seq}, use_bin_type=True))
            reply = msgpack.unpackb(await ws.recv(), raw=False)
            if reply["rtprobe_seq"] == seq:
                rtts.append(time.perf_counter_ns() - sent)

    await asyncio.gather(*(session() for _ in range(sessions)))
    return len(rtts)


def measure(which: str, sessions: int, count: int) -> float:
    """µs of this thread's CPU per message of one round."""
    work = rtprobe_round if which == "rtprobe" else bare_round
    cpu = time.thread_time()
    done = precise_loop.run(work(sessions, count))
    cpu = time.thread_time() - cpu
    if done != sessions * count:
        raise NoSamples(f"{which}: {done} of {sessions * count} messages came back")
    return cpu / done * 1e6


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--count", type=int, default=2000, help="messages per session")
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    figures: dict[str, list[float]] = {"bare": [], "rtprobe": []}
    try:
        measure("rtprobe", a.sessions, 50)  # imports and first-use costs, not measured
        for _ in range(a.rounds):  # alternated, so drift on the machine hits both
            for which in figures:
                figures[which].append(measure(which, a.sessions, a.count))
    except NoSamples as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    med = {k: statistics.median(v) for k, v in figures.items()}
    for k, v in figures.items():
        rounds = " ".join(f"{x:.2f}" for x in v)
        print(f"{k:8s} {med[k]:7.2f} µs CPU per message  (rounds: {rounds})")
    extra = med["rtprobe"] - med["bare"]
    print(f"rtprobe / bare: x{med['rtprobe'] / med['bare']:.2f}  (+{extra:.2f} µs)")
    if a.json_out:
        write_json(a.json_out, {"us_per_message": med, "rounds": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
