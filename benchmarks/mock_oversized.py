"""The mock's memory after oversized WebSocket frames, against N normal frames.

Not a test: it prints the mock's RSS (from /proc) before and after N frames over its
limit, one connection each, plain and permessage-deflate compressed (the compressed
ones are the case that used to keep ~33 MB a frame), and after N normal frames as the
baseline. Each oversized frame must get an x-fal-error and a 1009 close; a round that
got no answer at all ends the run with exit status 1 and an `error:` line.

    .venv/bin/python benchmarks/mock_oversized.py [--frames 15] [--size-mib 40] [--json out.json]

Only 127.0.0.1 is used; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import websockets  # noqa: E402

from benchmarks import common  # noqa: E402
from server_mock.process import MockProcess  # noqa: E402

PATH = "/mock/echo/ws"
LIMIT_MIB = 16


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def settled_rss(pid: int, wait_s: float = 1.0) -> float:
    """RSS once the server went idle (connections closed, buffers freed)."""
    common.settle(pid, max_s=3.0)
    await asyncio.sleep(wait_s)
    return rss_mib(pid)


async def one_frame(url: str, frame: bytes, compression: str | None) -> tuple[bool, int | None]:
    """Send one frame on its own connection: (got an x-fal-error or an echo, close code)."""
    answered = False
    async with websockets.connect(
        url, compression=compression, max_size=None, open_timeout=10, close_timeout=5
    ) as ws:
        sending = asyncio.create_task(ws.send(frame))
        try:
            for _ in range(5):
                reply = await asyncio.wait_for(ws.recv(), 15)
                if isinstance(reply, str) and json.loads(reply).get("type") == "x-fal-error":
                    answered = True
                elif isinstance(reply, bytes) and len(reply) == len(frame):
                    return True, None  # a normal frame: echoed
        except websockets.ConnectionClosed as exc:
            return answered, exc.rcvd.code if exc.rcvd is not None else 1006
        finally:
            with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
                sending.cancel()
                await sending
    return answered, None


async def round_of(
    name: str, pid: int, url: str, frame: bytes, count: int, compression: str | None
) -> dict[str, Any]:
    before = await settled_rss(pid)
    answered = closes_1009 = 0
    t0 = time.monotonic()
    for _ in range(count):
        ok, code = await one_frame(url, frame, compression)
        answered += ok
        closes_1009 += code == 1009
    after = await settled_rss(pid)
    common.require_samples(name, answered)
    return {
        "round": name,
        "frames": count,
        "frame_mib": len(frame) / 2**20,
        "answered": answered,
        "closed_1009": closes_1009,
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(after, 1),
        "growth_mib": round(after - before, 1),
        "seconds": round(time.monotonic() - t0, 2),
    }


async def measure(frames: int, size_mib: int) -> list[dict[str, Any]]:
    mock = MockProcess("--max-message-bytes", str(LIMIT_MIB * 2**20))
    with mock as base:
        pid = mock.pid
        if pid is None:
            raise RuntimeError("the mock is not running")
        url = base.replace("http", "ws", 1) + PATH
        normal = b"\1" * (1024 * 1024)
        big = b"\0" * (size_mib * 2**20)
        return [
            await round_of("normal 1 MiB", pid, url, normal, frames, None),
            await round_of(f"oversized {size_mib} MiB", pid, url, big, frames, None),
            await round_of(f"oversized {size_mib} MiB deflate", pid, url, big, frames, "deflate"),
        ]


def main() -> int:
    p = common.parser(__doc__ or "")
    p.add_argument("--frames", type=int, default=15, help="frames per round (default 15)")
    p.add_argument("--size-mib", type=int, default=40, help="oversized frame size (default 40)")
    args = p.parse_args()
    if not 1 <= args.frames <= 1000 or args.size_mib <= LIMIT_MIB:
        p.error(f"--frames 1..1000 and --size-mib over the mock's {LIMIT_MIB} MiB limit")
    rounds = asyncio.run(measure(args.frames, args.size_mib))
    print(f"{'round':<28}{'frames':>7}{'answered':>9}{'1009':>6}{'RSS before':>12}"
          f"{'after':>8}{'growth':>8}")  # fmt: skip
    for r in rounds:
        print(
            f"{r['round']:<28}{r['frames']:>7}{r['answered']:>9}{r['closed_1009']:>6}"
            f"{r['rss_before_mib']:>10.1f}MB{r['rss_after_mib']:>6.1f}MB{r['growth_mib']:>6.1f}MB"
        )
    if args.json_out:
        common.write_json(args.json_out, {"rounds": rounds, "machine": common.machine_info()})
    return 0


if __name__ == "__main__":
    sys.exit(common.run(main))
