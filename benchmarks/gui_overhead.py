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

`--columns` (default 2: all 4 panels on screen) and `--size` choose the layout, which
each GUI round reports with its visible panels. `--variants` compares scheduling and
painting choices alternately in one run, and every round reads run-queue waits, GUI
bursts and garbage collections to say where the p99 tail comes from (gui_probes.py).

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
from app.gui.gui_priority import DEFAULT_NICE  # noqa: E402
from benchmarks import common, gui_probes  # noqa: E402
from benchmarks.common import CpuSampler, NoSamples, ratio  # noqa: E402

CONNECTIONS = 4
HOG_SHARE = 0.35  # the target's GUI CPU, for the stand-in of the "hog" variants
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
    index: int = 0  # the round number: GUI rounds are paired with that headless round
    variant: str = ""  # a GUI round's variant (benchmarks/gui_probes.py), "base" = as shipped
    layout: str = ""  # a GUI round's columns and window size, e.g. "2 columns, 1600x1000"
    visible_share: list[float] = field(default_factory=list)  # of each panel's plots on screen
    wait_ms_per_s: dict[str, float] = field(default_factory=dict)  # run-queue wait per process
    tail: dict[str, float] = field(default_factory=dict)  # gui_probes.coincidence

    @property
    def visible_count(self) -> int:
        return sum(self.visible)

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
    if r.kind == "gui" and not r.variant.startswith("hog"):
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


HOG = """
import os, sys, time
share, hz, policy = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
if policy == "idle":
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
period = 1 / hz
while True:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < period * share:
        pass
    time.sleep(max(0.0, period - (time.perf_counter() - t0)))
"""


def headless_round(
    base: str,
    target: str,
    connections: int,
    seconds: float,
    mock_pid: int | None,
    hog: str = "",
) -> Round:
    """`hog`: "hog" or "hog-idle" runs a stand-in for the GUI beside the engine, a
    process that burns `HOG_SHARE` of a core in bursts at 30 Hz (under SCHED_IDLE for
    "hog-idle"): what a GUI of the target's CPU costs the engine at best."""
    from app.core.engine.process import EngineProcess
    from app.core.events import RunFinished
    from app.core.summary import Aggregator

    engine = EngineProcess()
    aggs: dict[int, Aggregator] = {}
    pids = [engine.pid] + ([mock_pid] if mock_pid else [])
    policy = "idle" if hog == "hog-idle" else "normal"
    hogging = (
        subprocess.Popen([sys.executable, "-c", HOG, str(HOG_SHARE), "30", policy]) if hog else None
    )
    sampler = CpuSampler(pids)
    marks = []
    wait_marks: list[list[int]] = []
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
                wait_marks.append(gui_probes.waits([os.getpid(), *pids]))
            time.sleep(1 / 30)  # the same drain cadence as the GUI's timer
    finally:
        engine.close()
        if hogging is not None:
            hogging.kill()  # by its pid, ours alone
            hogging.wait()
    merged = LatencyHistogram()
    for agg in aggs.values():
        merged.merge(agg.rtt)
    kind, variant = ("gui", hog) if hog else ("headless", "")
    out = Round(kind, [a.rtt.count for a in aggs.values()], merged, variant=variant)
    if len(marks) == 2:
        _cpu(out, CpuSampler.usage(*marks), mock_pid)
        _waits(out, wait_marks, mock_pid)
    return out


