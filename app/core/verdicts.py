"""A connection's assertions as typed in the GUI (`p99<50ms, errors==0`) and their
verdicts on a run's summary: the same expressions as `rtprobe run --assert`, read by
`app.core.assertions`, several to a line separated by commas or semicolons.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from app.core import assertions
from app.core.assertions import Threshold
from app.core.errors import TargetError
from app.core.report.model import Summary

_SEPARATORS = re.compile(r"[,;\n]")


class Verdict(NamedTuple):
    """One assertion on one run: the expression, whether it held, what was measured
    (milliseconds for latencies; None when the run measured nothing of the kind)."""

    expression: str
    passed: bool
    measured: float | None


def split(text: str) -> list[str]:
    """The expressions of a line, stripped, empty ones left out."""
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def parse_line(text: str) -> list[Threshold]:
    """Every expression of the line; a `TargetError` naming the first bad one."""
    return [assertions.parse(expression) for expression in split(text)]


def problem(text: str) -> str:
    """ "" when the line reads; else the one-line error naming the bad expression."""
    try:
        parse_line(text)
    except TargetError as exc:
        return str(exc)
    return ""


def valid_only(expressions: list[str]) -> list[str]:
    """The expressions that parse (what a session file may keep: nothing else, so a
    pasted key can never land there)."""
    kept = []
    for expression in expressions:
        try:
            assertions.parse(expression)
        except TargetError:
            continue
        kept.append(expression.strip())
    return kept


def judge(thresholds: list[Threshold], summary: Summary) -> list[Verdict]:
    return [Verdict(t.text, t.check(summary) is None, t.read(summary)) for t in thresholds]


def measured_text(threshold_text: str, measured: float | None) -> str:
    """What was measured, for the summary card: "1.23 ms", "0", or "not measured"."""
    if measured is None:
        return "not measured"
    t = assertions.parse(threshold_text)
    return f"{measured:.3g} ms" if t.is_latency else f"{measured:g}"
