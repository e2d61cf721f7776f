"""What one connection has measured so far, for live views: the run summary, the
timeline the plots read, the newest error, how far the run has got and, once it is
over, how it honestly ended (app/core/run_state.py) — all bounded, whatever the run
length."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from app.core.events import (
    ErrorEvent,
    Event,
    EventsDropped,
    Message,
    RunFinished,
    Sample,
    StateChange,
)
from app.core.report.csv import CsvSampleWriter
from app.core.report.timeline import Timeline
from app.core.run_progress import Plan, Progress, progress
from app.core.run_state import FinalState, RunTrail, decide
from app.core.summary import Aggregator, Summary

TIMELINE_CAPACITY = 100_000
# every sample goes to a temporary CSV for "export CSV": ~70 bytes a row, so this caps the
# disk an hours-long run at 1,000 msg/s can take (~350 MB); the export then says so
MAX_CSV_ROWS = 5_000_000


class LiveRun:
    def __init__(self, transport: str, target: str, plan: Plan | None = None) -> None:
        self.aggregator = Aggregator(transport=transport, target=target)
        self.timeline = Timeline(capacity=TIMELINE_CAPACITY)
        self.plan = plan or Plan()
        self.trail = RunTrail()
        self.started_s = time.monotonic()
        self.ended_s: float | None = None
        self._final: FinalState | None = None
        self.state = "connecting"
        self.last_error = ""
        self.finished = False
        self.dropped = 0  # events the engine could not hand over in time (EventsDropped)
        self.csv_truncated = False
        # every sample, streamed to a temporary CSV so "export CSV" has them all
        self._csv_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives with the run
            prefix="rtprobe-", suffix=".csv", delete=False
        )
        self._csv_file.close()
        self._csv = CsvSampleWriter(self._csv_file.name).__enter__()

    def feed_many(self, events: Iterable[Event]) -> list[Message]:
        """Fold a batch in; return its Message events for the inspector."""
        messages: list[Message] = []
        agg, timeline = self.aggregator, self.timeline
        for event in events:
            if isinstance(event, Message):
                messages.append(event)
                continue
            if isinstance(event, RunFinished):
                self.trail.feed(event)
                self.finished = True
                self.ended_s = time.monotonic()
                self.last_error = event.error or self.last_error
                continue
            if isinstance(event, EventsDropped):
                self.dropped += event.count
                agg.feed(event)  # the summary and its reports say so too
                continue
            agg.feed(event)
            timeline.feed(event)
            self.trail.feed(event)
            if isinstance(event, Sample):
                if self._csv.rows < MAX_CSV_ROWS:
                    self._csv.feed(event)
                else:
                    self.csv_truncated = True
            if isinstance(event, ErrorEvent):
                self.last_error = event.message
            elif isinstance(event, StateChange):
                self.state = event.state
        timeline.flush()
        return messages

    def summary(self) -> Summary:
        return self.aggregator.summary()

    @property
    def elapsed_s(self) -> float:
        end = self.ended_s if self.ended_s is not None else time.monotonic()
        return end - self.started_s

    def final_state(self) -> FinalState | None:
        """How the run ended (None while it is on), decided once from all it emitted."""
        if not self.finished:
            return None
        if self._final is None:
            self._final = decide(self.trail, self.summary())
        return self._final

    def shown_state(self) -> str:
        """The state counter's word: connecting / running / reconnecting while on, then
        finished / failed / stopped."""
        final = self.final_state()
        return self.trail.live_state if final is None else final.state

    def progress(self) -> Progress:
        """How far the run has got (messages done, warm-up included, of a counted run)."""
        done = sum(t.sent + t.warmup for t in self.aggregator.sessions.values())
        return progress(self.plan, self.elapsed_s, done)

    def export_csv(self, path: str | Path) -> None:
        self._csv.flush()
        shutil.copyfile(self._csv_file.name, path)

    def close(self) -> None:
        """Drop the temporary CSV (called when the run's view is cleared)."""
        self._csv.close()
        Path(self._csv_file.name).unlink(missing_ok=True)
