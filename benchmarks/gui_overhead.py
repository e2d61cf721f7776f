"""GUI overhead: does plotting live distort what is measured?

The mock echo runs in its own process. The same traffic — 4 realtime connections, 1,000
messages/s in all, open loop, built from the same form settings as the GUI builds them —
is measured in rounds of two kinds, alternating (headless, GUI, GUI, headless, …) so a
drift of the machine falls on both sides:

- headless: the engine in its own process (`EngineProcess`, as the GUI hosts it), its
  events drained at 30 Hz by a plain loop that feeds one `Aggregator` per connection;
- GUI: the real main window (Qt's offscreen platform unless `QT_QPA_PLATFORM` says
  otherwise) with one panel per connection, plotting live, inspector on.

Every round runs in a fresh Python process of its own (this script with `--round`), so
no round inherits another's timers, windows or niceness. Printed: the p99 round-trip
ratio GUI/headless (target <= 1.25), the redraw rate per visible panel (target >= 30
fps), the GUI process's CPU (target <= 35 % of a core) and the engine process's CPU
apart, each with its spread over the rounds. `--json FILE` keeps every number. A round
that measured nothing (a connection without samples, a GUI round without redraws) ends
the run with exit status 1 and one `error:` line.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_overhead.py --json out.json
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.core.config import RunConfig  # noqa: E402
from app.core.metrics import LatencyHistogram  # noqa: E402
from benchmarks import common  # noqa: E402
from benchmarks.common import CpuSampler, NoSamples, ratio  # noqa: E402

CONNECTIONS = 4
RATE_TOTAL = 1000.0
ROUND_TIMEOUT_EXTRA_S = 60.0  # a round's process gets its seconds plus this, then it failed
KINDS = ("headless", "gui")


@dataclass
class Round:
    """What one round measured, in its own process, sent back to the parent pickled."""

    kind: str
    samples: list[int]  # round trips per connection
    rtt: LatencyHistogram
    window_s: float = 0.0  # the steady part of the run the rates below cover
    self_cpu_pct: float = 0.0  # the GUI process (or the headless drain loop), % of a core
    engine_cpu_pct: float = 0.0
    mock_cpu_pct: float = 0.0
    other_cpu_pct: float = 0.0  # the rest of the machine: well above 0 means noise
    redraws: list[int] = field(default_factory=list)  # plot updates per panel, in the window
    paints: list[int] = field(default_factory=list)  # plot widget paints per panel
    visible: list[bool] = field(default_factory=list)
    platform: str = ""
    nice: int = 0

    @property
    def fps(self) -> list[float]:
        """Plot updates per second of each visible panel."""
        return [
            r / self.window_s
            for r, v in zip(self.redraws, self.visible, strict=True)
            if v and self.window_s > 0
        ]

    @property
    def paint_fps(self) -> list[float]:
        return [
            p / self.window_s
            for p, v in zip(self.paints, self.visible, strict=True)
            if v and self.window_s > 0
        ]


def check_round(r: Round, name: str) -> None:
    """`NoSamples` naming the round (and connection) when it measured nothing."""
    if not r.samples:
        raise NoSamples(f"{name}: no connection ran, so there is nothing to report")
    for i, n in enumerate(r.samples, 1):
        common.require_samples(f"{name}, connection {i}", n)
    if r.kind == "gui":
        if not any(r.visible):
            raise NoSamples(f"{name}: no panel was visible, so there is no redraw rate")
        # panels nobody can see do not redraw (app.gui.visibility): only the shown count
        if any(n <= 0 for n, v in zip(r.redraws, r.visible, strict=True) if v):
            raise NoSamples(f"{name}: a visible panel never redrew, so there is no redraw rate")


# -- one round, in its own process ----------------------------------------------------------
def _settings(target: str, rate_each: float) -> Any:
    from app.gui.connection_settings import ConnectionSettings

    return ConnectionSettings(
        transport="realtime", target=target, payload='{"n": 1}', rate=rate_each
    )


def _configs(base: str, target: str, connections: int, seconds: float) -> list[RunConfig]:
    from app.gui.connection_settings import build_config

    s = _settings(target, RATE_TOTAL / connections)
    return [
        build_config(s, mock_base=base, key=None, count=None, duration_s=seconds)
        for _ in range(connections)
    ]


def _window(seconds: float) -> tuple[float, float]:
    """The steady part of a run: after its first second (connects, first allocations),
    before its last half second (the ends of the runs)."""
    warm = min(1.0, seconds * 0.2)
    return warm, max(warm + 0.1, seconds - min(0.5, seconds * 0.1))


def headless_round(
    base: str, target: str, connections: int, seconds: float, mock_pid: int | None
) -> Round:
    from app.core.engine.process import EngineProcess
    from app.core.events import RunFinished
    from app.core.summary import Aggregator

    engine = EngineProcess()
    aggs: dict[int, Aggregator] = {}
    sampler = CpuSampler([engine.pid] + ([mock_pid] if mock_pid else []))
    marks = []
    try:
        for cfg in _configs(base, target, connections, seconds):
            aggs[engine.submit(cfg)] = Aggregator()
        start = time.monotonic()
        at = [start + t for t in _window(seconds)]
        finished: set[int] = set()
        deadline = start + seconds + 30
        while len(finished) < len(aggs) and time.monotonic() < deadline:
            for run_id, event in engine.drain():
                if isinstance(event, RunFinished):
                    finished.add(run_id)
                else:
                    aggs[run_id].feed(event)
            if len(marks) < 2 and time.monotonic() >= at[len(marks)]:
                marks.append(sampler.mark())
            time.sleep(1 / 30)  # the same drain cadence as the GUI's timer
    finally:
        engine.close()
    merged = LatencyHistogram()
    for agg in aggs.values():
        merged.merge(agg.rtt)
    out = Round("headless", [a.rtt.count for a in aggs.values()], merged)
    if len(marks) == 2:
        _cpu(out, CpuSampler.usage(*marks), mock_pid)
    return out


def _cpu(out: Round, usage: common.CpuUsage, mock_pid: int | None) -> None:
    out.window_s = usage.wall_s
    out.self_cpu_pct = usage.self_pct
    out.engine_cpu_pct = usage.procs_pct[0]
    out.mock_cpu_pct = usage.procs_pct[1] if mock_pid else float("nan")
    out.other_cpu_pct = usage.other_pct


def gui_round(
    base: str,
    target: str,
    connections: int,
    seconds: float,
    mock_pid: int | None,
    nice: int = 0,
) -> Round:
    from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.engine.process import EngineProcess
    from app.gui.main_window import MainWindow
    from app.gui.visibility import on_screen

    class PaintCounter(QObject):
        """Counts the paints of the widget it watches (the plots' viewport)."""

        def __init__(self) -> None:
            super().__init__()
            self.paints = 0

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    app = QApplication.instance() or QApplication([])
    ini = Path(tempfile.mkdtemp(prefix="rtprobe-bench-")) / "settings.ini"
    window = MainWindow(settings=QSettings(str(ini), QSettings.Format.IniFormat), autosave=False)
    window.resize(1600, 1000)
    window.show()
    window.show_mock(base)
    engine = window.bridge.engine
    assert isinstance(engine, EngineProcess)
    if nice:
        os.nice(nice)  # the GUI only: its engine process is already running, unniced
    panels = [
        window.add_connection(_settings(target, RATE_TOTAL / connections))
        for _ in range(connections)
    ]
    counters = []
    for panel in panels:
        counter = PaintCounter()
        panel.plots.viewport().installEventFilter(counter)
        counters.append(counter)
    app.processEvents()
    sampler = CpuSampler([engine.pid] + ([mock_pid] if mock_pid else []))
    marks: list[tuple[common.CpuMark, list[int], list[int]]] = []
    visible: list[bool] = []

    def mark() -> None:
        marks.append(
            (sampler.mark(), [p.plots.redraws for p in panels], [c.paints for c in counters])
        )
        visible[:] = [on_screen(p.plots) for p in panels]  # while the window is up

    for panel in panels:
        panel.start(duration_s=seconds)
    start = time.monotonic()
    warm, end = _window(seconds)

    def check() -> None:
        """Marks the steady window (it opens once every panel drew, so a slow start on
        a busy machine shortens the window rather than emptying it) and ends the loop."""
        elapsed = time.monotonic() - start
        done = all(p.live is not None and p.live.finished for p in panels)
        shown = [p for p in panels if on_screen(p.plots)]
        opens = not marks and elapsed >= warm and all(p.plots.redraws for p in shown)
        closes = len(marks) == 1 and (elapsed >= end or done)
        if opens or closes:
            mark()
        if done or elapsed > seconds + 30:
            app.quit()

    timer = QTimer(window)
    timer.timeout.connect(check)
    timer.start(100)
    try:
        app.exec()
    finally:
        # the defect this benchmark once had: a timer left running ends every later loop
        timer.stop()
    samples = [p.live.aggregator.rtt.count if p.live else 0 for p in panels]
    merged = LatencyHistogram()
    for panel in panels:
        if panel.live is not None:
            merged.merge(panel.live.aggregator.rtt)
    out = Round("gui", samples, merged, visible=visible, nice=nice)
    out.platform = app.platformName()
    if len(marks) == 2:
        (a, ra, pa), (b, rb, pb) = marks
        _cpu(out, CpuSampler.usage(a, b), mock_pid)
        out.redraws = [y - x for x, y in zip(ra, rb, strict=True)]
        out.paints = [y - x for x, y in zip(pa, pb, strict=True)]
    window.shutdown()
    return out


def one_round(args: Any) -> int:
    """`--round KIND`: measure one round here and pickle it to `--out`."""
    if args.round == "gui":
        r = gui_round(
            args.base, args.target, args.connections, args.seconds, args.mock_pid, args.nice
        )
    else:
        r = headless_round(args.base, args.target, args.connections, args.seconds, args.mock_pid)
    Path(args.out).write_bytes(pickle.dumps(r))
    return 0


def spawn_round(kind: str, base: str, mock_pid: int | None, args: Any, name: str) -> Round:
    """Run one round in a fresh process; its failure is this run's one `error:` line."""
    with tempfile.TemporaryDirectory(prefix="rtprobe-bench-") as tmp:
        out = Path(tmp) / "round.pickle"
        cmd = [
            sys.executable, str(Path(__file__).resolve()), "--round", kind, "--base", base,
            "--target", args.target, "--connections", str(args.connections),
            "--seconds", str(args.seconds), "--nice", str(args.nice), "--out", str(out),
        ]  # fmt: skip
        if mock_pid:
            cmd += ["--mock-pid", str(mock_pid)]
        try:
            done = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=args.seconds + ROUND_TIMEOUT_EXTRA_S,
                stdin=subprocess.DEVNULL,
                cwd=REPO,
            )
        except subprocess.TimeoutExpired:
            raise NoSamples(f"{name}: did not end in time, so there is nothing to report") from None
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise NoSamples(f"{name}: its process failed ({last}), so there is nothing to report")
        r: Round = pickle.loads(out.read_bytes())
    return r


