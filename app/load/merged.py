"""The master's result: every worker's windows merged, the reports, the thresholds.

`MergedRun` adds each window into one `Aggregator` (`wire.merge_into`), so its
`Summary` is the one `rtprobe run` would give for all the messages of all the workers,
and the same JSON and HTML writers and `--assert` read it. The JSON also says how many
worker processes sent results and the peak number of users (`workers`, `users`, also
in the connection facts the HTML report lists) and, when a worker was lost on the way
(killed, its link gone), how many (`workers_lost`). The over-time plots come from the
merged per-second series (`seconds.py`: rates, and each second's exact percentiles),
also in the JSON as "per_second"; the latency histograms from the merged HDR buckets.
With a CSV path every sample the workers shipped is written as `rtprobe run --csv`
writes it (`samples.py`).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from app.core import assertions
from app.core.assertions import Threshold
from app.core.report import jsonfile
from app.core.report.csv import CsvSampleWriter
from app.core.report.model import Summary
from app.core.summary import Aggregator
from app.load import samples, wire
from app.load.seconds import MergedSeconds

logger = logging.getLogger("rtprobe.load")


PARTIAL_NOTE = (
    '<p class="note">Partial: the test is still running; this page is rewritten every '
    "few seconds and once more at its end.</p>"
)


def _lost_note(n: int) -> str:
    return (
        f'<p class="bad">{n} load worker process(es) lost before their last results: '
        "what they measured after their last report is missing.</p>"
    )


class MergedRun:
    def __init__(self, csv_path: str = "") -> None:
        self.agg = Aggregator()
        self.seconds = MergedSeconds()
        self.numbers = wire.SessionNumbers()
        self.csv: CsvSampleWriter | None = None
        self.csv_error = ""
        if csv_path:
            try:
                self.csv = CsvSampleWriter(csv_path).__enter__()
            except OSError as exc:
                self.csv_error = f"rtprobe: cannot write --report-csv {csv_path!r}: {exc}"
        self.lost: set[str] = set()  # workers that went away before their last window
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
            self.seconds.add(window.get("seconds", []))
            self._write_samples(worker, window)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            self.bad_windows += 1
            logger.error("rtprobe: a window from %s was not merged: %s", worker, exc)
            return
        self.samples[worker] = self.samples.get(worker, 0) + wire.samples_in(window)
        sent = sum(int(row[1]) for row in window.get("sessions", []))
        self.sent[worker] = self.sent.get(worker, 0) + sent

    def _write_samples(self, worker: str, window: dict[str, Any]) -> None:
        if self.csv is None or "samples" not in window:
            return
        rows = samples.decode(window["samples"], lambda i: self.numbers(worker, i))
        try:
            for sample in rows:
                self.csv.write(sample)
            self.csv.flush()
        except OSError as exc:
            self.csv_error = f"rtprobe: cannot write --report-csv {str(self.csv.path)!r}: {exc}"
            self.close_csv()

    def note_users(self, worker: str, users: Any) -> None:
        if isinstance(users, int):
            self._users[worker] = users
            self.peak_users = max(self.peak_users, sum(self._users.values()))

    @property
    def workers(self) -> int:
        return len(self.sent)

    def summary(self) -> Summary:
        s = self.agg.summary()
        facts: dict[str, Any] = {"load_workers": self.workers, "load_users": self.peak_users}
        if self.lost:
            facts["load_workers_lost"] = len(self.lost)
        return dataclasses.replace(s, connection={**s.connection, **facts})

    def write(self, json_path: str, html_path: str, *, final: bool) -> list[str]:
        """Write the reports asked for; one line per report that could not be."""
        summary = self.summary()
        errors = []
        extra: dict[str, Any] = {"workers": self.workers, "users": self.peak_users}
        extra["per_second"] = self.seconds.to_json()
        if self.lost:
            extra["workers_lost"] = len(self.lost)
        if not final:
            extra["partial"] = True
        if json_path:
            try:
                jsonfile.write_atomic(json_path, jsonfile.dumps(summary, **extra))
            except OSError as exc:
                errors.append(f"rtprobe: cannot write --report-json {json_path!r}: {exc}")
        if html_path:
            from app.core.report.html import render_html

            page = render_html(summary, self.seconds.timeline())
            if not final:
                page = page.replace("</header>", PARTIAL_NOTE + "</header>", 1)
            if self.lost:
                page = page.replace("</header>", _lost_note(len(self.lost)) + "</header>", 1)
            try:
                jsonfile.write_atomic(html_path, page)
            except OSError as exc:
                errors.append(f"rtprobe: cannot write --report-html {html_path!r}: {exc}")
        if final:
            if self.csv_error:
                errors.append(self.csv_error)
            self.close_csv()
        return errors

    def close_csv(self) -> None:
        csv, self.csv = self.csv, None
        if csv is not None:
            try:
                csv.close()
            except OSError as exc:
                self.csv_error = self.csv_error or (
                    f"rtprobe: cannot write --report-csv {str(csv.path)!r}: {exc}"
                )

    def failures(self, thresholds: list[Threshold]) -> list[str]:
        summary = self.summary()
        return [r for t in thresholds if (r := t.check(summary))]


def parse_thresholds(texts: list[str]) -> list[Threshold]:
    """TargetError (one line) for the first that cannot be read."""
    return [assertions.parse(t) for t in texts]
