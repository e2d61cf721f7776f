"""rtprobe's own tail in open loop: `rtprobe run` against the minimal asyncio websockets
generator (`open_loop_client.py`), 50 sessions at each rate, the mock echo in its own
process, rounds alternating which client goes first so drift on the machine hits both.

Targets (issue 14): rtprobe's send lag p99.9 <= 2 ms, and its round-trip p99.9 within
1.5x the bare client's at the same rate in the same run. Prints per round and the
medians (with min..max spread) of p50/p99/p99.9/max round trip and send lag, and the
rtprobe/bare ratios of the medians.

    python benchmarks/open_loop_tail.py                       # 2,000 and 5,000 msg/s, 3 rounds
    python benchmarks/open_loop_tail.py --rates 2000 --rounds 5 --duration 8 --json out.json
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    MockProcess,
    fmt,
    machine_info,
    parser,
    ratio,
    run,
    write_json,
)
from benchmarks.open_loop_rounds import (
    CLIENTS,
    FIGURES,
    OTHER_TREE,
    Round,
    median,
    round_once,
    spread,
)

TARGET_SEND_LAG_P999_MS = 2.0
TARGET_RTT_P999_RATIO = 1.5


def _row(r: Round) -> str:
    rtt = " ".join(f"{fmt(r.rtt[k], 2):>7}" for k in FIGURES)
    lag = " ".join(f"{fmt(r.send_lag[k], 2):>7}" for k in FIGURES)
    tail = f"lost {r.lost}  cpu {r.cpu_s:.2f} s"
    return f"  {r.client:<8} {r.rate:>6g}  rtt {rtt}   lag {lag}   {tail}"


def _medians(rounds: list[Round], what: str) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for k in FIGURES:
        values = [getattr(r, what)[k] for r in rounds]
        lo, hi = spread(values)
        out[k] = {"median": median(values), "min": lo, "max": hi}
    return out


def measure(
    rates: list[float], rounds: int, concurrency: int, duration_s: float, warmup: int
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    print(f"  {'client':<8} {'rate':>6}  rtt ms {'  '.join(FIGURES)}   lag ms (same)")
    with MockProcess() as base:
        ws_base = base.replace("http://", "ws://")
        for rate in rates:
            clients = (*CLIENTS, "other") if OTHER_TREE else CLIENTS
            done: dict[str, list[Round]] = {c: [] for c in clients}
            for i in range(rounds):
                order = clients if i % 2 == 0 else clients[::-1]
                for client in order:
                    r = round_once(client, ws_base, rate, concurrency, duration_s, warmup)
                    done[client].append(r)
                    print(_row(r), flush=True)
            block: dict[str, Any] = {
                c: {
                    "rtt_ms": _medians(rs, "rtt"),
                    "send_lag_ms": _medians(rs, "send_lag"),
                    "cpu_s": median([r.cpu_s for r in rs]),
                }
                for c, rs in done.items()
            }
            rp, bare = block["rtprobe"], block["bare"]
            block["ratio_rtprobe_to_bare"] = {
                what: {k: ratio(rp[what][k]["median"], bare[what][k]["median"]) for k in FIGURES}
                for what in ("rtt_ms", "send_lag_ms")
            }
            lag999 = rp["send_lag_ms"]["p999"]["median"]
            rtt999 = block["ratio_rtprobe_to_bare"]["rtt_ms"]["p999"]
            block["targets_met"] = {
                "send_lag_p999": lag999 <= TARGET_SEND_LAG_P999_MS,
                "rtt_p999_ratio": rtt999 <= TARGET_RTT_P999_RATIO,
            }
            results[f"{rate:g}"] = block
            _print_block(rate, block)
    return results


def _print_block(rate: float, block: dict[str, Any]) -> None:
    print(f"{rate:g} msg/s, medians over rounds (min..max):")
    for c in [c for c in (*CLIENTS, "other") if c in block]:
        for what in ("rtt_ms", "send_lag_ms"):
            cells = ", ".join(
                f"{k} {fmt(v['median'], 2)} ({fmt(v['min'], 2)}..{fmt(v['max'], 2)})"
                for k, v in block[c][what].items()
            )
            print(f"  {c:<8} {what:<12} {cells}")
        print(f"  {c:<8} cpu s        {block[c]['cpu_s']:.2f} (median, client process)")
    for what, ratios in block["ratio_rtprobe_to_bare"].items():
        print(
            f"  rtprobe/bare {what}: " + ", ".join(f"{k} x{fmt(v, 2)}" for k, v in ratios.items())
        )
    met = {k: "yes" if v else "NO" for k, v in block["targets_met"].items()}
    print(
        f"  send lag p99.9 <= {TARGET_SEND_LAG_P999_MS} ms: {met['send_lag_p999']};"
        f" rtt p99.9 <= {TARGET_RTT_P999_RATIO}x bare: {met['rtt_p999_ratio']}",
        flush=True,
    )


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--rates", default="2000,5000", help="total msg/s, comma-separated")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per rate")
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--duration", type=float, default=8.0, help="seconds per round")
    p.add_argument("--warmup", type=int, default=20, help="messages per session left out")
    a = p.parse_args()
    rates = [float(x) for x in a.rates.split(",") if x]
    info = machine_info(["websockets", "msgpack"])
    results = measure(rates, a.rounds, a.concurrency, a.duration, a.warmup)
    if a.json_out:
        write_json(a.json_out, {"machine": info, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
