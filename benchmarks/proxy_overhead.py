"""What `rtprobe proxy` with no toxics costs: rtprobe's realtime echo, direct vs proxied.

The mock runs in its own process, the proxy (`python -m app proxy --upstream …`, no
toxics) in another, and rtprobe's engine here runs closed-loop round trips on
`mock/echo/realtime`, alternating direct and through-the-proxy rounds so drift in
machine load lands on both alike. Prints p50/p99 of each and the proxy/direct ratios.
A round that measured nothing fails the run (exit 1).

    .venv/bin/python benchmarks/proxy_overhead.py [--count 2000] [--rounds 3] [--json FILE]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.engine.build import RunSettings, build_config
from app.core.engine.run import run_collect
from app.core.metrics import LatencyHistogram
from benchmarks.common import (
    fmt,
    parser,
    ratio,
    ratio_line,
    require_samples,
    run,
    write_json,
)
from server_mock.process import MockProcess


async def rtts(base: str, count: int, warmup: int, name: str) -> LatencyHistogram:
    require_samples(name, count)  # --count 0 measures nothing: say so, do not divide by it
    cfg = build_config(
        RunSettings(
            "realtime",
            "mock/echo",
            payload={"n": 1},
            count=count + warmup,
            warmup=warmup,
            base_url=base,
        )
    )
    agg = await run_collect(cfg)
    require_samples(name, agg.rtt.count)
    return agg.rtt


def main() -> int:
    p = parser(__doc__ or "")
    p.add_argument("--count", type=int, default=2000, help="round trips per round")
    p.add_argument("--warmup", type=int, default=200, help="round trips left out per round")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds of each")
    args = p.parse_args()
    with MockProcess() as mock_base:
        upstream = mock_base.removeprefix("http://")
        command = [sys.executable, "-m", "app", "proxy", "--upstream", upstream]
        with MockProcess(command=command) as proxy_base:
            totals = {"direct": LatencyHistogram(), "proxy": LatencyHistogram()}
            rounds = []
            for r in range(args.rounds):
                row = {}
                for name, base in (("direct", mock_base), ("proxy", proxy_base)):
                    h = asyncio.run(rtts(base, args.count, args.warmup, f"round {r + 1} {name}"))
                    totals[name].merge(h)
                    row[name] = {"p50_ms": h.percentile_ms(50), "p99_ms": h.percentile_ms(99)}
                rounds.append(row)
                print(
                    f"round {r + 1}: direct p50 {fmt(row['direct']['p50_ms'])} ms "
                    f"p99 {fmt(row['direct']['p99_ms'])} ms | proxy p50 "
                    f"{fmt(row['proxy']['p50_ms'])} ms p99 {fmt(row['proxy']['p99_ms'])} ms",
                    flush=True,
                )
    summary = {
        name: {"p50_ms": h.percentile_ms(50), "p99_ms": h.percentile_ms(99), "n": h.count}
        for name, h in totals.items()
    }
    ratios = {
        k: ratio(summary["proxy"][f"{k}_ms"], summary["direct"][f"{k}_ms"]) for k in ("p50", "p99")
    }
    for name, s in summary.items():
        print(f"{name}: n {s['n']}  p50 {fmt(s['p50_ms'])} ms  p99 {fmt(s['p99_ms'])} ms")
    print(ratio_line("proxy / direct", ratios))
    if args.json_out:
        write_json(args.json_out, {"rounds": rounds, "summary": summary, "ratios": ratios})
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