# -- the whole run ----------------------------------------------------------------------------
def spread(values: list[float]) -> dict[str, float]:
    """min / median / max of a figure over the rounds (NaN-free input)."""
    if not values:
        return {"min": float("nan"), "median": float("nan"), "max": float("nan")}
    s = sorted(values)
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    return {"min": s[0], "median": median, "max": s[-1]}


def summarize(rounds: list[Round], args: Any) -> dict[str, Any]:
    """Every figure of the run: merged percentiles per kind, each round's own, ratios."""
    merged = {k: LatencyHistogram() for k in KINDS}
    for r in rounds:
        merged[r.kind].merge(r.rtt)
    hs, gs = merged["headless"].summary(), merged["gui"].summary()
    heads = [r for r in rounds if r.kind == "headless"]
    guis = [r for r in rounds if r.kind == "gui"]
    # each GUI round against the headless round next to it (same pair), for the spread
    pair_ratios = [
        ratio(g.rtt.percentile_ms(99), h.rtt.percentile_ms(99))
        for h, g in zip(heads, guis, strict=False)
    ]
    fps = [f for r in guis for f in r.fps]
    paint_fps = [f for r in guis for f in r.paint_fps]
    return {
        "scenario": {
            "connections": args.connections,
            "rate_per_s": RATE_TOTAL,
            "seconds": args.seconds,
            "rounds_each": args.rounds,
            "target": args.target,
            "qt_platform": guis[0].platform if guis else None,
            "gui_nice": args.nice,
        },
        "headless_ms": hs.as_dict(),
        "gui_ms": gs.as_dict(),
        "p50_ratio": ratio(gs.p50, hs.p50),
        "p99_ratio": ratio(gs.p99, hs.p99),
        "p999_ratio": ratio(gs.p999, hs.p999),
        "p99_ratio_per_pair": spread(pair_ratios),
        "redraw_fps_per_visible_panel": spread(fps),
        "paint_fps_per_visible_panel": spread(paint_fps),
        "gui_cpu_pct": spread([r.self_cpu_pct for r in guis]),
        # CPU per panel redraw: what a frame costs, less sensitive to a busy machine than fps
        "gui_cpu_ms_per_panel_redraw": spread(
            [10 * r.self_cpu_pct / sum(r.fps) for r in guis if sum(r.fps) > 0]
        ),
        "gui_engine_cpu_pct": spread([r.engine_cpu_pct for r in guis]),
        "headless_engine_cpu_pct": spread([r.engine_cpu_pct for r in heads]),
        "headless_drain_cpu_pct": spread([r.self_cpu_pct for r in heads]),
        "other_cpu_pct": spread([r.other_cpu_pct for r in rounds]),
        "rounds": [
            {
                "kind": r.kind,
                "samples": r.samples,
                "p50_ms": r.rtt.percentile_ms(50),
                "p99_ms": r.rtt.percentile_ms(99),
                "window_s": r.window_s,
                "self_cpu_pct": r.self_cpu_pct,
                "engine_cpu_pct": r.engine_cpu_pct,
                "mock_cpu_pct": r.mock_cpu_pct,
                "other_cpu_pct": r.other_cpu_pct,
                "redraws": r.redraws,
                "paints": r.paints,
                "visible": r.visible,
            }
            for r in rounds
        ],
        "machine": common.machine_info(["PySide6", "pyqtgraph", "numpy"]),
    }


