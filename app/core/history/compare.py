"""Comparing runs (A/B): a table of figures with the change against a baseline, the
`--fail-if` rules CI keeps a baseline with, and CDF points for an overlay plot.

The first run is the baseline; every figure of the others is shown with its change in
percent against it. `--fail-if` expressions say when a change is a regression:

    p99>+10%     the p99 round trip grew by more than 10 % against the baseline
    max>+20%     the same for the maximum
    rate<-5%     throughput fell by more than 5 %
    errors>0     a run other than the baseline had any error (an absolute figure)
    p99>50ms     an absolute latency limit (ms, us or s)

Latency names read the round trip unless prefixed as in `--assert`: `server_p99`,
`network_p50`, `ttfe_p99`, `frame_p99`. Pure functions: no database, no Qt.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.errors import TargetError
from app.core.metrics import LatencyHistogram
from app.core.report.fmt import fmt_ms
from app.core.report.model import Summary

PERCENTILES = ("p50", "p90", "p99", "p999", "max")
SHOWN = {"p999": "p99.9"}
GROUPS = {  # prefix -> (summary latency block, label in the table)
    "": ("rtt_ms", "round trip"),
    "server_": ("server_ms", "server"),
    "network_": ("network_ms", "network"),
    "ttfe_": ("time_to_first_event_ms", "first event"),
    "frame_": ("frame_latency_ms", "frame latency"),
}
COUNTERS: Mapping[str, tuple[str, Callable[[Summary], float | None]]] = {
    "errors": ("errors", lambda s: s.errors + s.error_events),
    "dropped": ("dropped", lambda s: s.dropped),
    "timeouts": ("timeouts", lambda s: s.timeouts),
    "rate": ("msg/s", lambda s: s.rate_per_s if s.sent else None),
    "fps_in": ("fps in", lambda s: None if s.frames is None else s.frames.fps_in),
    "fps_out": ("fps out", lambda s: None if s.frames is None else s.frames.fps_out),
}
_ALIASES = {"p99.9": "p999", "rate_per_s": "rate", "error": "errors", "timeout": "timeouts"}


def figures_of(summary: Summary) -> dict[str, float]:
    """Every figure of `summary` a comparison can show, by its `--fail-if` name; a
    latency group the run did not measure, or a rate it has none of, is left out."""
    out: dict[str, float] = {}
    for prefix, (block_name, _) in GROUPS.items():
        block = summary.latency(block_name)
        if block is None or not block.count:
            continue
        for p in PERCENTILES:
            out[prefix + p] = float(getattr(block, p))
    for name, (_, read) in COUNTERS.items():
        value = read(summary)
        if value is not None:
            out[name] = float(value)
    return out


def change_pct(baseline: float, value: float) -> float:
    """Percent change of `value` against `baseline`; from 0 to anything above it is +inf."""
    if baseline == value:
        return 0.0
    if baseline == 0:
        return math.inf if value > 0 else -math.inf
    return (value - baseline) / abs(baseline) * 100.0


@dataclass(frozen=True)
class Compared:
    """One run in a comparison: its label ("#12", a connection's name) and figures."""

    label: str
    figures: Mapping[str, float]

    @classmethod
    def of(cls, label: str, summary: Summary) -> Compared:
        return cls(label, figures_of(summary))


@dataclass(frozen=True)
class Row:
    name: str  # the --fail-if name: "p99", "frame_p50", "errors"
    label: str  # as the table shows it: "round trip p99 (ms)"
    values: tuple[float | None, ...]  # per run, None when that run has no such figure
    changes: tuple[float | None, ...]  # per run, vs the first; None for the first or a gap


@dataclass(frozen=True)
class Comparison:
    """Two or more runs' figures; the first is the baseline."""

    runs: tuple[Compared, ...]
    rows: tuple[Row, ...] = field(init=False)

    def __post_init__(self) -> None:
        if len(self.runs) < 2:
            raise TargetError("a comparison needs two runs or more")
        object.__setattr__(self, "rows", tuple(self._rows()))

    def _rows(self) -> list[Row]:
        names: list[tuple[str, str]] = []
        for prefix, (_, group) in GROUPS.items():
            for p in PERCENTILES:
                names.append((prefix + p, f"{group} {SHOWN.get(p, p)} (ms)"))
        names += [(name, label) for name, (label, _) in COUNTERS.items()]
        rows = []
        for name, label in names:
            values = tuple(r.figures.get(name) for r in self.runs)
            if all(v is None for v in values):
                continue
            if name in ("dropped", "timeouts") and not any(values):
                continue  # rows of zeros say nothing
            base = values[0]
            changes = tuple(
                None if i == 0 or v is None or base is None else change_pct(base, v)
                for i, v in enumerate(values)
            )
            rows.append(Row(name, label, values, changes))
        return rows

    def row(self, name: str) -> Row | None:
        return next((r for r in self.rows if r.name == name), None)

    def table(self) -> str:
        """The plain-text table `rtprobe runs diff` prints: a column per run, each figure
        with its change against the first run in brackets."""
        grid = [["", *(r.label for r in self.runs)]]
        for row in self.rows:
            cells = [row.label]
            for value, change in zip(row.values, row.changes, strict=True):
                text = "–" if value is None else _fmt(row.name, value)
                if change is not None:
                    text += f" ({_fmt_change(change)})"
                cells.append(text)
            grid.append(cells)
        widths = [max(len(line[i]) for line in grid) for i in range(len(grid[0]))]
        return "\n".join(
            line[0].ljust(widths[0])
            + "".join(f"  {c:>{w}}" for c, w in zip(line[1:], widths[1:], strict=True))
            for line in grid
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": [r.label for r in self.runs],
            "baseline": self.runs[0].label,
            "rows": [
                {
                    "name": row.name,
                    "label": row.label,
                    "values": list(row.values),
                    "change_pct": [_json_number(c) for c in row.changes],
                }
                for row in self.rows
            ],
        }


def _fmt(name: str, value: float) -> str:
    if name in COUNTERS:
        return f"{value:g}" if name in ("errors", "dropped", "timeouts") else f"{value:,.1f}"
    return fmt_ms(value)


def _fmt_change(change: float) -> str:
    if math.isinf(change):
        return "+∞%" if change > 0 else "-∞%"
    return f"{change:+.1f}%"


def _json_number(value: float | None) -> float | str | None:
    if value is not None and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


# -- --fail-if -------------------------------------------------------------------------

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_RULE = re.compile(
    r"^\s*([a-z_0-9.]+)\s*(>=|<=|>|<)\s*([+-]?)\s*([0-9]*\.?[0-9]+)\s*(%|ms|us|s)?\s*$"
)
_UNIT_MS = {"ms": 1.0, "us": 0.001, "s": 1000.0, None: 1.0}
_EXAMPLE = "e.g. p99>+10%, max>+20%, rate<-5%, errors>0, p99>50ms"


@dataclass(frozen=True)
class FailIf:
    """A regression rule: relative (`%`, the change against the baseline) or absolute."""

    text: str
    name: str
    op: str
    value: float  # percent when relative; ms for an absolute latency
    relative: bool

    def check(self, comparison: Comparison) -> list[str]:
        """One line per run (not the baseline) that breaks the rule; [] when none does."""
        base = comparison.runs[0]
        hits = []
        for run in comparison.runs[1:]:
            value = run.figures.get(self.name)
            if value is None:
                continue
            if self.relative:
                before = base.figures.get(self.name)
                if before is None:
                    continue
                change = change_pct(before, value)
                if _OPS[self.op](change, self.value):
                    hits.append(
                        f"--fail-if {self.text!r}: {self.name} of {run.label} changed "
                        f"{_fmt_change(change)} against {base.label} "
                        f"({_fmt(self.name, before)} → {_fmt(self.name, value)})"
                    )
            elif _OPS[self.op](value, self.value):
                hits.append(
                    f"--fail-if {self.text!r}: {self.name} of {run.label} was "
                    f"{_fmt(self.name, value)}"
                )
        return hits


def parse_fail_if(text: str) -> FailIf:
    """`text` as a rule; TargetError with one line saying what is wrong."""
    m = _RULE.match(text.lower())
    if not m:
        raise TargetError(
            f"cannot read --fail-if {text!r}: write NAME OP [+-]NUMBER[%], {_EXAMPLE}"
        )
    name, op, sign, number, unit = m.groups()
    name = _ALIASES.get(name, name)
    latency = any(name == prefix + p for prefix in GROUPS for p in PERCENTILES)
    if not latency and name not in COUNTERS:
        known = " ".join((*PERCENTILES, *COUNTERS))
        raise TargetError(
            f"--fail-if {text!r}: unknown name {name!r} (known: {known}; latencies may be "
            "prefixed server_, network_, ttfe_, frame_)"
        )
    value = float(number) * (-1.0 if sign == "-" else 1.0)
    if unit == "%":
        return FailIf(text.strip(), name, op, value, relative=True)
    if sign:
        raise TargetError(f"--fail-if {text!r}: a signed number is a change: add %, {_EXAMPLE}")
    if unit is not None and not latency:
        raise TargetError(f"--fail-if {text!r}: {name} is not a latency, drop the unit")
    return FailIf(text.strip(), name, op, value * (_UNIT_MS[unit] if latency else 1.0), False)


def failures(comparison: Comparison, rules: Sequence[FailIf]) -> list[str]:
    return [line for rule in rules for line in rule.check(comparison)]


# -- CDF -------------------------------------------------------------------------------


def cdf_points(h: LatencyHistogram, max_points: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(latency ms, fraction of samples at or below it) for a CDF plot, from the HDR
    counters: one point per non-empty counter (at its lowest value, at most 0.1 % low;
    the last at the true maximum), thinned to at most `max_points` evenly in fraction,
    keeping the first and the last. Empty arrays for an empty histogram."""
    values_us, counts = h.buckets()
    if not len(values_us):
        return np.zeros(0), np.zeros(0)
    x = values_us.astype(np.float64) / 1000.0
    y = np.cumsum(counts).astype(np.float64) / float(h.count)
    x[-1] = max(x[-1], h.summary().max)
    if len(x) > max_points >= 2:
        wanted = np.linspace(y[0], 1.0, max_points)
        keep = np.unique(np.searchsorted(y, wanted, side="left").clip(0, len(y) - 1))
        x, y = x[keep], y[keep]
    return x, y
