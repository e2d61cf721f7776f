"""`rtprobe run --find-max` as reports: its steps as JSON, and an HTML page with the
knee plots (rate asked vs round-trip p50/p99, and vs the throughput achieved), so the
rate where latency turns up is seen, not only read."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from app.core.findmax import Result
from app.core.report.svg import (
    BLUE,
    GREEN,
    GREY,
    LEFT,
    RIGHT,
    VERMILLION,
    WIDTH,
    Frame,
    Scale,
    dots_path,
    esc,
    legend_html,
    line_path,
    linear_ticks,
    y_scale,
)

HEIGHT = 320
TOP = 16


def result_json(result: Result, target: str = "") -> dict[str, Any]:
    """The search as the --json file holds it: its limits, answer, and every step."""
    best = result.best
    return {
        "find_max": {
            "target": target,
            "best_rate_per_s": round(result.best_rate, 3),
            "best_p99_ms": None if best is None else best.p99_ms,
            "stopped_by": result.stopped_by,
            "limits": asdict(result.limits),
            "steps": [{**asdict(s), "passed": s.passed} for s in result.steps],
        }
    }


def _by_rate(result: Result) -> list[Any]:
    return sorted(result.steps, key=lambda s: s.rate)


def _plot(result: Result, ys: list[tuple[str, str, str]], ylabel: str, log: bool) -> str:
    steps = _by_rate(result)
    rates = np.array([s.rate for s in steps], dtype=np.float64)
    x = Scale(0.0, float(rates.max()) * 1.05, LEFT, WIDTH - RIGHT)
    values = [np.array([getattr(s, key) for s in steps], dtype=np.float64) for key, _, _ in ys]
    peak = max(float(v.max()) for v in values)
    low = min(float(v[v > 0].min()) if (v > 0).any() else 1.0 for v in values)
    y = y_scale(low if log else 0.0, peak, TOP, HEIGHT - 46, log)
    body = []
    for v, (_, colour, _) in zip(values, ys, strict=True):
        body.append(line_path(x(rates), y(np.maximum(v, y.lo)), colour, 1.8))
        body.append(dots_path(x(rates), y(np.maximum(v, y.lo)), colour))
    if result.best_rate > 0:
        px = float(x(result.best_rate))
        body.append(
            f'<path d="M{px:.1f} {TOP}V{HEIGHT - 46}" stroke="{GREY}" stroke-dasharray="4 3"/>'
        )
    frame = Frame(x, y, HEIGHT, TOP, "rate asked (msg/s)", ylabel, linear_ticks(0, x.hi))
    legend = legend_html([("line", c, "", label) for _, c, label in ys])
    return frame.svg("".join(body), ylabel) + legend


def render_knee_html(result: Result, target: str = "") -> str:
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{esc(s.phase)}</td><td>{s.rate:,.1f}</td>"
        f"<td>{s.achieved:,.1f}</td><td>{s.p50_ms:.3f}</td><td>{s.p99_ms:.3f}</td>"
        f"<td>{s.client_lag_p99_ms:.2f}</td><td>{s.failed}</td>"
        f'<td class="{"ok" if s.passed else "bad"}">{esc(s.failure or "pass")}</td></tr>'
        for i, s in enumerate(result.steps)
    )
    plots = ""
    if result.steps:
        latency = [("p50_ms", BLUE, "round trip p50"), ("p99_ms", VERMILLION, "round trip p99")]
        plots = _plot(result, latency, "round trip (ms)", log=True) + _plot(
            result,
            [("achieved", GREEN, "replies per second"), ("rate", GREY, "rate asked")],
            "throughput (msg/s)",
            log=False,
        )
    head = (
        "<th>step</th><th>phase</th><th>rate asked</th><th>achieved /s</th><th>p50 ms</th>"
        "<th>p99 ms</th><th>client loop lag p99 ms</th><th>failed</th><th>verdict</th>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>rtprobe find-max — {esc(target)}</title><style>"
        "body{font:15px/1.45 system-ui,sans-serif;max-width:1040px;margin:0 auto;padding:24px}"
        "table{border-collapse:collapse}th,td{padding:3px 10px;border-bottom:1px solid #ddd;"
        "text-align:right}.ok{color:#006b4f}.bad{color:#b33c00}svg.plot{width:100%}"
        "ul.legend{list-style:none;display:flex;gap:18px;padding:0}</style></head><body>"
        f"<h1>rtprobe find-max</h1><p>{esc(target)}</p>"
        f"<p><b>highest sustainable rate: {result.best_rate:,.1f} msg/s</b> "
        f"(p99 limit {result.limits.p99_ms:g} ms); stopped by: {esc(result.stopped_by)}</p>"
        f"<h2>Knee</h2>{plots}<h2>Steps</h2><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n"
    )


def write_knee(path: str | os.PathLike[str], text: str) -> None:
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def write_knee_json(path: str | os.PathLike[str], result: Result, target: str = "") -> None:
    write_knee(path, json.dumps(result_json(result, target), indent=2) + "\n")
