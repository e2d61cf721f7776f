"""GUI overhead: does plotting live distort what is measured?

The mock echo runs in its own process. The same traffic — 4 realtime connections of
250 messages/s each, 1,000 messages/s in all, open loop — is measured twice per round,
headless (the engine thread, events drained by a plain loop) and with the real main
window plotting live offscreen (4 panels, inspector on). Rounds alternate the order.
Prints the p99 round-trip ratio GUI/headless (target <= 1.25) and the plot redraw rate
the window achieved (target >= 30 fps with 4 connections); `--json FILE` keeps them.
A side that measured no round trips ends the run with exit status 1 and an `error:` line.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_overhead.py --json out.json
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.core.config import RunConfig  # noqa: E402
from app.core.engine.thread import EngineThread  # noqa: E402
from app.core.events import RunFinished  # noqa: E402
from app.core.metrics import LatencyHistogram  # noqa: E402
from app.core.summary import Aggregator  # noqa: E402
from app.core.targets import resolve  # noqa: E402
from benchmarks import common  # noqa: E402
from benchmarks.common import ratio  # noqa: E402
from server_mock.process import MockProcess  # noqa: E402

CONNECTIONS = 4
RATE_EACH = 250.0


def _configs(base: str, seconds: float, record: bool) -> list[RunConfig]:
    target = resolve("realtime", "mock/echo", base_url=base)
    return [
        RunConfig(
            target=target,
            payload={"n": 1},
            count=None,
            duration_s=seconds,
            rate=RATE_EACH,
            warmup=50,
            record_messages=record,
        )
        for _ in range(CONNECTIONS)
    ]


def headless(base: str, seconds: float) -> LatencyHistogram:
    engine = EngineThread()
    aggs: dict[int, Aggregator] = {}
    try:
        for cfg in _configs(base, seconds, record=False):
            aggs[engine.submit(cfg)] = Aggregator()
        finished: set[int] = set()
        deadline = time.monotonic() + seconds + 30
        while len(finished) < len(aggs) and time.monotonic() < deadline:
            for run_id, event in engine.drain():
                if isinstance(event, RunFinished):
                    finished.add(run_id)
                else:
                    aggs[run_id].feed(event)
            time.sleep(1 / 30)  # the same drain cadence as the GUI's timer
    finally:
        engine.close()
    merged = LatencyHistogram()
    for agg in aggs.values():
        merged.merge(agg.rtt)
    return merged


def with_gui(base: str, seconds: float) -> tuple[LatencyHistogram, float, list[int], float]:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.gui.connection_panel import ConnectionSettings
    from app.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(
        str(Path("/tmp") / f"rtprobe-bench-{os.getpid()}.ini"), QSettings.Format.IniFormat
    )
    window = MainWindow(settings=settings, autosave=False)
    window.resize(1600, 1000)
    window.show()
    window.show_mock(base)
    panels = [
        window.add_connection(
            ConnectionSettings(
                transport="realtime", target="mock/echo", payload='{"n": 1}', rate=RATE_EACH
            )
        )
        for _ in range(CONNECTIONS)
    ]
    app.processEvents()
    for panel in panels:
        panel.start(duration_s=seconds)
    start = time.monotonic()
    cpu0 = time.process_time()
    start_redraws = [p.plots.redraws for p in panels]

    def check() -> None:
        done = all(p.live is not None and p.live.finished for p in panels)
        if done or time.monotonic() - start > seconds + 30:
            app.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(100)
    app.exec()
    elapsed = min(time.monotonic() - start, seconds)
    cpu = (time.process_time() - cpu0) / (time.monotonic() - start)
    redraws = [p.plots.redraws - r for p, r in zip(panels, start_redraws, strict=True)]
    merged = LatencyHistogram()
    for panel in panels:
        merged.merge(panel.live.aggregator.rtt)
    window.shutdown()
    window.deleteLater()
    app.processEvents()
    return merged, min(redraws) / elapsed, redraws, cpu


def main() -> int:
    parser = common.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    args = parser.parse_args()
    head, gui = LatencyHistogram(), LatencyHistogram()
    fps: list[float] = []
    cpus: list[float] = []
    with MockProcess() as base:
        for r in range(max(1, args.rounds)):
            order = ("headless", "gui") if r % 2 == 0 else ("gui", "headless")
            for kind in order:
                if kind == "headless":
                    head.merge(headless(base, args.seconds))
                else:
                    h, rate, redraws, cpu = with_gui(base, args.seconds)
                    gui.merge(h)
                    fps.append(rate)
                    cpus.append(cpu)
                    print(
                        f"  round {r + 1}: GUI redraws per panel {redraws}, "
                        f"GUI process CPU {cpu:.0%} of a core",
                        flush=True,
                    )
    common.require_samples("headless round trips", head.count)
    common.require_samples("GUI round trips", gui.count)
    hs, gs = head.summary(), gui.summary()
    result = {
        "connections": CONNECTIONS,
        "rate_per_s": CONNECTIONS * RATE_EACH,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "headless_ms": hs.as_dict(),
        "gui_ms": gs.as_dict(),
        "p50_ratio": round(ratio(gs.p50, hs.p50), 3),
        "p99_ratio": round(ratio(gs.p99, hs.p99), 3),
        "p999_ratio": round(ratio(gs.p999, hs.p999), 3),
        "redraw_fps": round(min(fps), 2),
        "python": sys.version.split()[0],
    }
    print(
        f"{CONNECTIONS} realtime connections x {RATE_EACH:g} msg/s, {args.seconds:g} s, "
        f"{args.rounds} rounds"
    )
    print(f"  {'':<10}{'p50 ms':>10}{'p99 ms':>10}{'p99.9 ms':>10}{'max ms':>10}{'count':>9}")
    for name, s in (("headless", hs), ("gui", gs)):
        print(f"  {name:<10}{s.p50:>10.3f}{s.p99:>10.3f}{s.p999:>10.3f}{s.max:>10.3f}{s.count:>9}")
    print(
        f"  p99 ratio gui/headless {result['p99_ratio']:.3f} (target <= 1.25)   "
        f"p50 ratio {result['p50_ratio']:.3f}"
    )
    print(f"  redraw rate {result['redraw_fps']:.1f} fps per panel, slowest round (target >= 30)")
    if args.json_out:
        common.write_json(args.json_out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(common.run(main))
