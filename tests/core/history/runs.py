"""Real runs' records for the history tests: an Aggregator and a Timeline fed with
engine events, as the CLI and the GUI have them at the end of a run."""

from __future__ import annotations

import random

from app.core.assertions import parse
from app.core.config import RunConfig
from app.core.events import ErrorEvent, Sample
from app.core.history import NewRun, new_run
from app.core.report.timeline import Timeline
from app.core.summary import Aggregator
from app.core.targets import resolve
from app.core.transports.wsbase import Credentials

SECRET = "fal-key-0123456789abcdef-SECRET"


def config(target: str = "ws://127.0.0.1:9/echo", transport: str = "ws") -> RunConfig:
    return RunConfig(
        target=resolve(transport, target),
        credentials=Credentials(key=SECRET),
        headers={"Authorization": f"Key {SECRET}", "X-Trace": "visible"},
    )


def fed(
    n: int = 2000,
    *,
    seed: int = 1,
    scale_ms: float = 5.0,
    errors: int = 0,
    error_text: str = "",
    t0_ns: int = 1_000_000_000_000,
) -> tuple[Aggregator, Timeline]:
    """`n` samples with lognormal-ish latencies over ~n/100 seconds, `errors` failures."""
    rng = random.Random(seed)
    agg = Aggregator(transport="ws", target="ws://127.0.0.1:9/echo")
    timeline = Timeline()
    events: list[object] = []
    for i in range(n):
        start = t0_ns + i * 10_000_000
        rtt = int(rng.lognormvariate(0, 0.5) * scale_ms * 1e6)
        failed = i < errors
        events.append(
            Sample(
                session=0,
                seq=i,
                outcome="errored" if failed else "received",
                intended_ns=start,
                sent_ns=start,
                done_ns=start + rtt,
                bytes_out=10,
                bytes_in=0 if failed else 10,
                server_ns=rtt // 3,
                error=error_text if failed else "",
            )
        )
    if error_text:
        events.append(ErrorEvent(0, t0_ns + 5, "AppError", error_text))
    for e in events:
        agg.feed(e)  # type: ignore[arg-type]
        timeline.feed(e)
    return agg, timeline


def record(
    n: int = 2000,
    *,
    seed: int = 1,
    scale_ms: float = 5.0,
    state: str = "finished",
    target: str = "ws://127.0.0.1:9/echo",
    error_text: str = "",
    errors: int = 0,
    asserts: tuple[str, ...] = ("p99<1000ms", "errors==0"),
) -> tuple[NewRun, Aggregator]:
    agg, timeline = fed(n, seed=seed, scale_ms=scale_ms, errors=errors, error_text=error_text)
    run = new_run(
        agg,
        source="cli",
        state=state,
        reason="" if state == "finished" else f"ended: {error_text or 'stopped'}",
        config=config(target),
        timeline=timeline,
        thresholds=[parse(a) for a in asserts],
    )
    return run, agg
