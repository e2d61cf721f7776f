"""Every sample as a CSV row, streamed as it arrives: hours of samples, flat memory."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from app.core.events import Sample

COLUMNS = (
    "session",
    "seq",
    "outcome",
    "warmup",
    "intended_ms",
    "sent_ms",
    "done_ms",
    "rtt_ms",
    "server_ms",
    "bytes_out",
    "bytes_in",
    "first_event_ms",
    "events",
    "error",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _ms(ns: int | None) -> str:
    return "" if ns is None else f"{ns / 1e6:.3f}"


def _cell(text: str) -> str:
    """Server-supplied text must not run as a spreadsheet formula when the CSV is opened."""
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvSampleWriter:
    """`with CsvSampleWriter(path) as w: ... w.feed(event)`: one row per `Sample`.

    Times are milliseconds relative to the first sample's intended send time
    (warm-up included; later samples of other sessions may come out slightly
    negative). `first_event_ms` is the SSE time to first event from the intended
    send time; empty cells mean "not measured". Nothing is kept in memory.
    """

    def __init__(self, path: str | os.PathLike[str], origin_ns: int | None = None) -> None:
        self.path = Path(path)
        self.origin_ns = origin_ns
        self.rows = 0
        self._file: IO[str] | None = None
        self._writer: Any = None

    def __enter__(self) -> CsvSampleWriter:
        self._file = self.path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(COLUMNS)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def flush(self) -> None:
        """Make what was written so far readable by others (e.g. a live export)."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def feed(self, event: Any) -> None:
        """Take any engine event; only `Sample`s are written."""
        if isinstance(event, Sample):
            self.write(event)

    def write(self, s: Sample) -> None:
        if self._writer is None or self._file is None or self._file.closed:
            raise ValueError("CsvSampleWriter is not open (use it as a context manager)")
        if self.origin_ns is None:
            self.origin_ns = s.intended_ns
        o = self.origin_ns
        first = None if s.first_ns is None else s.first_ns - s.intended_ns
        self._writer.writerow(
            (
                s.session,
                s.seq,
                s.outcome,
                int(s.warmup),
                _ms(s.intended_ns - o),
                _ms(s.sent_ns - o),
                _ms(s.done_ns - o),
                _ms(s.rtt_ns),
                _ms(s.server_ns),
                s.bytes_out,
                s.bytes_in,
                _ms(first),
                s.events,
                _cell(s.error),
            )
        )
        self.rows += 1
