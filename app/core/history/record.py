"""What one run leaves in the history (`NewRun`), built from what a run has.

The CLI and the GUI both end a run holding an `Aggregator` (its HDR histograms and the
`Summary`), a `Timeline` (per-second counters), the assertions and the `RunConfig`;
`new_run` turns those into a record with every secret gone: settings keep secret
header names with empty values (the session file's rule, `redact.is_secret_header`),
and the summary, the reason and the verdicts pass the run's `Redactor`, so a key the
server echoed into an error message is masked before it reaches the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.core.assertions import Threshold
from app.core.config import RunConfig
from app.core.credentials import ENV_VAR
from app.core.findmax import Result
from app.core.metrics import LatencyHistogram
from app.core.redact import Redactor, is_secret_header
from app.core.report.model import Summary
from app.core.report.timeline import Timeline
from app.core.sessions import registry
from app.core.summary import Aggregator

# stored histogram name -> the Aggregator's field holding it
METRICS: Mapping[str, str] = {
    "rtt": "rtt",
    "server": "server",
    "network": "network",
    "ttfe": "first_event",
    "event_gap": "event_gap",
    "send_lag": "send_lag",
    "frame": "frame_latency",
    "frame_hold": "frame_hold",
}
STATES = ("finished", "failed", "stopped")
SOURCES = ("cli", "gui")
MAX_PAYLOAD_CHARS = 16_384  # a larger payload is described, not stored


@dataclass(frozen=True)
class Verdict:
    """One assertion's outcome: `detail` is the failure line, "" when it held."""

    expression: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class NewRun:
    """A finished run, ready for `HistoryStore.add`; holds no secret."""

    started: datetime  # aware (UTC when built by `new_run`)
    source: str  # "cli" | "gui"
    transport: str
    target: str  # display form: no query string, no token
    state: str  # "finished" | "failed" | "stopped"
    summary: Summary
    reason: str = ""  # why it failed or stopped
    settings: Mapping[str, Any] = field(default_factory=dict)
    histograms: Mapping[str, LatencyHistogram] = field(default_factory=dict)
    series: Mapping[str, np.ndarray] = field(default_factory=dict)
    verdicts: tuple[Verdict, ...] = ()
    find_max: Result | None = None  # a `run --find-max` search: its answer and steps

    @property
    def kind(self) -> str:
        return "run" if self.find_max is None else "find-max"

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"run state {self.state!r} is not one of {', '.join(STATES)}")
        if self.source not in SOURCES:
            raise ValueError(f"run source {self.source!r} is not one of {', '.join(SOURCES)}")
        if self.started.tzinfo is None:
            raise ValueError("NewRun.started must be timezone-aware")


def verdicts_of(thresholds: Iterable[Threshold], summary: Summary) -> tuple[Verdict, ...]:
    out = []
    for t in thresholds:
        failure = t.check(summary)
        out.append(Verdict(t.text, failure is None, failure or ""))
    return tuple(out)


def settings_of(config: RunConfig) -> dict[str, Any]:
    """The run's settings as JSON values, secret header values blanked, no key."""
    headers = {k: ("" if is_secret_header(k) else v) for k, v in config.headers.items()}
    payload: Any = config.payload
    if isinstance(payload, bytes | bytearray):
        payload = f"<{len(payload)} bytes>"
    else:
        try:
            text = json.dumps(payload, ensure_ascii=False)
        except (TypeError, ValueError):
            payload = f"<{type(payload).__name__}>"
        else:
            if len(text) > MAX_PAYLOAD_CHARS:
                payload = f"<{len(text)} characters of JSON>"
    w = config.webrtc
    settings = {
        "transport": config.transport,
        "target": config.target.display,
        "payload": payload,
        "payload_format": config.ws_format,
        "count": config.count,
        "duration_s": config.duration_s,
        "rate": config.rate,
        "concurrency": config.concurrency,
        "warmup": config.warmup,
        "timeout_s": config.timeout_s,
        "headers": headers,
        "redacted_headers": sorted(k for k in config.headers if is_secret_header(k)),
        "use_jwt": config.credentials.use_jwt,
        "has_key": bool(config.credentials.key),
        "max_buffering": config.ws.max_buffering,
        "compression": config.ws.compression,
        "subprotocols": list(config.ws.subprotocols),
        "seq_field": config.seq_field,
        "ordered": config.ordered,
        "reconnects": config.reconnects,
        "sse_method": config.sse_method,
    }
    if registry.transport(config.transport).measures_frames:  # a video run
        settings["webrtc"] = {
            "source": w.source,
            "size": f"{w.width}x{w.height}",
            "fps": w.fps,
            "mode": w.mode,
            "signaling": w.signaling,
            "data_channel": w.data_channel,
            "action_every_s": w.action_every_s,
        }
    return settings


def redactor_for(config: RunConfig | None, extra: Iterable[str | None] = ()) -> Redactor:
    """The run's key and secret header values, the environment's key and `extra`."""
    import os

    secrets: list[str | None] = [os.environ.get(ENV_VAR), *extra]
    if config is not None:
        secrets.append(config.credentials.key)
        secrets += [v for k, v in config.headers.items() if is_secret_header(k)]
    return Redactor(secrets)


def scrub_summary(summary: Summary, redactor: Redactor) -> Summary:
    """`summary` with every string in it masked (errors, connection info, target)."""
    if not redactor:
        return summary
    return Summary.from_json(redactor.value(summary.to_json()))


def histograms_of(agg: Aggregator) -> dict[str, LatencyHistogram]:
    """The aggregator's histograms that recorded anything, by stored name."""
    out = {}
    for name, attr in METRICS.items():
        h = getattr(agg, attr)
        if h.count:
            out[name] = h
    return out


def new_run(
    agg: Aggregator,
    *,
    source: str,
    state: str,
    reason: str = "",
    config: RunConfig | None = None,
    timeline: Timeline | None = None,
    thresholds: Iterable[Threshold] = (),
    summary: Summary | None = None,
    settings: Mapping[str, Any] | None = None,
    secrets: Iterable[str | None] = (),
) -> NewRun:
    """The record of a run that ended: `summary` defaults to `agg.summary()`,
    `settings` to `settings_of(config)`; `secrets` are masked besides the run's own."""
    redactor = redactor_for(config, secrets)
    raw = summary if summary is not None else agg.summary()
    clean = scrub_summary(raw, redactor)
    chosen = (
        dict(settings) if settings is not None else ({} if config is None else settings_of(config))
    )
    series = {} if timeline is None else timeline.per_second()
    if timeline is not None:  # frame size per second (WebRTC), on the same seconds
        series = {**series, **timeline.resolution_per_second()}
    verdicts = tuple(
        Verdict(v.expression, v.passed, redactor.text(v.detail))
        for v in verdicts_of(thresholds, raw)
    )
    return NewRun(
        started=datetime.fromtimestamp(agg.started_wall, UTC),
        source=source,
        transport=clean.transport,
        target=redactor.text(config.target.display if config is not None else clean.target),
        state=state,
        reason=redactor.text(reason),
        settings=redactor.value(chosen),
        summary=clean,
        histograms=histograms_of(agg),
        series=series,
        verdicts=verdicts,
    )
