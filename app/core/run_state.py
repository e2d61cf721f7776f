"""How a run is doing and how it ended, told honestly: running, finished, failed (with
its reason) or stopped.

The engine's `RunFinished.reason` says only how the engine's loop ended: a run whose
every connect was refused, or whose every message came back as an error, still ends
"done". The final state is therefore decided from everything the run emitted: the
`RunFinished` (reason and error), each session's last `StateChange`, the newest
`ErrorEvent` and the summary's counters. `RunTrail` folds the events; `decide` is the
pure rule; `judge` does both for a finished list of events (tests, tools).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from app.core.events import ErrorEvent, Event, RunFinished, Sample, StateChange
from app.core.report.model import Summary
from app.core.summary import Aggregator

EndState = Literal["finished", "failed", "stopped"]
END_STATES: tuple[EndState, ...] = ("finished", "failed", "stopped")
# what a session's last StateChange reads as while the run is on
_LIVE_NAMES = {"connected": "running", "closed": "running"}


@dataclass(frozen=True)
class FinalState:
    """The end of a run in one line: `state` and, for failed or stopped runs, why."""

    state: EndState
    reason: str = ""

    @property
    def text(self) -> str:
        return f"{self.state}: {self.reason}" if self.reason else self.state

    @property
    def ok(self) -> bool:
        return self.state == "finished"


@dataclass
class RunTrail:
    """What the final state is decided from, folded event by event (bounded: one entry
    per session)."""

    finish: RunFinished | None = None
    sessions: dict[int, tuple[str, str]] = field(default_factory=dict)  # state, detail
    last_error: str = ""  # the newest ErrorEvent's message
    last_failure: str = ""  # the newest error a message ended with (Sample.error)

    def feed(self, event: Event) -> None:
        if isinstance(event, Sample):
            if event.error and event.outcome != "received":
                self.last_failure = event.error
        elif isinstance(event, StateChange):
            self.sessions[event.session] = (event.state, event.detail)
        elif isinstance(event, ErrorEvent):
            self.last_error = event.message
        elif isinstance(event, RunFinished):
            self.finish = event

    @property
    def live_state(self) -> str:
        """While the run is on: connecting, running or reconnecting (the newest
        session's word, "connected" read as running)."""
        if not self.sessions:
            return "connecting"
        states = [s for s, _ in self.sessions.values()]
        if "connected" in states:
            return "running"
        latest = states[-1]
        return _LIVE_NAMES.get(latest, latest)


def _failed_sessions(trail: RunTrail) -> list[str]:
    return [detail or "failed" for state, detail in trail.sessions.values() if state == "failed"]


def _sessions_reason(failed: list[str], total: int) -> str:
    if total <= 1:
        return failed[0]
    if len(failed) >= total:
        return f"all {total} sessions failed: {failed[0]}"
    return f"{len(failed)} of {total} sessions failed: {failed[0]}"


def _top_error(summary: Summary, fallback: str) -> str:
    if summary.errors_by_message:
        return max(summary.errors_by_message.items(), key=lambda kv: kv[1])[0]
    return fallback


def decide(trail: RunTrail, summary: Summary) -> FinalState:
    """The honest end of a run, in this order:

    - the engine said it failed (`RunFinished` "failed" or an error): failed, its error;
    - the user stopped it (or the engine was shut down): stopped;
    - a session ended "failed" (refused, 401, gave up reconnecting): failed, its detail;
    - nothing was measured (no message, no frame): failed, the newest error if any;
    - every message errored, dropped or timed out: failed, the commonest error;
    - otherwise finished.
    """
    finish = trail.finish
    if finish is not None and (finish.reason == "failed" or finish.error):
        return FinalState("failed", finish.error or trail.last_error or "the run failed")
    if finish is not None and finish.reason in ("stopped", "cancelled"):
        return FinalState("stopped", "by the user" if finish.reason == "stopped" else "cancelled")
    failed = _failed_sessions(trail)
    total = max(summary.sessions, len(trail.sessions), 1)
    if failed:
        return FinalState("failed", _sessions_reason(failed, total))
    frames_out = 0 if summary.frames is None else summary.frames.frames_out
    if summary.sent == 0 and summary.warmup == 0 and frames_out == 0:
        return FinalState("failed", trail.last_error or "nothing was sent")
    if summary.sent and summary.received == 0 and frames_out == 0:
        why = _top_error(summary, trail.last_error or trail.last_failure or "no reply")
        return FinalState("failed", f"all {summary.sent:,} messages failed: {why}")
    return FinalState("finished")


def judge(events: Iterable[Event], transport: str = "", target: str = "") -> FinalState:
    """`decide` for a whole run's events at once."""
    agg = Aggregator(transport=transport, target=target)
    trail = RunTrail()
    for event in events:
        agg.feed(event)
        trail.feed(event)
    return decide(trail, agg.summary())