def _waits(out: Round, marks: list[list[int]], mock_pid: int | None) -> None:
    """Run-queue wait, ms per second of the window: [self, engine, mock]."""
    names = ["self", "engine"] + (["mock"] if mock_pid else [])
    if out.window_s > 0:
        out.wait_ms_per_s = {
            n: (b - a) / 1e6 / out.window_s
            for n, a, b in zip(names, marks[0], marks[1], strict=True)
        }


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
    columns: int = 2,
    size: tuple[int, int] = (1600, 1000),
    variant: str = "base",
) -> Round:
    from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.engine.process import EngineProcess
    from app.gui.main_window import MainWindow
    from app.gui.visibility import on_screen, shown_share

    class PaintCounter(QObject):
        """Counts the paints of the widget it watches (the plots' viewport)."""

        def __init__(self) -> None:
            super().__init__()
            self.paints = 0

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    busy = gui_probes.Busy()
    app = QApplication.instance() or gui_probes.timed_application(busy)
    ini = Path(tempfile.mkdtemp(prefix="rtprobe-bench-")) / "settings.ini"
    window = MainWindow(settings=QSettings(str(ini), QSettings.Format.IniFormat), autosave=False)
    window.resize(*size)
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
    window.set_columns(columns)
    ctx = gui_probes.Context(window, engine.pid, mock_pid)
    gui_probes.apply(variant, ctx)
    counters = []
    for panel in panels:
        counter = PaintCounter()
        panel.plots.viewport().installEventFilter(counter)
        counters.append(counter)
    app.processEvents()
    pids = [engine.pid] + ([mock_pid] if mock_pid else [])
    sampler = CpuSampler(pids)
    marks: list[tuple[common.CpuMark, list[int], list[int]]] = []
    wait_marks: list[list[int]] = []
    clock: list[float] = []  # perf_counter at the marks
    visible: list[bool] = []
    share: list[float] = []

    def mark() -> None:
        marks.append(
            (sampler.mark(), [p.plots.redraws for p in panels], [c.paints for c in counters])
        )
        wait_marks.append(gui_probes.waits([os.getpid(), *pids]))
        clock.append(time.perf_counter())
        visible[:] = [on_screen(p.plots) for p in panels]  # while the window is up
        share[:] = [shown_share(p.plots) for p in panels]

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
        gui_probes.undo(ctx)
    samples = [p.live.aggregator.rtt.count if p.live else 0 for p in panels]
    merged = LatencyHistogram()
    for panel in panels:
        if panel.live is not None:
            merged.merge(panel.live.aggregator.rtt)
    out = Round("gui", samples, merged, visible=visible, nice=nice, variant=variant)
    out.visible_share = share
    cols = window.workspace.effective_columns()
    out.layout = f"{'auto: ' if columns == 0 else ''}{cols} columns, {size[0]}x{size[1]}"
    out.platform = app.platformName()
    if len(marks) == 2:
        (a, ra, pa), (b, rb, pb) = marks
        _cpu(out, CpuSampler.usage(a, b), mock_pid)
        _waits(out, wait_marks, mock_pid)
        out.redraws = [y - x for x, y in zip(ra, rb, strict=True)]
        out.paints = [y - x for x, y in zip(pa, pb, strict=True)]
        series = []
        for p in panels:
            if p.live is not None and p.live.timeline.origin_ns is not None:
                t, ms = p.live.timeline.latency()
                series.append((t + p.live.timeline.origin_ns / 1e9, ms))
        out.tail = gui_probes.coincidence(series, busy, (clock[0], clock[1]))
    window.shutdown()
    return out


def one_round(args: Any) -> int:
    """`--round KIND`: measure one round here and pickle it to `--out`."""
    if args.round == "gui":
        r = gui_round(
            args.base, args.target, args.connections, args.seconds, args.mock_pid, args.nice,
            columns=args.columns, size=args.size, variant=args.variant,
        )  # fmt: skip
    else:
        hog = args.variant if args.variant.startswith("hog") else ""
        r = headless_round(
            args.base, args.target, args.connections, args.seconds, args.mock_pid, hog
        )
    Path(args.out).write_bytes(pickle.dumps(r))
    return 0


def spawn_round(
    kind: str, base: str, mock_pid: int | None, args: Any, name: str, variant: str = "base"
) -> Round:
    """Run one round in a fresh process; its failure is this run's one `error:` line."""
    tree = Path(variant[1:]) if variant.startswith("@") else REPO
    with tempfile.TemporaryDirectory(prefix="rtprobe-bench-") as tmp:
        out = Path(tmp) / "round.pickle"
        cmd = [
            sys.executable, str(tree / "benchmarks" / "gui_overhead.py"),
            "--round", kind, "--base", base,
            "--target", args.target, "--connections", str(args.connections),
            "--seconds", str(args.seconds), "--nice", str(args.nice), "--out", str(out),
            "--columns", str(args.columns), "--size", f"{args.size[0]}x{args.size[1]}",
            "--variant", "base" if variant.startswith("@") else variant,
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
                cwd=tree,
                env={**os.environ, "PYTHONPATH": str(tree)},
            )
        except subprocess.TimeoutExpired:
            raise NoSamples(f"{name}: did not end in time, so there is nothing to report") from None
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise NoSamples(f"{name}: its process failed ({last}), so there is nothing to report")
        r: Round = pickle.loads(out.read_bytes())
    if variant.startswith("@"):
        r.variant = variant
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


