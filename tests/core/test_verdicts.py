"""GUI assertions: a line of `--assert` expressions and their verdicts on a summary."""

from __future__ import annotations

import pytest

from app.core.errors import TargetError
from app.core.events import RunFinished, Sample, StateChange
from app.core.summary import Aggregator
from app.core.verdicts import Verdict, judge, measured_text, parse_line, problem, split, valid_only


def _summary():
    agg = Aggregator(transport="ws", target="t")
    agg.feed(StateChange(0, 0, "connected"))
    for i in range(10):  # 2 ms each
        agg.feed(Sample(0, i, "received", i, i, i + 2_000_000))
    agg.feed(Sample(0, 10, "errored", 10, 10, 20, error="boom"))
    agg.feed(RunFinished(30, "done"))
    return agg.summary()


def test_split_takes_commas_semicolons_and_blanks() -> None:
    assert split(" p99<50ms, errors==0;; sent>=1 ") == ["p99<50ms", "errors==0", "sent>=1"]
    assert split("") == [] and parse_line("  ") == []


def test_verdicts_pass_and_fail_with_what_was_measured() -> None:
    verdicts = judge(parse_line("p99<50ms, errors==0, sent>=11"), _summary())
    p99, errors, sent = verdicts
    assert (
        p99.passed and p99.expression == "p99<50ms" and p99.measured == pytest.approx(2, rel=0.01)
    )
    assert errors == Verdict("errors==0", False, 1.0)
    assert sent.passed and sent.measured == 11
    assert measured_text("p99<50ms", p99.measured) == "2 ms"
    assert measured_text("errors==0", 1.0) == "1"
    assert measured_text("frame_p99<5", None) == "not measured"


def test_a_bad_expression_is_named_in_one_line() -> None:
    with pytest.raises(TargetError, match="p99<<5"):
        parse_line("errors==0, p99<<5")
    message = problem("errors==0, latency<5ms")
    assert "'latency'" in message and "\n" not in message
    assert problem("p99<50ms, errors==0") == ""


def test_only_valid_expressions_may_be_kept() -> None:
    assert valid_only([" p99<50ms ", "fal-secret-key-123", "nonsense<1"]) == ["p99<50ms"]
