"""Comparing runs: the table's figures and changes, --fail-if rules and their one-line
errors, and CDF points that agree with the histogram's own percentiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.core.errors import TargetError
from app.core.history.compare import (
    Compared,
    Comparison,
    cdf_points,
    change_pct,
    failures,
    parse_fail_if,
)
from app.core.metrics import LatencyHistogram
from tests.core.history.runs import record


def _pair(scale_b: float = 5.0, errors_b: int = 0) -> Comparison:
    a, _ = record(2000, scale_ms=5.0)
    b, _ = record(2000, scale_ms=scale_b, errors=errors_b, error_text="boom" if errors_b else "")
    return Comparison((Compared.of("#1", a.summary), Compared.of("#2", b.summary)))


def test_rows_show_values_and_change_against_the_baseline() -> None:
    c = _pair(scale_b=6.0)
    p99 = c.row("p99")
    assert p99 is not None and p99.label == "round trip p99 (ms)"
    before, after = p99.values
    assert before is not None and after is not None and after > before
    assert p99.changes[0] is None
    assert p99.changes[1] == pytest.approx((after - before) / before * 100)
    assert p99.changes[1] == pytest.approx(20.0, abs=3.0)  # every latency scaled by 1.2
    assert [r.name for r in c.rows][:5] == ["p50", "p90", "p99", "p999", "max"]
    assert c.row("server_p99") is not None and c.row("frame_p99") is None
    assert c.row("errors") is not None and c.row("rate") is not None
    text = c.table()
    assert "round trip p99.9 (ms)" in text and "%)" in text and "#2" in text.splitlines()[0]
    as_json = c.as_json()
    assert as_json["baseline"] == "#1" and as_json["rows"][2]["name"] == "p99"


def test_change_pct_from_zero() -> None:
    assert change_pct(0, 0) == 0.0
    assert math.isinf(change_pct(0, 3)) and change_pct(0, 3) > 0
    assert change_pct(10, 5) == -50.0


def test_fail_if_relative_hits_and_misses() -> None:
    slower = _pair(scale_b=6.0)  # about +20 %
    assert failures(slower, [parse_fail_if("p99>+10%")])
    (line,) = failures(slower, [parse_fail_if("p50>+5%")])
    assert "p50 of #2 changed +" in line and "against #1" in line and "'p50>+5%'" in line
    assert failures(slower, [parse_fail_if("p99>+50%"), parse_fail_if("max>+500%")]) == []
    same = _pair()
    assert failures(same, [parse_fail_if("p99>+0%"), parse_fail_if("p99.9>+1%")]) == []
    assert failures(_pair(scale_b=2.5), [parse_fail_if("p50<-25%")])  # faster: a drop


def test_fail_if_absolute_errors_and_latency() -> None:
    with_errors = _pair(errors_b=3)
    (line,) = failures(with_errors, [parse_fail_if("errors>0")])
    assert "errors of #2 was 4" in line  # 3 errored messages + 1 error event
    assert failures(_pair(), [parse_fail_if("errors>0")]) == []
    assert failures(_pair(), [parse_fail_if("p99>1us")])
    assert failures(_pair(), [parse_fail_if("p99>10s")]) == []
    rule = parse_fail_if("max > 0.5 s")
    assert rule.value == 500.0 and not rule.relative


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("p99", "cannot read --fail-if 'p99'"),
        ("p99>>10%", "cannot read"),
        ("latency>+10%", "unknown name 'latency'"),
        ("errors>1ms", "errors is not a latency"),
        ("p99>+10", "a signed number is a change"),
        ("", "cannot read"),
    ],
)
def test_bad_fail_if_is_one_line(text: str, says: str) -> None:
    with pytest.raises(TargetError, match=says) as caught:
        parse_fail_if(text)
    assert "\n" not in str(caught.value)


def test_a_comparison_needs_two_runs() -> None:
    run, _ = record(10)
    with pytest.raises(TargetError, match="two runs or more"):
        Comparison((Compared.of("#1", run.summary),))


def test_cdf_points_agree_with_the_percentiles() -> None:
    _, agg = record(20000)
    h = agg.rtt
    x, y = cdf_points(h, max_points=300)
    assert 2 <= len(x) <= 300 and len(x) == len(y)
    assert np.all(np.diff(x) > 0) and np.all(np.diff(y) > 0)
    assert y[-1] == 1.0 and x[-1] == h.summary().max
    for p in (50, 90, 99):
        at = x[np.searchsorted(y, p / 100)]
        assert at == pytest.approx(h.percentile_ms(p), rel=0.01)
    full_x, full_y = cdf_points(h, max_points=10**6)
    assert len(full_x) == len(h.buckets()[0]) and full_y[-1] == 1.0
    empty = cdf_points(LatencyHistogram())
    assert len(empty[0]) == len(empty[1]) == 0
