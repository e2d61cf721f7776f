"""The minimal open-loop generator, the baseline of `open_loop_tail.py` and
`open_loop_capacity.py`: plain asyncio + websockets + msgpack, nothing of rtprobe.

`python benchmarks/open_loop_client.py URL --rate R --concurrency C --duration S
--warmup N` opens C connections and sends R msg/s in all on a fixed schedule: session k
sends seq j at `t0 + k * interval / C + j * interval` (interval = C / R), so the sessions
are spread evenly over each interval. Round trip = reply time - intended send time
(coordinated-omission corrected, as rtprobe measures it); send lag = actual - intended
send time. The first N messages of each session are left out. It prints one JSON line:
the percentiles in ms of both, and the counts.

`--loop precise` (the default) runs on the same timerfd-backed loop as rtprobe's engine
(`app.core.precise_loop`, only the event loop, nothing of rtprobe's client): on asyncio's
own loop a sleep wakes up to 1 ms late (epoll's whole milliseconds), so this baseline
could never hold a send lag p99 under 1 ms at any rate and a comparison would measure
the loop's rounding, not the clients. `--loop asyncio` keeps asyncio's default.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import msgpack
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from app.core import precise_loop
from benchmarks.common import histogram_of

DRAIN_S = 2.0  # replies later than this after the last send count as lost


async def _session(
    url: str, k: int, t0: int, interval: int, count: int, warmup: int, out: dict[str, list[int]]
) -> None:
    rtt, lag = out["rtt"], out["lag"]
    async with websockets.connect(url, compression=None, max_size=None, ping_interval=None) as ws:
        intended: dict[int, int] = {}
        sending = [True]
        start = t0 + k * interval // int(out["concurrency"][0])

        async def receive() -> None:
            while sending[0] or intended:
                frame = await ws.recv()
                done = time.perf_counter_ns()
                seq = msgpack.unpackb(frame, raw=False)["rtprobe_seq"]
                when = intended.pop(seq, None)
                if when is not None and seq >= warmup:
                    rtt.append(done - when)

        receiver: asyncio.Task[None] | None = None
        for seq in range(count):
            when = start + seq * interval
            wait = when - time.perf_counter_ns()
            if wait > 0:
                await asyncio.sleep(wait / 1e9)
            sent = time.perf_counter_ns()
            intended[seq] = when
            await ws.send(msgpack.packb({"rtprobe_seq": seq}, use_bin_type=True))
            if seq >= warmup:
                lag.append(sent - when)
            if receiver is None:
                receiver = asyncio.create_task(receive())
        sending[0] = False
        if receiver is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(receiver, DRAIN_S)
        out["lost"].append(len(intended))


async def generate(
    url: str, rate: float, concurrency: int, duration_s: float, warmup: int
) -> dict[str, object]:
    interval = int(1e9 * concurrency / rate)
    count = max(1, int(duration_s * rate / concurrency))
    out: dict[str, list[int]] = {"rtt": [], "lag": [], "lost": [], "concurrency": [concurrency]}
    t0 = time.perf_counter_ns() + 200_000_000  # time to connect before the first send
    await asyncio.gather(
        *(_session(url, k, t0, interval, count, warmup, out) for k in range(concurrency))
    )
    rtt, lag = histogram_of(out["rtt"]), histogram_of(out["lag"])
    return {
        "sent": count * concurrency,
        "lost": sum(out["lost"]),
        "rtt": rtt.summary().as_dict() if rtt.count else None,
        "send_lag": lag.summary().as_dict() if lag.count else None,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url")
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--duration", type=float, default=8.0)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--loop", choices=("precise", "asyncio"), default="precise")
    a = p.parse_args()
    work = generate(a.url, a.rate, a.concurrency, a.duration, a.warmup)
    result = precise_loop.run(work) if a.loop == "precise" else asyncio.run(work)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
