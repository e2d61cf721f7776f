"""Every sample as a CSV row, streamed as it arrives: hours of samples, flat memory.

Rows reach the file at least every `FLUSH_EVERY_S` (and whenever `FLUSH_BYTES` of them
wait), each time as whole rows in one write: a run killed with SIGKILL leaves a file that
holds every sample until its last second, and no half row (the operating system keeps
what was written; only a machine that loses power may lose more).
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from app.core.events import Sample, StatsSnapshot

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
FLUSH_EVERY_S = 1.0  # rows wait in memory at most this long (when more rows come)
FLUSH_BYTES = 1 << 18  # or until this much text waits


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
    send time; empty cells mean "not measured". Nothing is kept in memory but the rows
    of the last `flush_every_s`; a caller whose rows may stop coming calls `flush()` on
    a timer (`rtprobe run` does, every second).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        origin_ns: int | None = None,
        *,
        flush_every_s: float = FLUSH_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.origin_ns = origin_ns
        self.rows = 0
        self.flush_every_s = flush_every_s
        self._clock = clock
        self._file: IO[bytes] | None = None
        self._pending = io.StringIO()  # whole rows not yet written
        self._writer: Any = None
        self._flushed_at = 0.0

    def __enter__(self) -> CsvSampleWriter:
        self._file = self.path.open("wb", buffering=0)
        self._writer = csv.writer(self._pending)
        self._writer.writerow(COLUMNS)
        self.flush()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def flush(self) -> None:
        """Write the waiting rows, whole, so others can read them (a live export) and a
        killed process leaves them behind."""
        self._flushed_at = self._clock()
        if self._file is None or self._file.closed or not self._pending.tell():
            return
        data = memoryview(self._pending.getvalue().encode("utf-8"))
        self._pending.seek(0)
        self._pending.truncate()
        while data:  # a regular file takes it all in one write; a short write loops
            written = self._file.write(data)
            if not written:
                raise OSError(f"{self.path}: the file took no more rows")
            data = data[written:]

    def close(self) -> None:
        if self._file is not None:
            try:
                self.flush()
            finally:
                self._file.close()
                self._file = None

    def feed(self, event: Any) -> None:
        """Take any engine event; `Sample`s are written, and each control-channel round
        trip a WebRTC stats snapshot carries (wma ping/pong) as a row of outcome
        `control_rtt` (its rtt_ms; done_ms is the snapshot's time)."""
        if isinstance(event, Sample):
            self.write(event)
        elif isinstance(event, StatsSnapshot) and isinstance(
            event.values.get("control_rtt_ms"), list
        ):
            self.write_control(event)

    def write_control(self, snap: StatsSnapshot) -> None:
        if self._writer is None or self._file is None or self._file.closed:
            raise ValueError("CsvSampleWriter is not open (use it as a context manager)")
        if self.origin_ns is None:
            self.origin_ns = snap.t_ns
        done = _ms(snap.t_ns - self.origin_ns)
        for ms in snap.values["control_rtt_ms"]:
            if isinstance(ms, int | float):
                row = (snap.session, "", "control_rtt", 0, "", "", done, f"{ms:.3f}")
                self._writer.writerow(row + ("",) * (len(COLUMNS) - len(row)))
                self.rows += 1

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
        if (
            self._pending.tell() >= FLUSH_BYTES
            or self._clock() - self._flushed_at >= self.flush_every_s
        ):
            self.flush()
