"""What recording costs the engine: realtime round trips to the mock's echo with no
recording (`off`, what `rtprobe run` does without `--record`), with every frame emitted
as a Message (`messages`, what the GUI's inspector asks for), and with `--record`'s HAR
recorder folding them (`record`).

Rounds alternate off / messages / record, each a fresh run of `--count` closed-loop
round trips (64 B msgpack) on one connection, with the mock in its own process, so
drift in machine load lands on all three alike. Prints each round's p50/p99 and the
ratios against `off`. Recording adds no hook to the engine, the sessions or the
transports (the recorder is one more event consumer), so `off` is the same code path
as a build without recording at all.

    .venv/bin/python benchmarks/record_overhead.py [--count 3000] [--rounds 3] [--json F]
"""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.config import RunConfig
from app.core.engine.run import run_collect
from app.core.record.recorder import Recorder
from app.core.targets import resolve
from benchmarks.common import fmt, parser, ratio, ratio_line, require_samples, write_json
from benchmarks.common import run as run_main
from server_mock.process import MockProcess

MODES = ("off", "messages", "record")


async def one_round(base: str, mode: str, count: int) -> dict[str, float]:
    config = RunConfig(
        target=resolve("realtime", "mock/echo", base_url=base),
        payload={"blob": "x" * 40},
        count=count,
        record_messages=mode != "off",
    )
    recorder = Recorder(config) if mode == "record" else None
    also = recorder.feed if recorder is not None else None
    gc.collect()
    agg = await run_collect(config, also)
    s = agg.summary()
    require_samples(f"{mode} round", s.received)
    frames = recorder.frame_count() if recorder else 0
    if recorder is not None and frames != 2 * count:
        raise RuntimeError(f"the recorder kept {frames} frames of {2 * count}")
    return {"p50": s.rtt_ms.p50, "p99": s.rtt_ms.p99, "received": float(s.received)}


def main() -> int:
    p = parser(__doc__ or "")
    p.add_argument("--count", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    mock = MockProcess()
    base = mock.start()
    results: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    try:
        asyncio.run(one_round(base, "off", 200))  # warm-up: imports, the mock's first session
        for r in range(args.rounds):
            for mode in MODES:
                got = asyncio.run(one_round(base, mode, args.count))
                results[mode].append(got)
                print(f"round {r + 1} {mode:<9} p50 {fmt(got['p50'])} ms  p99 {fmt(got['p99'])} ms")
    finally:
        mock.stop()

    def median(mode: str, key: str) -> float:
        values = sorted(x[key] for x in results[mode])
        return values[len(values) // 2]

    out: dict[str, Any] = {"count": args.count, "rounds": args.rounds, "results": results}
    for mode in MODES[1:]:
        ratios = {k: ratio(median(mode, k), median("off", k)) for k in ("p50", "p99")}
        out[f"{mode}_vs_off"] = ratios
        print(ratio_line(f"{mode} vs off (medians of {args.rounds} rounds)", ratios))
    if args.json_out:
        write_json(args.json_out, out)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