def _median(values: list[float]) -> float:
    return spread(values)["median"]


def _variant_figures(
    rounds: list[Round], heads: list[Round], merged_head: Any, variant: str
) -> dict[str, Any]:
    """Every figure of the GUI rounds of one variant, against the headless rounds."""
    guis = [r for r in rounds if r.kind == "gui" and r.variant == variant]
    if variant.startswith("@"):  # another tree's code: against its own headless rounds
        heads = [r for r in rounds if r.kind == "headless" and r.variant == variant]
        merged_head = LatencyHistogram()
        for r in heads:
            merged_head.merge(r.rtt)
        merged_head = merged_head.summary()
    merged = LatencyHistogram()
    for r in guis:
        merged.merge(r.rtt)
    gs = merged.summary()
    # each GUI round against the headless round of the same round number (alternating)
    by_round = {r.index: r for r in heads}
    pair_ratios = [
        ratio(g.rtt.percentile_ms(99), by_round[g.index].rtt.percentile_ms(99))
        for g in guis
        if g.index in by_round
    ]
    fps = [f for r in guis for f in r.fps]
    paint_fps = [f for r in guis for f in r.paint_fps]
    tails = [r.tail for r in guis if r.tail.get("samples", 0) >= 100]
    tail_keys = sorted({k for t in tails for k in t})
    return {
        "gui_ms": gs.as_dict(),
        "p50_ratio": ratio(gs.p50, merged_head.p50),
        "p99_ratio": ratio(gs.p99, merged_head.p99),
        "p999_ratio": ratio(gs.p999, merged_head.p999),
        "p99_ratio_per_pair": spread(pair_ratios),
        "p99_ratio_pairs": pair_ratios,
        "visible_panels": spread([float(r.visible_count) for r in guis]),
        "layout": sorted({r.layout for r in guis}),
        "redraw_fps_per_visible_panel": spread(fps),
        "paint_fps_per_visible_panel": spread(paint_fps),
        "gui_cpu_pct": spread([r.self_cpu_pct for r in guis]),
        # CPU per panel redraw: what a frame costs, less sensitive to a busy machine than fps
        "gui_cpu_ms_per_panel_redraw": spread(
            [10 * r.self_cpu_pct / sum(r.fps) for r in guis if sum(r.fps) > 0]
        ),
        "gui_engine_cpu_pct": spread([r.engine_cpu_pct for r in guis]),
        "engine_wait_ms_per_s": spread([r.wait_ms_per_s.get("engine", 0.0) for r in guis]),
        "gui_wait_ms_per_s": spread([r.wait_ms_per_s.get("self", 0.0) for r in guis]),
        "mock_wait_ms_per_s": spread([r.wait_ms_per_s.get("mock", 0.0) for r in guis]),
        "tail": {k: _median([t[k] for t in tails if k in t]) for k in tail_keys},
    }


