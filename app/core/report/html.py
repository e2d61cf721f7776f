"""A self-contained HTML report: one file, inline CSS and SVG, opens without a network.

Written from the run's `Summary` (tables, and the latency histograms' bins) and its
`Timeline` (plots over time); the plots come from `plots.py`. All text from the run
(target, error messages, connection info) is escaped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.core.network.feedback import feedback_rows
from app.core.report import plots
from app.core.report.fmt import fmt_bytes, fmt_count, fmt_duration, fmt_ms
from app.core.report.health_html import health_section
from app.core.report.marks import time_marks
from app.core.report.model import OutcomeTable, Summary
from app.core.report.network_html import network_section
from app.core.report.svg import BLUE, ORANGE, PURPLE, VERMILLION, esc
from app.core.report.timeline import Timeline

LATENCIES = (  # summary key, label
    ("rtt_ms", "Round trip (RTT)"),
    ("server_ms", "Server time"),
    ("network_ms", "Network (RTT - server)"),
    ("time_to_first_event_ms", "Time to first event"),
    ("frame_latency_ms", "Frame latency"),
    ("frame_hold_ms", "Jitter-buffer hold"),
    ("control_rtt_ms", "Control round trip (ping/pong)"),
    ("event_gap_ms", "Between events"),
    ("send_lag_ms", "Send lag (client late)"),
)
PCT_COLUMNS = (("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p999", "p99.9"))

CSS = """
:root{color-scheme:light;--fg:#1b1b1b;--muted:#555;--line:#d6d6d6;--bg:#fff;--alt:#f5f7f9}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1040px;padding:24px 28px 48px;color:var(--fg);background:var(--bg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:22px 0 4px}
.target{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px;word-break:break-all;
color:var(--muted);margin:0 0 12px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;margin:4px 0;font-variant-numeric:tabular-nums}
th,td{padding:4px 12px;border-bottom:1px solid var(--line);text-align:right}
th{font-weight:600;background:var(--alt)}
th:first-child,td:first-child{text-align:left}
table.msg td:first-child,table.kv td:last-child{text-align:left;font-size:13px;
font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;max-width:760px}
table.kv th{text-align:left}
tr.total td{font-weight:600}
.ok{color:#006b4f;font-weight:600}.bad{color:#b33c00;font-weight:600}
.note{color:var(--muted);font-size:13px;margin:4px 0}
ul.legend{list-style:none;padding:0;margin:2px 0 0;display:flex;flex-wrap:wrap;gap:4px 18px;
font-size:13px}
ul.legend svg{vertical-align:middle;margin-right:5px}
svg.plot{width:100%;height:auto;display:block}
svg.plot text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#333}
.cols{display:flex;flex-wrap:wrap;gap:12px 40px;align-items:flex-start}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}svg.plot{break-inside:avoid}}
"""


# -- sections --------------------------------------------------------------------
def _table(
    head: Sequence[str], rows: Sequence[Sequence[str]], total: bool = False, klass: str = ""
) -> str:
    """Cells are HTML already; `total` bolds the last row."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        ('<tr class="total">' if total and i == len(rows) - 1 else "<tr>")
        + "".join(f"<td>{c}</td>" for c in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    open_tag = f'<table class="{klass}">' if klass else "<table>"
    return f"{open_tag}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _header(s: Summary) -> str:
    items = [
        ("Transport", esc(s.transport or "—")),
        ("Started", esc(s.started or "—")),
        ("Duration", esc(fmt_duration(s.duration_s))),
        ("Sessions", esc(fmt_count(s.sessions))),
    ]
    if s.sent or not s.measured_frames:
        items.append(("Send rate", f"{esc(s.rate_per_s)} msg/s"))
    if s.frames is not None and s.measured_frames:
        items.append(("Frame rate", f"{s.frames.fps_out:.2f} fps out, {s.frames.fps_in:.2f} in"))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    return (
        f"<header><h1>rtprobe report</h1>"
        f'<p class="target">{esc(s.target or "(no target)")}</p>'
        f'<dl class="meta">{dl}</dl></header>'
    )


def _outcome_table(table: OutcomeTable) -> tuple[str, str]:
    """The table, and the line saying whether its rows add up to its total."""

    def pct(n: int) -> str:
        return f"{100 * n / table.total:.2f} %" if table.total else "—"

    rows = [[label, fmt_count(n), pct(n)] for label, n in table.rows]
    rows.append([table.total_label, fmt_count(table.total), pct(table.total)])
    unit = table.unit.lower().rstrip("s")
    done, total = table.accounted, table.total
    diff = total - done
    check = (
        f'<p class="ok">✓ Every sent {unit} has exactly one outcome '
        f"({fmt_count(done)} = {fmt_count(total)}).</p>"
        if diff == 0
        else f'<p class="bad">✗ Accounting mismatch: {unit} outcomes add up to '
        f"{fmt_count(done)}, sent is {fmt_count(total)} ({diff:+,} unaccounted).</p>"
    )
    return _table(("Outcome", table.unit, "of sent"), rows, total=True), check


def _counters(s: Summary) -> str:
    tables, checks = [], []
    for table in s.outcome_tables():
        html_table, check = _outcome_table(table)
        tables.append(html_table)
        checks.append(check)
    extra = [
        ("Warm-up (excluded)", fmt_count(s.warmup)),
        ("Error events", fmt_count(s.error_events)),
        *([("Events never delivered", fmt_count(s.events_dropped))] if s.events_dropped else []),
        (
            "Unmatched frames",
            fmt_count(s.unmatched) + (f" ({s.flood_warning()})" if s.flood_warning() else ""),
        ),
        ("Bytes out", fmt_bytes(s.bytes_out)),
        ("Bytes in", fmt_bytes(s.bytes_in)),
        ("Throughput in", fmt_bytes(s.throughput_in_bytes_per_s, "/s")),
    ]
    if s.stream is not None:
        extra.append(("SSE events", fmt_count(s.stream.events)))
    if s.frames is not None:
        f = s.frames
        extra += [("FPS out", f"{f.fps_out:.2f}"), ("FPS in", f"{f.fps_in:.2f}")]
        extra += [("Frames out", fmt_count(f.frames_out)), ("Frames in", fmt_count(f.frames_in))]
        extra += feedback_rows(f.feedback)  # NACKs, PLIs, freezes (network/feedback.py)
    return (
        '<h2>Counters</h2><div class="cols">'
        + "".join(tables)
        + _table(("Other", "Value"), [[esc(k), esc(v)] for k, v in extra])
        + "</div>"
        + "".join(checks)
    )


def _percentiles(s: Summary) -> str:
    head = ["Latency (ms)", "count", "min", *(lbl for _, lbl in PCT_COLUMNS), "max", "mean"]
    rows = []
    for key, label in LATENCIES:
        p = s.latency(key)
        if p is None or (key != "rtt_ms" and not p.count):
            continue
        cells = [label, fmt_count(p.count), fmt_ms(p.min)]
        cells += [fmt_ms(getattr(p, k)) for k, _ in PCT_COLUMNS]
        cells += [fmt_ms(p.max), fmt_ms(p.mean)]
        rows.append([esc(c) for c in cells])
    note = (
        '<p class="note">RTT is measured from the intended send time, so a late send '
        "(coordinated omission) counts against the endpoint. Percentiles cover the whole "
        "run (HDR histogram, 0.1 % precision).</p>"
    )
    return "<h2>Latency percentiles</h2>" + _table(head, rows) + note


def _plots(s: Summary, tl: Timeline) -> str:
    out = ["<h2>Plots</h2>"]
    t, ms = tl.latency()
    ft, fc = tl.failures()
    if len(ms) or len(ft):
        out.append("<h3>Latency over time</h3>")
        out.append(_coverage(len(ms), tl.received_total, len(ft), tl.failed_total))
        out.append(
            plots.latency_over_time(t, ms, ft, fc, "Round-trip latency over time", "RTT (ms)")
        )
    elif per_s := tl.percentiles_per_second("rtt"):
        out.append("<h3>Latency over time</h3>")
        out.append(_seconds_plot(per_s, "Round-trip latency per second", "RTT (ms)"))
    ft_t, ft_ms = tl.frame_latency()
    if not len(ft_ms) and (per_s := tl.percentiles_per_second("frame_latency")):
        out.append("<h3>Frame latency over time</h3>")
        out.append(_seconds_plot(per_s, "Frame latency per second", "ms"))
    if len(ft_ms):
        out.append("<h3>Frame latency over time</h3>")
        empty_t, empty_c = np.zeros(0), np.zeros(0, dtype=np.int64)
        out.append(
            plots.latency_over_time(ft_t, ft_ms, empty_t, empty_c, "Frame latency over time", "ms")
        )
    if s.rtt_histogram.total:
        out.append("<h3>Latency histogram</h3>")
        out.append(
            plots.latency_histogram(s.rtt_histogram, s.rtt_ms, "Round-trip latency histogram")
        )
    if s.frames is not None and s.frames.latency_histogram.total:
        out.append("<h3>Frame latency histogram</h3>")
        f = s.frames
        out.append(
            plots.latency_histogram(
                f.latency_histogram, f.frame_latency_ms, "Frame latency histogram"
            )
        )
    ps = tl.per_second()
    if len(ps["t_s"]):
        out.append(_rate_plots(ps))
    if len(out) == 1:
        out.append('<p class="note">No samples were recorded.</p>')
    return "".join(out)


def _coverage(kept: int, total: int, fkept: int, ftotal: int) -> str:
    if kept == total and fkept == ftotal:
        return ""
    return (
        f'<p class="note">Showing the last {fmt_count(kept)} of {fmt_count(total)} received '
        f"samples and the last {fmt_count(fkept)} of {fmt_count(ftotal)} failures "
        "(the tables above cover the whole run).</p>"
    )


def _seconds_plot(per_s: dict[str, np.ndarray], title: str, ylabel: str) -> str:
    """Each second's exact p50/p99/max, where the samples themselves were not kept."""
    lines = [
        ("p50", per_s["p50"], BLUE, ""),
        ("p99", per_s["p99"], VERMILLION, "5 3"),
        ("max", per_s["max"], PURPLE, "2 2"),
    ]
    log = plots.latency_scale_is_log(per_s["p50"], per_s["max"])
    plot = plots.series_plot(per_s["t_s"], lines, title, ylabel, log=log)
    return plot + (
        '<p class="note">Percentiles of the round trips meant to be sent in each second, '
        "from the merged HDR histograms of every load worker.</p>"
    )


def _rate_plots(ps: dict[str, np.ndarray]) -> str:
    t = ps["t_s"]
    failed = ps["errored"] + ps["dropped"] + ps["timed_out"]
    msgs = [("sent/s", ps["sent"], ORANGE, "6 3"), ("received/s", ps["received"], BLUE, "")]
    if failed.any():
        msgs.append(("failed/s (error, drop, timeout)", failed, VERMILLION, "2 2"))
    if ps["error_events"].any():
        msgs.append(("error events/s", ps["error_events"], PURPLE, "8 2 2 2"))
    out = []
    if ps["sent"].any() or ps["received"].any() or failed.any() or ps["error_events"].any():
        out += [
            "<h3>Messages per second</h3>",
            plots.series_plot(t, msgs, "Messages per second", "msg / s"),
            '<p class="note">Per-second buckets: sent at the send time, outcomes at '
            "completion; the first and last seconds are usually partial.</p>",
        ]
    peak = max(float(ps["bytes_in"].max()), float(ps["bytes_out"].max()))
    if peak > 0:
        unit, div = next(
            ((u, d) for u, d in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)) if peak >= d), ("B", 1.0)
        )
        data = [("in", ps["bytes_in"], BLUE, ""), ("out", ps["bytes_out"], ORANGE, "6 3")]
        plot = plots.series_plot(t, data, "Bytes per second", f"{unit} / s", div)
        out += ["<h3>Bytes per second</h3>", plot]
    if ps["frames_in"].any() or ps["frames_out"].any():
        frames = [
            ("fps in", ps["frames_in"], BLUE, ""),
            ("fps out", ps["frames_out"], ORANGE, "6 3"),
        ]
        plot = plots.series_plot(t, frames, "Frames per second", "frames / s")
        out += ["<h3>Video frames per second</h3>", plot]
    return "".join(out)


