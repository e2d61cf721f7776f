"""The master's result: every worker's windows merged, the reports, the thresholds.

`MergedRun` adds each window into one `Aggregator` (`wire.merge_into`), so its
`Summary` is the one `rtprobe run` would give for all the messages of all the workers,
and the same JSON and HTML writers and `--assert` read it. The JSON also says how many
worker processes sent results and the peak number of users (`workers`, `users`, also
in the connection facts the HTML report lists). The HTML's latency histograms come from
the merged HDR buckets; its over-time plots need each sample and stay empty here (each
worker's `--report-csv` has every sample).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from app.core import assertions
from app.core.assertions import Threshold
from app.core.report import jsonfile
from app.core.report.model import Summary
from app.core.summary import Aggregator
from app.load import wire

logger = logging.getLogger("rtprobe.load")


class MergedRun:
    def __init__(self) -> None:
        self.agg = Aggregator()
        self.numbers = wire.SessionNumbers()
        self.samples: dict[str, int] = {}  # worker -> round trips it sent us
        self.sent: dict[str, int] = {}  # worker -> messages it sent
        self._users: dict[str, int] = {}
        self.peak_users = 0
        self.bad_windows = 0
        self.finals: set[str] = set()  # workers whose last window arrived

    def add(self, worker: str, window: Any) -> None:
        if window is None:
            return
        try:
            if not self.agg.transport and isinstance(window, dict):
                self.agg.transport = str(window.get("transport", ""))
                self.agg.target = str(window.get("target", ""))
            wire.merge_into(self.agg, worker, window, self.numbers)
        except (ValueError, TypeError, KeyError) as exc:
            self.bad_windows += 1
            logger.error("rtprobe: a window from %s was not merged: %s", worker, exc)
            return
        self.samples[worker] = self.samples.get(worker, 0) + wire.samples_in(window)
        sent = sum(int(row[1]) for row in window.get("sessions", []))
        self.sent[worker] = self.sent.get(worker, 0) + sent

    def note_users(self, worker: str, users: Any) -> None:
        if isinstance(users, int):
            self._users[worker] = users
            self.peak_users = max(self.peak_users, sum(self._users.values()))

    @property
    def workers(self) -> int:
        return len(self.sent)

    def summary(self) -> Summary:
        s = self.agg.summary()
        facts = {"load_workers": self.workers, "load_users": self.peak_users}
        return dataclasses.replace(s, connection={**s.connection, **facts})

    def write(self, json_path: str, html_path: str, *, final: bool) -> list[str]:
        """Write the reports asked for; one line per report that could not be."""
        summary = self.summary()
        errors = []
        extra: dict[str, Any] = {"workers": self.workers, "users": self.peak_users}
        if not final:
            extra["partial"] = True
        if json_path:
            try:
                jsonfile.write_atomic(json_path, jsonfile.dumps(summary, **extra))
            except OSError as exc:
                errors.append(f"rtprobe: cannot write --report-json {json_path!r}: {exc}")
        if html_path and final:
            from app.core.report.html import write_html
            from app.core.report.timeline import Timeline

            try:
                write_html(html_path, summary, Timeline(seconds=1))
            except OSError as exc:
                errors.append(f"rtprobe: cannot write --report-html {html_path!r}: {exc}")
        return errors

    def failures(self, thresholds: list[Threshold]) -> list[str]:
        summary = self.summary()
        return [r for t in thresholds if (r := t.check(summary))]


def parse_thresholds(texts: list[str]) -> list[Threshold]:
    """TargetError (one line) for the first that cannot be read."""
    return [assertions.parse(t) for t in texts]
