from __future__ import annotations

import csv
import json
import re
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from app.core.events import ErrorEvent, Event, FrameSample, Sample, StateChange
from app.core.report.csv import COLUMNS, CsvSampleWriter
from app.core.report.fmt import fmt_count, fmt_ms
from app.core.report.html import render_html, write_html
from app.core.report.jsonfile import write_json
from app.core.report.model import Summary
from app.core.report.plots import MAX_DOTS
from app.core.report.svg import columns
from app.core.report.timeline import OUTCOME_CODE, Timeline
from app.core.summary import Aggregator

T0 = 5_000_000_000_000  # perf_counter_ns-like origin
MS = 1_000_000
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>&amp;'
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "wbr"}


class BalanceChecker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(doc: str) -> BalanceChecker:
    p = BalanceChecker()
    p.feed(doc)
    p.close()
    assert not p.errors, p.errors[:5]
    assert p.stack == [], p.stack
    return p


def make_events(n: int, seed: int = 1) -> list[Event]:
    """n samples at 100/s (3 warm-up first), a few failures, frames and error events."""
    rng = np.random.default_rng(seed)
    lat = (rng.lognormal(np.log(20), 0.4, n) * MS).astype(np.int64)
    events: list[Event] = [StateChange(0, T0, "connected")]
    outcomes = ("received",) * 17 + ("errored", "dropped", "timed_out")
    for i in range(n):
        intended = T0 + i * 10 * MS
        outcome = outcomes[i % len(outcomes)]
        done = intended + (lat[i] if outcome == "received" else 2_000 * MS)
        events.append(
            Sample(
                session=i % 2,
                seq=i,
                outcome=outcome,  # type: ignore[arg-type]
                intended_ns=intended,
                sent_ns=intended + 20_000,
                done_ns=int(done),
                bytes_out=100,
                bytes_in=1_000 if outcome == "received" else 0,
                server_ns=int(lat[i] // 2) if outcome == "received" else None,
                warmup=i < 3,
                error='boom, "quoted"\nline' if outcome == "errored" else "",
            )
        )
        if i % 4 == 0:
            events.append(FrameSample(0, "out", intended))
            events.append(FrameSample(0, "in", int(done), i, latency_ns=int(lat[i])))
    events.append(ErrorEvent(0, T0 + 5 * 10**9, "AppError", HOSTILE))
    return events


def run(events: list[Event], target: str = "wss://example.test/app") -> tuple[Summary, Timeline]:
    agg = Aggregator(transport="ws", target=target)
    tl = Timeline()
    for e in events:
        agg.feed(e)
        tl.feed(e)
    return agg.summary(), tl


# -- timeline --------------------------------------------------------------------
def test_timeline_records_latency_failures_and_per_second_buckets() -> None:
    events = make_events(1_000)
    summary, tl = run(events)
    t, ms = tl.latency()
    ft, codes = tl.failures()
    assert len(ms) == summary.received and len(ft) == summary.sent - summary.received
    assert tl.warmup == 3
    assert t[0] == pytest.approx(0.03)  # origin: the first (warm-up) send; 3 warm-ups at 100/s
    assert np.all(np.diff(t) > 0)
    first = next(e for e in events if isinstance(e, Sample) and not e.warmup)
    assert ms[0] == pytest.approx(first.rtt_ns / 1e6)
    assert set(codes.tolist()) == {1, 2, 3}
    ps = tl.per_second()
    assert ps["sent"].sum() == summary.sent
    assert ps["received"].sum() == summary.received
    assert ps["errored"].sum() == summary.errors
    assert ps["timed_out"].sum() == summary.timeouts
    assert ps["bytes_in"].sum() == summary.bytes_in
    assert ps["bytes_out"].sum() == summary.bytes_out
    assert summary.frames is not None
    assert ps["frames_in"].sum() == summary.frames.frames_in == 250
    assert ps["error_events"].sum() == 1
    assert ps["t_s"][0] == 0 and np.all(np.diff(ps["t_s"]) == 1)
    assert ps["sent"][0] == 97  # the warm-ups are not counted
    assert 95 <= ps["sent"][3] <= 100  # ~100/s in a full second
    _, ft_ms = tl.frame_latency()
    assert len(ft_ms) == 250 and ft_ms.min() > 0


def test_timeline_memory_is_bounded() -> None:
    tl = Timeline(capacity=100, seconds=10)
    for i in range(2_000):  # 20 s at 100/s
        intended = T0 + i * 10 * MS
        tl.feed(Sample(0, i, "received", intended, intended, intended + 5 * MS))
    t, ms = tl.latency()
    assert len(ms) == 100 and tl.received_total == 2_000
    assert t[-1] == pytest.approx(19.99) and t[0] == pytest.approx(19.0)
    ps = tl.per_second()
    assert ps["t_s"].tolist() == list(range(10, 20))  # the last 10 seconds only
    assert ps["sent"].tolist() == [100.0] * 10


def test_bulk_add_samples_matches_feeding_events() -> None:
    events = [e for e in make_events(500) if isinstance(e, Sample) and not e.warmup]
    fed = Timeline()
    for e in events:
        fed.feed(e)
    bulk = Timeline()
    bulk.add_samples(
        np.array([e.intended_ns for e in events]),
        np.array([e.sent_ns for e in events]),
        np.array([e.done_ns for e in events]),
        np.array([OUTCOME_CODE[e.outcome] for e in events]),
        np.array([e.bytes_out for e in events]),
        np.array([e.bytes_in for e in events]),
    )
    for a, b in ((fed.latency(), bulk.latency()), (fed.failures(), bulk.failures())):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    pa, pb = fed.per_second(), bulk.per_second()
    for key, values in pa.items():
        np.testing.assert_array_equal(values, pb[key], err_msg=key)


# -- html ------------------------------------------------------------------------
def assert_self_contained(doc: str) -> BalanceChecker:
    p = parse(doc)
    low = doc.lower()
    assert "<script" not in low
    assert "http://" not in low and "https://" not in low
    assert "url(" not in low and "@import" not in low
    for tag, attrs in p.tags:
        for name in ("src", "href", "xlink:href", "srcset", "action"):
            assert name not in attrs, (tag, attrs)
    return p


def test_html_is_self_contained_and_shows_the_summary(tmp_path: Path) -> None:
    summary, tl = run(make_events(3_000), target="https://fal.run/app?x=1&y=2")
    summary = replace(
        summary, connection={"extensions": ["permessage-deflate"], "remote": "http://h/<x>"}
    )
    doc = render_html(summary, tl)
    p = assert_self_contained(doc)
    text = "".join(p.text)
    assert "https://fal.run/app?x=1&y=2" in text  # shown, as text, not a link
    for key in ("sent", "received", "errors", "dropped", "timeouts"):
        assert f">{fmt_count(getattr(summary, key))}<" in doc, key
    for block in ("rtt_ms", "server_ms", "network_ms", "frame_latency_ms"):
        for stat in ("p50", "p90", "p99", "p999", "max", "mean"):
            assert f">{fmt_ms(getattr(summary.latency(block), stat))}<" in doc, (block, stat)
    assert "p99.9" in text and "Every sent message has exactly one outcome" in text
    assert "Every sent frame has exactly one outcome" in text  # ws carrying frames: both tables
    # over time: RTT, frame latency; histograms: RTT, frame latency; per second: msgs, bytes, fps
    assert doc.count('<svg class="plot"') == 7
    assert doc.count('stroke-linecap="round"') == 2  # ≤ MAX_DOTS: every sample (and frame) a dot
    path = tmp_path / "r.html"
    write_html(path, summary, tl)
    assert path.read_bytes().decode("utf-8") == doc


def test_html_escapes_hostile_text() -> None:
    events = make_events(200)
    summary, tl = run(events, target=HOSTILE)
    summary = replace(summary, connection={HOSTILE: HOSTILE})
    doc = render_html(summary, tl)
    p = assert_self_contained(doc)
    assert "<img" not in doc and "onerror=alert" not in doc.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "&amp;amp;" in doc  # an entity in the input is shown, not interpreted
    assert HOSTILE in "".join(p.text)  # and reads back as the original text
    assert summary.errors_by_message == {HOSTILE: 1}


def test_html_accounting_mismatch_is_flagged() -> None:
    summary, tl = run(make_events(100))
    summary = replace(summary, sent=summary.sent + 2)
    doc = render_html(summary, tl)
    assert "Accounting mismatch" in doc and "+2 unaccounted" in doc


def test_empty_run_renders() -> None:
    doc = render_html(Aggregator(transport="sse", target="").summary(), Timeline())
    assert_self_contained(doc)
    assert "No samples were recorded" in doc


def test_envelope_keeps_every_outlier() -> None:
    rng = np.random.default_rng(3)
    px = rng.uniform(76, 936, 100_000)
    y = rng.normal(20, 2, 100_000)
    y[12_345] = 5_000.0
    y[54_321] = 0.001
    c = columns(px, y, 76, 936)
    assert c.hi.max() == 5_000.0 and c.lo.min() == 0.001
    assert len(c.x) <= (936 - 76) // 2
    assert np.all(c.lo <= c.p50) and np.all(c.p50 <= c.p99) and np.all(c.p99 <= c.hi)


def test_million_samples_render_small_and_fast() -> None:
    n = 1_000_000
    rng = np.random.default_rng(7)
    intended = T0 + np.arange(n, dtype=np.int64) * 3_600 * MS // 1_000  # an hour at ~278/s
    rtt = (rng.lognormal(np.log(15), 0.5, n) * MS).astype(np.int64)
    rtt[rng.integers(0, n, 50)] = 9_000 * MS  # rare, huge outliers must still show
    outcome = rng.choice(4, n, p=[0.99, 0.005, 0.003, 0.002])
    started = time.perf_counter()
    tl = Timeline()
    tl.add_samples(intended, intended, intended + rtt, outcome, 64, 512)
    agg = Aggregator(transport="ws", target="wss://x.test")
    summary = replace(agg.summary(), sent=n, received=int((outcome == 0).sum()))
    doc = render_html(summary, tl)
    elapsed = time.perf_counter() - started
    assert len(doc.encode()) < 2_000_000
    assert elapsed < 10
    assert_self_contained(doc)
    assert "Showing the last 200,000 of" in doc  # the ring wrapped, and the report says so
    assert 'stroke-linecap="round"' not in doc  # envelope, not 200k dots
    # the y axis reaches the 9 s outliers among the retained samples
    _, ms = tl.latency()
    assert ms.max() == pytest.approx(9_000, rel=0.01)
    assert re.search(r">10k<", doc)


def test_feeding_200k_events_renders_small(tmp_path: Path) -> None:
    """The engine's path: dataclass events one by one, then a report file."""
    n = 200_000
    rng = np.random.default_rng(11)
    rtt = (rng.lognormal(np.log(30), 0.3, n) * MS).astype(np.int64).tolist()
    tl = Timeline()
    started = time.perf_counter()
    for i, r in enumerate(rtt):
        intended = T0 + i * 5 * MS
        outcome = "timed_out" if i % 1_000 == 999 else "received"
        tl.feed(Sample(i % 8, i, outcome, intended, intended, intended + r, 32, 64))
    path = tmp_path / "big.html"
    write_html(path, Aggregator(transport="ws").summary(), tl)
    assert time.perf_counter() - started < 10
    assert tl.received_total == n - 200 and tl.failed_total == 200
    assert path.stat().st_size < 2_000_000
    assert tl.per_second()["sent"].sum() == n


def test_html_size_does_not_grow_with_samples() -> None:
    sizes = []
    for n in (20_000, 200_000):
        tl = Timeline()
        intended = T0 + np.arange(n, dtype=np.int64) * 10 * MS
        rtt = (np.random.default_rng(n).lognormal(np.log(15), 0.5, n) * MS).astype(np.int64)
        tl.add_samples(intended, intended, intended + rtt, np.zeros(n, dtype=np.int64))
        summary = Aggregator(transport="ws").summary()
        sizes.append(len(render_html(summary, tl)))
    assert sizes[1] < sizes[0] * 2  # 10x the samples, far less than 2x the bytes


def test_dots_up_to_max_dots() -> None:
    for n, dots in ((MAX_DOTS, True), (MAX_DOTS + 1, False)):
        tl = Timeline()
        intended = T0 + np.arange(n, dtype=np.int64) * MS
        tl.add_samples(intended, intended, intended + 5 * MS, np.zeros(n, dtype=np.int64))
        doc = render_html(Aggregator().summary(), tl)
        assert ('stroke-linecap="round"' in doc) is dots
        if dots:
            assert doc.count("h0") >= n


# -- csv and json ----------------------------------------------------------------
def test_csv_streams_one_row_per_sample(tmp_path: Path) -> None:
    events = make_events(2_000)
    samples = [e for e in events if isinstance(e, Sample)]
    path = tmp_path / "samples.csv"
    with CsvSampleWriter(path) as w:
        for e in events:
            w.feed(e)
        assert not any(isinstance(v, list) for v in vars(w).values())  # nothing retained
        assert path.stat().st_size > 0  # already on disk while the run goes on
    assert w.rows == len(samples)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(samples)
    assert tuple(rows[0]) == COLUMNS
    for row, s in zip(rows, samples, strict=True):
        assert int(row["session"]) == s.session and int(row["seq"]) == s.seq
        assert row["outcome"] == s.outcome and int(row["warmup"]) == int(s.warmup)
        for col in ("intended_ms", "sent_ms", "done_ms", "rtt_ms"):
            float(row[col])
        assert float(row["rtt_ms"]) == pytest.approx(s.rtt_ns / 1e6, abs=0.001)
        assert row["server_ms"] == ("" if s.server_ns is None else f"{s.server_ns / 1e6:.3f}")
        assert int(row["bytes_out"]) == s.bytes_out and int(row["bytes_in"]) == s.bytes_in
        assert row["first_event_ms"] == "" and int(row["events"]) == 0
        assert row["error"] == s.error
    assert float(rows[0]["intended_ms"]) == 0.0
    assert float(rows[-1]["intended_ms"]) == pytest.approx(19_990.0)


def test_csv_defuses_spreadsheet_formulas_and_sse_fields(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    with CsvSampleWriter(path) as w:
        w.feed(Sample(0, 0, "errored", T0, T0, T0 + MS, error="=HYPERLINK(1)"))
        w.feed(Sample(0, 1, "received", T0, T0, T0 + 9 * MS, first_ns=T0 + 2 * MS, events=7))
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert rows[0]["error"] == "'=HYPERLINK(1)"
    assert float(rows[1]["first_event_ms"]) == 2.0 and rows[1]["events"] == "7"


def test_write_json_is_pretty_sorted_utf8(tmp_path: Path) -> None:
    summary, _ = run(make_events(100), target="wss://例え.test/ü")
    path = tmp_path / "s.json"
    write_json(path, summary)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == json.loads(json.dumps(summary.to_json()))
    assert "例え" in text and text.endswith("\n") and '\n  "bytes_in"' in text
    keys = list(json.loads(text))
    assert keys == sorted(keys)
