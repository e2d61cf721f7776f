"""`--assert` thresholds: `p99<50ms`, `errors==0`, `fps_in>=28`, checked on a summary.

Latency names (p50, p90, p99, p999, max, mean) read `rtt_ms` unless prefixed:
`server_p99`, `network_p50`, `ttfe_p99` (time to first event), `frame_p99`.
Units: ms (default for latencies), s, us. Counters and rates are plain numbers. Read
from the run's typed `Summary`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from app.core.errors import TargetError
from app.core.report.model import Summary

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_PATTERN = re.compile(r"^\s*([a-z_0-9]+)\s*(<=|>=|==|!=|<|>)\s*([0-9]*\.?[0-9]+)\s*(ms|us|s)?\s*$")
_PCTS = ("p50", "p90", "p99", "p999", "max", "mean", "min")
_GROUPS = {
    "": "rtt_ms",
    "server_": "server_ms",
    "network_": "network_ms",
    "ttfe_": "time_to_first_event_ms",
    "frame_": "frame_latency_ms",
}
_COUNTERS: dict[str, Callable[[Summary], float | None]] = {
    "sent": lambda s: s.sent,
    "received": lambda s: s.received,
    "errors": lambda s: s.errors,
    "dropped": lambda s: s.dropped,
    "timeouts": lambda s: s.timeouts,
    "error_events": lambda s: s.error_events,
    "rate_per_s": lambda s: s.rate_per_s,
    "fps_in": lambda s: None if s.frames is None else s.frames.fps_in,
    "fps_out": lambda s: None if s.frames is None else s.frames.fps_out,
    "frames_in": lambda s: None if s.frames is None else s.frames.frames_in,
    "frames_out": lambda s: None if s.frames is None else s.frames.frames_out,
    "events": lambda s: None if s.stream is None else s.stream.events,
    "duration_s": lambda s: s.duration_s,
}
_ALIASES = {"rate": "rate_per_s", "timeout": "timeouts", "error": "errors"}
_UNIT_MS = {"ms": 1.0, "us": 0.001, "s": 1000.0, None: 1.0}


@dataclass(frozen=True)
class Threshold:
    text: str
    name: str
    op: str
    value: float
    unit: str | None

    def read(self, summary: Summary) -> float | None:
        for prefix, group in _GROUPS.items():
            if prefix and not self.name.startswith(prefix):
                continue
            pct = self.name[len(prefix) :]
            if pct in _PCTS:
                block = summary.latency(group)
                return None if block is None or not block.count else float(getattr(block, pct))
        counter = _COUNTERS.get(_ALIASES.get(self.name, self.name))
        value = None if counter is None else counter(summary)
        return None if value is None else float(value)

    @property
    def is_latency(self) -> bool:
        return any(self.name == p or self.name.endswith("_" + p) for p in _PCTS)

    def check(self, summary: Summary) -> str | None:
        """None when it holds; else a one-line reason."""
        actual = self.read(summary)
        if actual is None:
            return f"assertion {self.text!r} failed: this run measured no {self.name}"
        want = self.value * _UNIT_MS[self.unit] if self.is_latency else self.value
        if _OPS[self.op](actual, want):
            return None
        shown = f"{actual:.3f} ms" if self.is_latency else f"{actual:g}"
        return f"assertion {self.text!r} failed: {self.name} was {shown}"


def parse(text: str) -> Threshold:
    m = _PATTERN.match(text)
    if not m:
        raise TargetError(
            f"cannot read assertion {text!r}: write NAME OP NUMBER[ms|us|s], e.g. p99<50ms"
        )
    name, op, number, unit = m.group(1), m.group(2), float(m.group(3)), m.group(4)
    t = Threshold(text.strip(), name, op, number, unit)
    known = t.is_latency and any((name.startswith(p) if p else name in _PCTS) for p in _GROUPS)
    if not known and _ALIASES.get(name, name) not in _COUNTERS:
        raise TargetError(
            f"assertion {text!r}: unknown name {name!r} (latencies: p50 p90 p99 p999 max mean, "
            "optionally server_/network_/ttfe_/frame_; counters: " + " ".join(_COUNTERS) + ")"
        )
    if unit and not t.is_latency:
        raise TargetError(f"assertion {text!r}: {name} is not a latency, drop the unit")
    return t