def summarize(rounds: list[Round], args: Any) -> dict[str, Any]:
    """Every figure of the run: merged percentiles per kind (and variant), each round's
    own, ratios."""
    heads = [r for r in rounds if r.kind == "headless" and not r.variant.startswith("@")]
    merged_head = LatencyHistogram()
    for r in heads:
        merged_head.merge(r.rtt)
    hs = merged_head.summary()
    guis = [r for r in rounds if r.kind == "gui"]
    variants = {v: _variant_figures(rounds, heads, hs, v) for v in args.variants}
    first = variants[args.variants[0]]
    return {
        "scenario": {
            "connections": args.connections,
            "rate_per_s": RATE_TOTAL,
            "seconds": args.seconds,
            "rounds_each": args.rounds,
            "target": args.target,
            "qt_platform": guis[0].platform if guis else None,
            "gui_nice": args.nice,
            "columns": "auto" if args.columns == 0 else args.columns,
            "window": f"{args.size[0]}x{args.size[1]}",
            "variants": list(args.variants),
            "load_before": args.load_before,
            "load_after": os.getloadavg(),
        },
        "headless_ms": hs.as_dict(),
        # the first variant's figures at the top level (as before variants existed)
        **first,
        "variants": variants,
        "headless_engine_cpu_pct": spread([r.engine_cpu_pct for r in heads]),
        "headless_drain_cpu_pct": spread([r.self_cpu_pct for r in heads]),
        "headless_engine_wait_ms_per_s": spread(
            [r.wait_ms_per_s.get("engine", 0.0) for r in heads]
        ),
        "other_cpu_pct": spread([r.other_cpu_pct for r in rounds]),
        "rounds": [
            {
                "kind": r.kind,
                "variant": r.variant,
                "round": r.index,
                "samples": r.samples,
                "p50_ms": r.rtt.percentile_ms(50),
                "p99_ms": r.rtt.percentile_ms(99),
                "window_s": r.window_s,
                "self_cpu_pct": r.self_cpu_pct,
                "engine_cpu_pct": r.engine_cpu_pct,
                "mock_cpu_pct": r.mock_cpu_pct,
                "other_cpu_pct": r.other_cpu_pct,
                "wait_ms_per_s": r.wait_ms_per_s,
                "redraws": r.redraws,
                "paints": r.paints,
                "visible": r.visible,
                "visible_share": r.visible_share,
                "layout": r.layout,
                "tail": r.tail,
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
    f = common.fmt
    print(
        f"{sc['connections']} realtime connections, {sc['rate_per_s']:g} msg/s in all, "
        f"{sc['seconds']:g} s, {sc['rounds_each']} rounds of each kind, "
        f"Qt platform {sc['qt_platform']}, GUI nice +{sc['gui_nice']}, "
        f"columns {sc['columns']}, window {sc['window']}, "
        f"load average before {f(sc['load_before'][0], 2)}"
    )
    print(f"  {'':<18}{'p50 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}{'max ms':>9}{'count':>9}")
    rows = [("headless", res["headless_ms"])]
    rows += [(f"gui {v}", fig["gui_ms"]) for v, fig in res["variants"].items()]
    for name, s in rows:
        print(
            f"  {name:<18}{s['p50']:>9.3f}{s['p99']:>9.3f}{s['p999']:>10.3f}"
            f"{s['max']:>9.3f}{s['count']:>9}"
        )
    print(
        f"  headless engine {_fmt_spread(res['headless_engine_cpu_pct'], ' %')}, "
        f"its run-queue wait {_fmt_spread(res['headless_engine_wait_ms_per_s'], ' ms/s')}; "
        f"rest of the machine {_fmt_spread(res['other_cpu_pct'], ' %')}"
    )
    for v, fig in res["variants"].items():
        print(f"  -- GUI variant {v}: {', '.join(fig['layout'])}, "
              f"visible panels {f(fig['visible_panels']['median'], 1)}")  # fmt: skip
        print(
            f"     p99 ratio gui/headless {f(fig['p99_ratio'])} (target <= 1.25), "
            f"per pair {_fmt_spread(fig['p99_ratio_per_pair'], digits=2)}; "
            f"p50 ratio {f(fig['p50_ratio'])}"
        )
        print(
            "     redraw per visible panel "
            f"{_fmt_spread(fig['redraw_fps_per_visible_panel'], ' fps')} (target >= 30), "
            f"paints {_fmt_spread(fig['paint_fps_per_visible_panel'], ' fps')}"
        )
        print(
            f"     GUI process CPU {_fmt_spread(fig['gui_cpu_pct'], ' %')} (target <= 35), "
            f"{_fmt_spread(fig['gui_cpu_ms_per_panel_redraw'], ' ms', digits=2)} per redraw; "
            f"engine {_fmt_spread(fig['gui_engine_cpu_pct'], ' %')}"
        )
        print(
            f"     run-queue wait: engine {_fmt_spread(fig['engine_wait_ms_per_s'], ' ms/s')}, "
            f"GUI {_fmt_spread(fig['gui_wait_ms_per_s'], ' ms/s')}, "
            f"mock {_fmt_spread(fig['mock_wait_ms_per_s'], ' ms/s')}"
        )
        t = fig["tail"]
        if t:
            print(
                f"     GUI awake {f(100 * t.get('awake_share_of_time', 0), 1)} % of the time "
                f"(p99 {f(t.get('awake_p99_ms'), 2)} ms), painting "
                f"{f(100 * t.get('paint_share_of_time', 0), 1)} %; samples overlapping a "
                f"paint: all {f(100 * t.get('all_overlap_paint', 0), 1)} %, "
                f"slowest 1 % {f(100 * t.get('tail_overlap_paint', 0), 1)} %; "
                f"overlapping GUI awake: all {f(100 * t.get('all_overlap_awake', 0), 1)} %, "
                f"slowest 1 % {f(100 * t.get('tail_overlap_awake', 0), 1)} %"
            )
            gcs = [
                f"gen{g} {f(t.get(f'gc{g}_per_s', 0), 1)} "
                f"({f(t.get(f'gc{g}_ms_per_s', 0), 1)}, {f(t.get(f'gc{g}_max_ms', 0), 1)})"
                for g in (0, 1, 2)
            ]
            print(
                f"     GUI garbage collections per s (ms/s, longest ms): {', '.join(gcs)}; "
                f"slowest 1 % overlapping a collection {f(100 * t.get('tail_overlap_gc', 0), 1)} "
                f"% (all {f(100 * t.get('all_overlap_gc', 0), 1)} %)"
            )


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.partition("x")
    return int(w), int(h)


def _columns(text: str) -> int:
    return 0 if text == "auto" else int(text)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.gui_probes import VARIANTS

    parser = common.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per round (default 10)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of each kind, alternating (default 3)"
    )
    parser.add_argument("--connections", type=int, default=CONNECTIONS, help="default 4")
    parser.add_argument("--target", default="mock/echo", help="app id (default mock/echo)")
    parser.add_argument(
        "--nice", type=int, default=DEFAULT_NICE,
        help=f"lower the GUI process's priority by this much (default {DEFAULT_NICE}, "
        "what `rtprobe gui` does: app.gui.gui_priority; 0 for equal priority)",
    )  # fmt: skip
    parser.add_argument(
        "--columns", type=_columns, default=2, choices=[0, 1, 2, 3],
        help="the workspace's columns: 1, 2 (default: 4 panels in 2 x 2), 3 or auto",
    )  # fmt: skip
    parser.add_argument(
        "--size", type=_size, default=(1600, 1000), help="window WxH (default 1600x1000)"
    )
    parser.add_argument(
        "--variants", type=lambda t: t.split(","), default=["base"],
        help=f"GUI variants to compare, comma-separated, each round alternating: "
        f"{', '.join(VARIANTS)} (default base)",
    )  # fmt: skip
    # one round in this process (how the run measures each round): internal
    parser.add_argument("--round", choices=KINDS, help=argparse_hidden())
    parser.add_argument("--variant", default="base", help=argparse_hidden())
    parser.add_argument("--base", help=argparse_hidden())
    parser.add_argument("--mock-pid", type=int, help=argparse_hidden())
    parser.add_argument("--out", help=argparse_hidden())
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1 or args.connections < 1:
        parser.error("--seconds, --rounds and --connections must be positive")
    unknown = [v for v in args.variants if v not in VARIANTS and not v.startswith("@")]
    if unknown or args.variant not in VARIANTS:
        parser.error(f"unknown variant {(unknown or [args.variant])[0]!r}: {', '.join(VARIANTS)}")
    if args.round:
        return one_round(args)
    from server_mock.process import MockProcess

    args.load_before = os.getloadavg()
    rounds: list[Round] = []
    mock = MockProcess()
    base = mock.start()
    cpus = os.sched_getaffinity(mock.pid) if mock.pid else set()
    try:
        for i in range(args.rounds):
            order = [("headless", "base")] + [("gui", v) for v in args.variants]
            # a variant "@DIR" is the code of another tree: its own headless round too
            order += [("headless", v) for v in args.variants if v.startswith("@")]
            if i % 2:
                order.reverse()
            for kind, variant in order:
                name = f"{'GUI' if kind == 'gui' else 'headless'} round {i + 1}"
                if (kind == "gui" and len(args.variants) > 1) or variant.startswith("@"):
                    name += f" ({variant})"
                spawned = "headless" if variant.startswith("hog") else kind
                r = spawn_round(spawned, base, mock.pid, args, name, variant)
                if mock.pid:  # a variant that pinned the mock and died undoes nothing
                    os.sched_setaffinity(mock.pid, cpus)
                r.index = i + 1
                check_round(r, name)
                rounds.append(r)
                line = (
                    f"  {name}: p99 {r.rtt.percentile_ms(99):.3f} ms, samples {r.samples}, "
                    f"CPU {r.self_cpu_pct:.0f} % (engine {r.engine_cpu_pct:.0f} %, "
                    f"others {r.other_cpu_pct:.0f} %), engine wait "
                    f"{r.wait_ms_per_s.get('engine', 0):.0f} ms/s"
                )
                if kind == "gui":
                    line += (
                        f", redraws {r.redraws}, paints {r.paints}, "
                        f"visible {r.visible_count}/{len(r.visible)}"
                    )
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