def _fmt_spread(s: dict[str, float], unit: str = "", digits: int = 1) -> str:
    f = common.fmt
    return f"{f(s['median'], digits)}{unit} (min {f(s['min'], digits)}, max {f(s['max'], digits)})"


def report(res: dict[str, Any]) -> None:
    sc = res["scenario"]
    print(
        f"{sc['connections']} realtime connections, {sc['rate_per_s']:g} msg/s in all, "
        f"{sc['seconds']:g} s, {sc['rounds_each']} rounds of each kind, "
        f"Qt platform {sc['qt_platform']}, GUI nice +{sc['gui_nice']}"
    )
    print(f"  {'':<10}{'p50 ms':>10}{'p99 ms':>10}{'p99.9 ms':>10}{'max ms':>10}{'count':>9}")
    for name in ("headless", "gui"):
        s = res[f"{name}_ms"]
        print(
            f"  {name:<10}{s['p50']:>10.3f}{s['p99']:>10.3f}{s['p999']:>10.3f}"
            f"{s['max']:>10.3f}{s['count']:>9}"
        )
    print(
        f"  p99 ratio gui/headless {common.fmt(res['p99_ratio'])} (target <= 1.25), "
        f"per pair {_fmt_spread(res['p99_ratio_per_pair'], digits=2)}; "
        f"p50 ratio {common.fmt(res['p50_ratio'])}"
    )
    print(
        "  redraw per visible panel "
        f"{_fmt_spread(res['redraw_fps_per_visible_panel'], ' fps')} (target >= 30), "
        f"paints {_fmt_spread(res['paint_fps_per_visible_panel'], ' fps')}"
    )
    print(
        f"  GUI process CPU {_fmt_spread(res['gui_cpu_pct'], ' %')} of a core (target <= 35), "
        f"its engine process {_fmt_spread(res['gui_engine_cpu_pct'], ' %')}"
    )
    print(
        "  GUI CPU per panel redraw "
        f"{_fmt_spread(res['gui_cpu_ms_per_panel_redraw'], ' ms', digits=2)}"
    )
    print(
        f"  headless engine process {_fmt_spread(res['headless_engine_cpu_pct'], ' %')}, "
        f"rest of the machine {_fmt_spread(res['other_cpu_pct'], ' %')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per round (default 10)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of each kind, alternating (default 3)"
    )
    parser.add_argument("--connections", type=int, default=CONNECTIONS, help="default 4")
    parser.add_argument("--target", default="mock/echo", help="app id (default mock/echo)")
    parser.add_argument(
        "--nice", type=int, default=0, help="lower the GUI process's priority by this much"
    )
    # one round in this process (how the run measures each round): internal
    parser.add_argument("--round", choices=KINDS, help=argparse_hidden())
    parser.add_argument("--base", help=argparse_hidden())
    parser.add_argument("--mock-pid", type=int, help=argparse_hidden())
    parser.add_argument("--out", help=argparse_hidden())
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1 or args.connections < 1:
        parser.error("--seconds, --rounds and --connections must be positive")
    if args.round:
        return one_round(args)
    from server_mock.process import MockProcess

    rounds: list[Round] = []
    mock = MockProcess()
    base = mock.start()
    try:
        for i in range(args.rounds):
            order = KINDS if i % 2 == 0 else KINDS[::-1]
            for kind in order:
                name = f"{'GUI' if kind == 'gui' else 'headless'} round {i + 1}"
                r = spawn_round(kind, base, mock.pid, args, name)
                check_round(r, name)
                rounds.append(r)
                line = (
                    f"  {name}: p99 {r.rtt.percentile_ms(99):.3f} ms, samples {r.samples}, "
                    f"CPU {r.self_cpu_pct:.0f} % (engine {r.engine_cpu_pct:.0f} %, "
                    f"others {r.other_cpu_pct:.0f} %)"
                )
                if kind == "gui":
                    line += f", redraws {r.redraws}, paints {r.paints}, visible {r.visible}"
                print(line, flush=True)
    finally:
        mock.stop()
    res = summarize(rounds, args)
    report(res)
    if args.json_out:
        common.write_json(args.json_out, res)
    return 0


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    raise SystemExit(common.run(main))