def _errors(s: Summary) -> str:
    if not s.errors_by_message:
        return ""
    rows = [[esc(m), esc(fmt_count(n))] for m, n in s.errors_by_message.items()]
    return "<h2>Errors by message</h2>" + _table(("Message", "Count"), rows, klass="msg")


def _connection(s: Summary) -> str:
    if not s.connection:
        return ""
    rows = []
    for k, v in s.connection.items():
        text = v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
        text = text if len(text) <= 400 else text[:400] + "…"
        rows.append([esc(k), esc(text)])
    return "<h2>Connection</h2>" + _table(("Key", "Value"), rows, klass="kv")


def render_html(summary: Summary, timeline: Timeline) -> str:
    """The whole report as one HTML string; network changes marked on every time plot."""
    title = f"rtprobe report — {summary.target or summary.transport or 'run'}"
    with time_marks(timeline.network_changes() or summary.network_changes):
        body = "".join(
            (
                _header(summary),
                _counters(summary),
                health_section(summary),
                _percentiles(summary),
                _plots(summary, timeline),
                network_section(summary, timeline),
                _errors(summary),
                _connection(summary),
                "<footer>Generated by rtprobe. Self-contained: no scripts, fonts or network "
                "access.</footer>",
            )
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_html(path: str | os.PathLike[str], summary: Summary, timeline: Timeline) -> None:
    """Write via a temporary file, so an open browser tab never sees half a report."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(render_html(summary, timeline), encoding="utf-8")
    os.replace(tmp, target)
