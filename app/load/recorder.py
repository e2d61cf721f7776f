"""What one worker process does with its sessions' events.

On the engine loop's thread, `Recorder.feed` folds every event into the current window
(an `Aggregator`) and its seconds (`SecondsWindow`, for the over-time plots), keeps its
samples when the master writes a CSV (`SampleRows`), queues each measured `Sample` for
Locust, and (tests only) keeps the raw round trips. On the gevent side, `LocustFeed`
drains that queue and fires one Locust request event per message (and, for video, per
marked frame that came back, under "TARGET frames"), so Locust's own table, charts and
CSV count what the HDR figures count (`deque` appends and pops are thread-safe;
nothing of Locust runs on the loop thread).

Messages still in flight when their user is stopped are timed out by the session and
counted so in rtprobe's figures; Locust is not told of them, as it records no request
its own users had in flight at a stop (else every run would end with failures, and
with Locust's exit code 1).
"""

from __future__ import annotations

import collections
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.core.events import Event, FrameSample, Sample, StateChange
from app.core.summary import Aggregator
from app.load import wire
from app.load.samples import SampleRows
from app.load.seconds import SecondsWindow

DUMP_ENV = "RTPROBE_LOAD_DUMP"  # tests: a directory each worker writes its raw samples to
DRAIN_EVERY_S = 0.05


class MessageFailed(Exception):
    """A message that was not received, as Locust counts a failure: its outcome (and the
    error's one line), so Locust's failure table groups them the way rtprobe does."""


class Recorder:
    """One worker's results: windows for the master, samples for Locust."""

    def __init__(self, transport: str, target: str, keep_samples: bool = False) -> None:
        self.transport = transport
        self.target = target
        self.window = Aggregator(transport=transport, target=target)
        self.states: dict[int, str] = {}
        self.for_locust: collections.deque[Sample | FrameSample] = collections.deque()
        self.offset_ns = wire.clock_offset_ns()
        self.seconds = SecondsWindow(self.offset_ns)
        self.keep_samples = keep_samples
        self.samples = SampleRows(self.offset_ns)
        dump = os.environ.get(DUMP_ENV)
        self.raw: list[int] | None = [] if dump else None
        self.sent = 0  # every measured message of this process (for the dump)
        # users being stopped: what their sessions time out now was cut by the stop
        self.stopping: set[int] = set()
        self.cut_by_stop = 0

    def emit_for(self, index: int) -> Any:
        """The emit of the user session numbered `index` in this process: its events
        carry that number (every user's run has one session, numbered 0)."""

        def emit(event: Event) -> None:
            if getattr(event, "session", None) == 0:
                renumbered: Any = event  # every event with a session number has the field
                event = replace(renumbered, session=index)
            self.feed(event)

        return emit

    def feed(self, event: Event) -> None:
        """On the loop thread, every event of every session of this process."""
        self.window.feed(event)
        self.seconds.feed(event)
        if isinstance(event, Sample):
            if self.keep_samples:
                self.samples.feed(event)
            if not event.warmup:
                self.sent += 1
                if event.outcome == "timed_out" and event.session in self.stopping:
                    self.cut_by_stop += 1  # in flight at the stop: Locust counts none
                else:
                    self.for_locust.append(event)
                if self.raw is not None and event.outcome == "received":
                    self.raw.append(event.rtt_ns)
        elif isinstance(event, FrameSample):
            if event.direction == "in" and event.latency_ns is not None:
                self.for_locust.append(event)  # video: each marked frame back, a "request"
        elif isinstance(event, StateChange):
            self.states[event.session] = event.state

    def take(self) -> dict[str, Any]:
        """On the loop thread: the window so far, encoded, and a fresh one started."""
        old, states = self.window, self.states
        self.window = Aggregator(transport=self.transport, target=self.target)
        self.window.info = dict(old.info)  # later snapshots are not taken for the first
        self.states = {}
        data = wire.encode(old, states, self.offset_ns)
        data["seconds"] = self.seconds.encode()
        self.seconds = SecondsWindow(self.offset_ns)
        if self.keep_samples:
            data["samples"] = self.samples.encode()
            self.samples = SampleRows(self.offset_ns)
        return data

    def close(self) -> None:
        """At the end of a test: the raw samples dumped (tests)."""
        dump = os.environ.get(DUMP_ENV)
        if dump and self.raw is not None:
            path = Path(dump) / f"worker-{os.getpid()}.json"
            path.write_text(json.dumps({"sent": self.sent, "rtt_ns": self.raw}))


class LocustFeed:
    """Fires Locust's request event for each queued sample (call `drain` often)."""

    def __init__(self, events: Any) -> None:
        self.events = events

    def drain(self, recorder: Recorder) -> int:
        n = 0
        queue = recorder.for_locust
        fire = self.events.request.fire
        while queue:
            s = queue.popleft()
            if isinstance(s, FrameSample):
                fire(
                    request_type=recorder.transport,
                    name=recorder.target + " frames",
                    response_time=(s.latency_ns or 0) / 1e6,
                    response_length=0,
                    exception=None,
                    context={"session": s.session},
                )
                n += 1
                continue
            exception = None
            if s.outcome != "received":
                exception = MessageFailed(f"{s.outcome}: {s.error}" if s.error else s.outcome)
            fire(
                request_type=recorder.transport,
                name=recorder.target,
                response_time=s.rtt_ns / 1e6,
                response_length=s.bytes_in,
                exception=exception,
                context={"session": s.session},
            )
            n += 1
        return n
