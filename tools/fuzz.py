"""Long fuzz runs: the properties `make test` runs briefly, for as many examples as asked.

    .venv/bin/python tools/fuzz.py --examples 10000              # every target
    .venv/bin/python tools/fuzz.py --examples 50000 --target sse  # names containing "sse"
    .venv/bin/python tools/fuzz.py --list

The targets are the `TARGETS` lists of the fuzz test modules (`tests/**/test_*_fuzz.py`,
see tests/support/fuzz.py), so a property is written once. Unlike a test, a failing
example does not stop the run: each example is timed and counted, and per target the
tool prints the examples run, the crashes (any exception out of a check: a property
that does not hold), the hangs (an example over `--limit` seconds, interrupted by
SIGALRM when it is still running, and as slow again when run alone), the stalls (over
the limit once but not when run again: the machine or a garbage collection, not the
code) and the time. The first failures of each target are
shown with their input, cut short. Exit status 1 when any target crashed or hung.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from tests.support.fuzz import Target  # noqa: E402

SHOWN_FAILURES = 3
SHOWN_INPUT = 160  # characters of a failing input shown


class Hang(Exception):
    """Raised by SIGALRM inside an example that runs past the limit."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


@dataclass
class Tally:
    name: str
    examples: int = 0
    crashes: int = 0
    hangs: int = 0
    stalls: int = 0  # over the limit once, in time when run again alone
    seconds: float = 0.0
    slowest_s: float = 0.0
    failures: list[str] = field(default_factory=list)

    def failed(self, kind: str, value: Any, what: str) -> None:
        if len(self.failures) < SHOWN_FAILURES:
            shown = repr(value)
            if len(shown) > SHOWN_INPUT:
                shown = shown[:SHOWN_INPUT] + f"… ({len(shown)} chars)"
            self.failures.append(f"{kind}: {what} <- {shown}")


def discover() -> list[Target]:
    """Every target of every fuzz test module, in file order."""
    targets: list[Target] = []
    for path in sorted((REPO / "tests").rglob("test_*_fuzz.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        targets += importlib.import_module(module).TARGETS
    return targets


def run_target(target: Target, examples: int, limit_s: float) -> Tally:
    tally = Tally(target.name)

    def timed(value: Any) -> tuple[str, str]:
        """("", "") when `check` passes in time, else the kind of failure and what."""
        signal.setitimer(signal.ITIMER_REAL, limit_s)
        t0 = time.perf_counter()
        try:
            target.check(value)
        except Hang:
            return "hang", f"still running after {limit_s} s"
        except Exception as exc:  # the property failed: count it and go on
            return "crash", f"{type(exc).__name__}: {exc}"[:300]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.perf_counter() - t0
            tally.slowest_s = max(tally.slowest_s, took)
        if took > limit_s:  # over the limit inside C code, where SIGALRM cannot stop it
            return "hang", f"took {took:.2f} s"
        return "", ""

    def example(value: Any) -> None:
        tally.examples += 1
        kind, what = timed(value)
        if kind == "hang":
            # A stall of the shared machine or a garbage collection also runs past the
            # limit: only an input that is slow again, run alone, is a hang.
            gc.collect()
            again, what_again = timed(value)
            if again != "hang":
                tally.stalls += 1
                kind, what = again, what_again
        if kind == "hang":
            tally.hangs += 1
        elif kind == "crash":
            tally.crashes += 1
        if kind:
            tally.failed(kind, value, what)

    runner = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: nothing raises out
        suppress_health_check=list(HealthCheck),
    )(given(target.strategy)(example))
    t0 = time.perf_counter()
    runner()
    tally.seconds = time.perf_counter() - t0
    return tally


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=10_000, help="examples per target")
    ap.add_argument("--target", action="append", default=[], help="run names containing this")
    ap.add_argument("--limit", type=float, default=5.0, help="seconds one example may take")
    ap.add_argument("--list", action="store_true", help="list the targets and stop")
    args = ap.parse_args()
    if args.examples < 1 or args.limit <= 0:
        ap.error("--examples and --limit must be positive")
    targets = discover()
    if args.target:
        targets = [t for t in targets if any(part in t.name for part in args.target)]
        if not targets:
            ap.error(f"no target matches {', '.join(args.target)} (see --list)")
    if args.list:
        for t in targets:
            print(t.name)
        return 0
    signal.signal(signal.SIGALRM, _alarm)
    print(
        f"{'target':<34} {'examples':>8} {'crashes':>7} {'hangs':>5} {'stalls':>6} "
        f"{'time_s':>7} {'max_ms':>7}"
    )
    tallies: list[Tally] = []
    for target in targets:
        t = run_target(target, args.examples, args.limit)
        tallies.append(t)
        print(
            f"{t.name:<34} {t.examples:8d} {t.crashes:7d} {t.hangs:5d} {t.stalls:6d} "
            f"{t.seconds:7.1f} {t.slowest_s * 1000:7.1f}",
            flush=True,
        )
        for line in t.failures:
            print(f"    {line}", flush=True)
    total = sum(t.examples for t in tallies)
    crashes = sum(t.crashes for t in tallies)
    hangs = sum(t.hangs for t in tallies)
    seconds = sum(t.seconds for t in tallies)
    print(f"{len(tallies)} targets, {total} examples, {crashes} crashes, {hangs} hangs", end="")
    print(f", {seconds:.0f} s")
    return 1 if crashes or hangs else 0


if __name__ == "__main__":
    sys.exit(main())
